package lspproxy

// A content change without a range replaces the whole document (clients
// may send one in incremental mode too, and some send nothing else). The
// typing place is where the new text differs from the old: the longest
// common prefix and suffix leave the one edit that turns old into new, and
// that edit moves and adds typing sites as an incremental one would, so a
// value half typed through whole-document changes stays masked when the
// document goes out as a neighbour or a chat reference.

// replacedSites is sites after old was replaced by new; unchanged text
// keeps them as they are.
func replacedSites(sites []int, old, new []byte) []int {
	n := min(len(old), len(new))
	p := 0
	for p < n && old[p] == new[p] {
		p++
	}
	if p == len(old) && p == len(new) {
		return sites
	}
	s := 0
	for s < n-p && old[len(old)-1-s] == new[len(new)-1-s] {
		s++
	}
	return typed(sites, p, len(old)-s, len(new)-p-s)
}
