package lspproxy

import "sync"

// TextMeter counts the bytes of document text open in every session of a
// process, and tells onChange the total each time it has moved by a MiB
// since it last did. veil lsp uses it to keep the runtime's soft memory
// limit at twice the open text plus a fixed allowance. Safe for concurrent
// use.
type TextMeter struct {
	mu       sync.Mutex
	total    int64
	reported int64
	onChange func(total int64)
}

// NewTextMeter returns a meter that reports to onChange (called with the
// meter's lock held, so reports arrive in order; it must not call back).
func NewTextMeter(onChange func(total int64)) *TextMeter {
	onChange(0)
	return &TextMeter{onChange: onChange}
}

// add moves the total by delta bytes. A nil meter counts nothing.
func (m *TextMeter) add(delta int) {
	if m == nil || delta == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total += int64(delta)
	if d := m.total - m.reported; d >= 1<<20 || d <= -1<<20 {
		m.reported = m.total
		m.onChange(m.total)
	}
}

// Total is the bytes of text open now.
func (m *TextMeter) Total() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.total
}
