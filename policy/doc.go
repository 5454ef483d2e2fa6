// Package policy decides, for one AI request, whether it may go to the local
// model (route local, masked) or is blocked, and says why, naming the rule.
// Rules are ordered, first match wins, over request kind, path globs,
// language, findings and workspace root.
//
// May import: config, redact.
package policy
