// Package textbuf holds the text of an open document as an immutable,
// persistent balanced tree of small chunks, and owns every conversion between
// byte offsets and LSP positions (UTF-8 or UTF-16 columns).
//
// Each chunk carries its byte length, its UTF-16 length and its line
// terminator count, and every tree node the sums of its subtree, so finding a
// line, an offset or a column is O(log n) plus one chunk scan, even on a
// single 10 MB line. An edit copies only the path to the chunks it touches
// and rebuilds at most a few chunks: its cost depends on the edit, not on the
// document. A Text never changes after it is made; Apply returns a new one
// sharing all untouched chunks, so a request can keep the snapshot it took
// when it arrived while edits continue.
//
// Lines end at "\n", "\r\n" or a lone "\r", the three terminators LSP
// recognises. Text is expected to be valid UTF-8 (LSP carries JSON strings);
// invalid bytes are counted as one UTF-16 unit per byte that is not a
// continuation byte.
//
// May import: the standard library only.
package textbuf
