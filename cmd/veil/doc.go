// Command veil: thin main and subcommands (lsp, scan, redact, demo, policy,
// audit, config, version). Each subcommand parses flags, loads config, wires
// packages, runs and maps the outcome to an exit code (0 ok, 1 findings or
// blocked, 2 usage or runtime error). No logic that a test of a package would
// need lives here.
//
// May import: every veil package.
package main
