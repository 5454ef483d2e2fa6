package redact

// Text is text that came out of a Vault: every finding the caller handed to
// Mask is a token in it. Only Vault.Mask makes a non-empty Text (through
// Masked.Redacted), and a slice of a Text is a Text, so code that sends
// only Text to a model can only send redacted text: "only redacted text
// leaves" is checked by the compiler. The zero Text is empty.
type Text struct{ s string }

// String is the redacted text.
func (t Text) String() string { return t.s }

// Len is its length in bytes.
func (t Text) Len() int { return len(t.s) }

// Slice is the text's bytes [i, j) (a piece of redacted text is redacted);
// it panics out of range, as a string slice does.
func (t Text) Slice(i, j int) Text { return Text{t.s[i:j]} }

// Redacted is the masked text as a Text. A Masked not made by Mask (built
// by hand) gives the empty Text: it fails closed.
func (m Masked) Redacted() Text { return m.redacted }
