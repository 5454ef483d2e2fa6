-- copilot.lua (zbirenbaum/copilot.lua) talking to veil instead of GitHub.
-- copilot.lua runs `<custom_server_filepath> --stdio`; veil-copilot execs
-- `veil lsp --stdio`, and veil answers checkStatus with OK, so no sign-in.
require('copilot').setup({
  server = {
    type = 'binary',
    custom_server_filepath = vim.fn.expand('~/.local/bin/veil-copilot'),
  },
  suggestion = { enabled = true, auto_trigger = true },
  panel = { enabled = true },
})
-- Confirm veil is the server: `:lua =vim.lsp.get_clients({ name = 'copilot' })[1].server_info`
-- prints `{ name = "veil", version = ... }` (GitHub's server names itself
-- "GitHub Copilot Language Server").
-- Wrap form (keep GitHub Copilot; veil masks everything at its network):
-- custom_server_filepath = vim.fn.expand('~/.local/bin/veil-copilot-wrap'),
-- which runs `veil lsp --wrap -- copilot-language-server --stdio`; server_info
-- then says `name = "veil wrapping GitHub Copilot Language Server 1.539.0"`.
