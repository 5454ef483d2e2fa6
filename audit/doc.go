// Package audit writes one hash-chained JSON Lines record per AI request and
// verifies chains. Records hold counts, rule ids and outcomes, never raw text,
// secret values or token↔value pairs.
//
// Each line is a [Record]; its "prev" is the hex SHA-256 of the previous
// line (without the newline) and "seq" counts from 1, so an edited, deleted,
// inserted, reordered or cut-off record breaks the chain where it happened
// ([Verify] says which and what kind). The file is mode 0600 in a 0700
// directory. When a record would take it past audit.max_bytes it is renamed
// to the next free number (audit.jsonl.1 is the oldest) and the chain runs
// on into the new file. Writers in several processes share a log through an
// flock(2) on a hidden ".<name>.lock" beside the log.
//
// With audit.hash_paths the document path is replaced by an HMAC-SHA-256
// under a key the caller keeps (see [LoadKey]), so per-file statistics still
// work without naming files.
//
// May import: config.
package audit
