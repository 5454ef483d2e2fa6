// Package spanset holds an immutable, ordered set of byte spans with a value
// each (a document's findings), kept in step with edits to the text they
// index.
//
// It is a persistent AVL tree with a lazy offset on every node: shifting
// every span after an edit, cutting out the spans of a rescanned window and
// putting the fresh ones in are O(log n + k) for k spans touched, and the
// old set stays valid for whoever holds it (a request reading the snapshot
// it took when it arrived). A set also carries one shift not yet applied to
// its tree: the shifts of a run of keystrokes, which move the same spans,
// add up there without copying a node.
//
// May import: the standard library only.
package spanset
