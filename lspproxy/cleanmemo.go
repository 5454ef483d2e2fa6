package lspproxy

import "sync"

// cleanMemo remembers parts of earlier requests that the vault's leak check
// (redact.Vault.Leak) found clean, each with the vault's KnownVersion read
// before that check. A part is skipped only when it is byte for byte the
// remembered text and the version is unchanged (no value became known
// since), which is exactly when Leak would find it clean again: the
// neighbour snippets, sent unchanged request after request, are read once
// per version instead of on every request.
type cleanMemo struct {
	mu      sync.Mutex
	entries [cleanMemoMax]cleanVerdict
	next    int // the slot the next verdict overwrites
}

// cleanVerdict is one part found clean at vault version known.
type cleanVerdict struct {
	text  string
	known uint64
}

// cleanMemoMax bounds the verdicts kept (a few neighbours' text and path).
const cleanMemoMax = 16

// clean reports that text was found clean at vault version v.
func (m *cleanMemo) clean(text string, v uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.entries {
		if e.known == v && len(e.text) == len(text) && e.text == text {
			return true
		}
	}
	return false
}

// remember records that text was found clean at vault version v (read
// before the check, so a value known during it makes the verdict stale).
func (m *cleanMemo) remember(text string, v uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, e := range m.entries {
		if e.text == text {
			m.entries[i].known = v
			return
		}
	}
	m.entries[m.next] = cleanVerdict{text: text, known: v}
	m.next = (m.next + 1) % cleanMemoMax
}
