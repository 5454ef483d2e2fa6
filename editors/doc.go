// Package editors holds ready-to-use setups for VS Code, Neovim, JetBrains,
// Helix, Zed and Emacs, and the tests that drive real editors against veil.
// It has no Go API.
//
// May import: lspproxy, localmodel, config (tests only).
package editors
