package redact

import (
	"bytes"
	"strings"
)

// Case-insensitive helpers for the generic detector's per-value checks: the
// same answers as the Unicode-aware calls they stand for, without their
// allocations when the bytes are ASCII (almost every value in code).

// containsFold is bytes.Contains(bytes.ToLower(v), bytes.ToLower(w)).
func containsFold(v, w []byte) bool {
	if nextNonASCII(v, 0) < len(v) || nextNonASCII(w, 0) < len(w) {
		return bytes.Contains(bytes.ToLower(v), bytes.ToLower(w))
	}
	for i := 0; i+len(w) <= len(v); i++ {
		if bytes.EqualFold(v[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// lowerString is strings.ToLower(string(v)): one allocation, not two, for
// an ASCII value of up to 64 bytes.
func lowerString(v []byte) string {
	if len(v) > 64 || nextNonASCII(v, 0) < len(v) {
		return strings.ToLower(string(v))
	}
	var buf [64]byte
	b := buf[:len(v)]
	lowerASCII(b, v)
	return string(b)
}
