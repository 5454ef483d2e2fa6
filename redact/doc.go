// Package redact detects secrets, PII and proprietary identifiers, masks them
// with reversible, syntax-safe tokens held in a per-session vault, and
// restores tokens in model output (whole or streamed).
//
// It is pure: text in, text and findings out. No I/O, no logging, no clock.
// A value never appears in an error, a String method or a panic.
//
// May import: no veil package.
package redact
