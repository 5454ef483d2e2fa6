// Package config loads veil's layered configuration (embedded defaults <
// user file < workspace .veil.yaml < VEIL_* env < flags) with koanf, validates
// it strictly, enforces that workspace files may only tighten, and watches
// the files for hot reload.
//
// May import: redact (for the rule shape only).
package config
