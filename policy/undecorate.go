package policy

import (
	"path"
	"strings"
)

// A denied file stays denied under the names editors and file systems give
// its copies: Windows drops trailing dots and spaces (`.env.` and `.env `
// open `.env`), Emacs writes `.env~` and `#.env#`, Vim `.env.swp` and
// `.id_rsa.swp`, and people keep `.env.bak` or `.env.orig`. Block rules
// match the undecorated names too.

// trimElements drops trailing dots and spaces from every element of a
// cleaned slash path (an element made only of dots is left alone).
func trimElements(p string) string {
	if !strings.Contains(p, ". ") && !strings.Contains(p, "./") && !strings.Contains(p, " /") &&
		!strings.HasSuffix(p, ".") && !strings.HasSuffix(p, " ") {
		return p
	}
	parts := strings.Split(p, "/")
	for i, e := range parts {
		if t := strings.TrimRight(e, ". "); t != "" && strings.Trim(e, ".") != "" {
			parts[i] = t
		}
	}
	return strings.Join(parts, "/")
}

// backupSuffixes end the names of editor backups and swap files.
var backupSuffixes = []string{"~", ".bak", ".backup", ".orig", ".old", ".save", ".swp", ".swo", ".swn", ".swx"}

// undecorate returns the names base may be a backup or swap file of (at
// most two), or nil when it is not decorated.
func undecorate(base string) []string {
	b := base
	if len(b) > 2 && b[0] == '#' && b[len(b)-1] == '#' {
		return []string{b[1 : len(b)-1]} // Emacs auto-save
	}
	if strings.HasPrefix(b, ".#") && len(b) > 2 {
		return []string{b[2:]} // Emacs lock file
	}
	for _, s := range backupSuffixes {
		if t, ok := strings.CutSuffix(b, s); ok && t != "" {
			out := []string{t}
			if len(t) > 1 && t[0] == '.' && strings.HasPrefix(s, ".sw") {
				out = append(out, t[1:]) // Vim: .id_rsa.swp is id_rsa's swap
			}
			return out
		}
	}
	return nil
}

// altPath is one undecorated reading of the request's path.
type altPath struct{ rel, abs, base string }

// alternatives fills in.alts from the undecorated readings of in.base.
func (in *input) alternatives() {
	names := undecorate(in.base)
	for _, n := range names {
		a := altPath{abs: swapBase(in.abs, n), base: n}
		if in.rel != "" {
			a.rel = swapBase(in.rel, n)
		}
		in.alts = append(in.alts, a)
	}
}

func swapBase(p, base string) string {
	dir, _ := path.Split(p)
	return dir + base
}
