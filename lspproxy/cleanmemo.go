package lspproxy

import (
	"sync"

	"github.com/veil-dev/veil/redact"
)

// cleanMemo remembers that the vault's leak check (redact.Vault.Leak)
// found a part sent unchanged request after request (the neighbour
// snippets) clean, by its exact text, so it is read once instead of on
// every request. A verdict holds with the vault's KnownVersion read before
// that check and is reused only while the version is unchanged (no value
// became known since). A part whose bytes differ in any way is a different
// entry.
//
// It also remembers the last few document names found to hold nothing to
// mask (see pipeline.maskName), by name, settings and vault version.
type cleanMemo struct {
	mu      sync.Mutex
	entries [cleanMemoMax]partVerdict
	next    int // the slot the next new part overwrites
	names   [cleanNamesMax]cleanName
	nextNam int // the slot the next new name overwrites
}

// cleanName is a document name masked to itself under st at vault version
// known; text is the vault's Text for it.
type cleanName struct {
	name  string
	st    *settings
	known uint64
	text  redact.Text
}

// cleanNamesMax bounds the names kept (the document's and a few
// neighbours').
const cleanNamesMax = 8

// partVerdict is what is known about one part: Leak found text clean at
// vault version known (set is false for a slot never used).
type partVerdict struct {
	text  string
	set   bool
	known uint64
}

// cleanMemoMax bounds the parts kept (a few neighbours' text and path).
const cleanMemoMax = 16

// find is text's slot, or -1. m.mu is held.
func (m *cleanMemo) find(text string) int {
	for i := range m.entries {
		if e := &m.entries[i]; e.set && len(e.text) == len(text) && e.text == text {
			return i
		}
	}
	return -1
}

// clean reports that text was found clean at vault version v.
func (m *cleanMemo) clean(text string, v uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(text)
	return i >= 0 && m.entries[i].known == v
}

// remember records that text was found clean at vault version v (read
// before the check, so a value known during it makes the verdict stale).
func (m *cleanMemo) remember(text string, v uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(text)
	if i < 0 {
		i = m.next
		m.next = (m.next + 1) % cleanMemoMax
	}
	m.entries[i] = partVerdict{text: text, set: true, known: v}
}

// cleanName returns the masked text remembered for name under st at vault
// version v.
func (m *cleanMemo) cleanName(name string, st *settings, v uint64) (redact.Text, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.names {
		if n.st == st && n.st != nil && n.known == v && n.name == name {
			return n.text, true
		}
	}
	return redact.Text{}, false
}

// rememberName records that name masked to t (itself) under st at vault
// version v (read before the masking).
func (m *cleanMemo) rememberName(name string, st *settings, v uint64, t redact.Text) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, n := range m.names {
		if n.st == st && n.name == name {
			m.names[i].known, m.names[i].text = v, t
			return
		}
	}
	m.names[m.nextNam] = cleanName{name: name, st: st, known: v, text: t}
	m.nextNam = (m.nextNam + 1) % cleanNamesMax
}
