// Package audit writes one hash-chained JSON Lines record per AI request and
// verifies chains. Records hold counts, rule ids and outcomes, never raw text,
// secret values or token↔value pairs.
//
// May import: config.
package audit
