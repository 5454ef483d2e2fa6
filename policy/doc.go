// Package policy decides, for one AI request, whether it may go to the local
// model (route local, masked) or is blocked, and says why, naming the rule.
// Rules are ordered, first match wins, over request kind, path globs,
// language, findings and workspace root.
//
// The rule list is the built-in deny list ([DefaultRules], when
// config.Policy.Defaults is on) followed by the user's rules. The workspace
// file's rules (config.Policy.Workspace) are untrusted: they are consulted
// only when the list above routes a request local, and only a block counts,
// so a repository can tighten its own policy but never loosen the user's.
//
// A rule matches when all its non-empty conditions match:
//   - kinds: the request kind (inline, completion, chat);
//   - paths: doublestar globs, tried on the workspace-relative path and on
//     the absolute path, case-insensitively (so `.ENV` cannot dodge `**/.env`
//     on macOS or Windows) and with trailing dots and spaces dropped from
//     each element (`.env.` opens `.env` on Windows); a block rule also
//     matches the editor backups and swap files of the files it names
//     (`.env~`, `#.env#`, `.env.swp`, `.env.bak`, see undecorate.go); an
//     untitled document matches no path glob;
//   - languages: LSP language ids, case-insensitive;
//   - categories, rule_ids (path.Match patterns such as `private-key*`),
//     min_findings: a finding passes when its category and rule id match the
//     lists that are set; the rule needs min_findings such findings (at
//     least one when categories or rule_ids are set);
//   - workspaces: doublestar globs over the workspace root.
//
// Route upstream is accepted by [Compile] (except from a workspace file).
// It holds when the request is Wrapped (veil lsp --wrap runs a real AI
// server as its child), where it is also the route when no rule matches;
// otherwise [Policy.Decide] answers block.
// Every decision's reason names the route, what matched (the exact glob or
// rule id pattern) and the rule: "blocked: path matches **/.env (default
// policy rule 1)".
//
// May import: config, redact.
package policy
