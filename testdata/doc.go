// Package testdata holds fixtures: the demo workspace, transcripts and
// corpora. Its files are read by tests and by `veil demo`, which embeds the
// demo workspace.
//
// May import: no veil package.
package testdata
