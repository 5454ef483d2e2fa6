package lspproxy

import (
	"strings"
	"sync"
)

// cleanMemo remembers what the leak guard found about parts sent unchanged
// request after request (the neighbour snippets), each by its exact text,
// so they are read once instead of on every request:
//   - that the vault's leak check (redact.Vault.Leak) found the part clean,
//     with the vault's KnownVersion read before that check; reused only
//     while the version is unchanged (no value became known since);
//   - which masked values are not in it (strings.Contains depends on
//     nothing else, so that holds for the same text forever).
//
// A part whose bytes differ in any way is a different entry.
type cleanMemo struct {
	mu      sync.Mutex
	entries [cleanMemoMax]partVerdict
	next    int // the slot the next new part overwrites
}

// partVerdict is what is known about one part.
type partVerdict struct {
	text   string
	leakOK bool   // Leak found text clean at vault version known
	known  uint64 // see leakOK
	absent map[string]struct{}
}

const (
	// cleanMemoMax bounds the parts kept (a few neighbours' text and path).
	cleanMemoMax = 16
	// absentMax bounds the values remembered as absent from one part.
	absentMax = 512
)

// find is text's slot, or -1. m.mu is held.
func (m *cleanMemo) find(text string) int {
	for i := range m.entries {
		if e := &m.entries[i]; len(e.text) == len(text) && e.absent != nil && e.text == text {
			return i
		}
	}
	return -1
}

// slot is text's slot, made if needed. m.mu is held.
func (m *cleanMemo) slot(text string) *partVerdict {
	if i := m.find(text); i >= 0 {
		return &m.entries[i]
	}
	e := &m.entries[m.next]
	*e = partVerdict{text: text, absent: map[string]struct{}{}}
	m.next = (m.next + 1) % cleanMemoMax
	return e
}

// clean reports that text was found clean at vault version v.
func (m *cleanMemo) clean(text string, v uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.find(text)
	return i >= 0 && m.entries[i].leakOK && m.entries[i].known == v
}

// remember records that text was found clean at vault version v (read
// before the check, so a value known during it makes the verdict stale).
func (m *cleanMemo) remember(text string, v uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.slot(text)
	e.leakOK, e.known = true, v
}

// containsAny returns the first of values found in text, reading text only
// for values not already known to be absent from it, and remembers the
// ones found absent.
func (m *cleanMemo) containsAny(text string, values []string) (string, bool) {
	m.mu.Lock()
	var todo []string
	if i := m.find(text); i >= 0 {
		for _, v := range values {
			if _, ok := m.entries[i].absent[v]; !ok {
				todo = append(todo, v)
			}
		}
	} else {
		todo = values
	}
	m.mu.Unlock()
	for _, v := range todo {
		if strings.Contains(text, v) {
			return v, true
		}
	}
	if len(todo) == 0 {
		return "", false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.slot(text)
	for _, v := range todo {
		if len(e.absent) >= absentMax {
			break
		}
		e.absent[v] = struct{}{}
	}
	return "", false
}
