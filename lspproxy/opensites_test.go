package lspproxy

import (
	"slices"
	"strings"
	"testing"
)

// TestRedteamOpenSites: a document gets a typing site at the end of each
// line left inside an unfinished password-like value, and none for ordinary
// code (closed strings, apostrophes in comments, multi-line strings); an
// open site outlives maxTypedSites newer edits, a closed one does not.
func TestRedteamOpenSites(t *testing.T) {
	sc := testScanner(testDetector(t))()
	const pw = "Quill#Lantern-moss&Brook"
	text := "import os\n\n# don't touch\nname = \"plain\"\nvalue = \"" + pw + "\nx = '''\nlong text it's here\n'''\n"
	want := strings.Index(text, pw) + len(pw)
	if got := openSites([]byte(text), sc, "/w/a.py"); !slices.Equal(got, []int{want}) {
		t.Fatalf("openSites = %v, want [%d]", got, want)
	}
	plain := "package a\n\n// it's fine\nvar s = \"x\" + `raw\nlines`\n"
	if got := openSites([]byte(plain), sc, "/w/a.go"); len(got) != 0 {
		t.Errorf("openSites on ordinary code = %v, want none", got)
	}
	open := func(s int) bool { return s == want }
	sites := []int{want}
	for i := range 2 * maxTypedSites {
		sites = typedKeeping(sites, 1000+10*i, 1000+10*i, 1, open)
	}
	if !slices.Contains(sites, want) || len(sites) != maxTypedSites+1 {
		t.Errorf("open site dropped or sites not bounded: %v", sites)
	}
	sites = []int{3}
	for i := range 2 * maxTypedSites {
		sites = typedKeeping(sites, 1000+10*i, 1000+10*i, 1, open)
	}
	if slices.Contains(sites, 3) || len(sites) != maxTypedSites {
		t.Errorf("closed site kept: %v", sites)
	}
}

// BenchmarkOpenSites1MB is the check a 1 MiB document's open adds (compare
// BenchmarkDidOpen1MB, the open with its full scan).
func BenchmarkOpenSites1MB(b *testing.B) {
	sc := testScanner(testDetector(b))()
	text, _ := sampleSource(newSecrets(9), 1<<20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		openSites([]byte(text), sc, "/work/ws/big.go")
	}
}

func BenchmarkDidOpen1MB(b *testing.B) {
	docs := newDocuments(testScanner(testDetector(b)), nil)
	text, _ := sampleSource(newSecrets(9), 1<<20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		docs.open(TextDocumentItem{URI: "file:///work/ws/big.go", Version: 1, Text: text})
	}
}
