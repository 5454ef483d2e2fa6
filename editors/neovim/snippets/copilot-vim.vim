" copilot.vim (github/copilot.vim) talking to veil instead of GitHub.
" Put this before copilot.vim loads. Set BOTH variables: releases up to
" 1.26.0 read g:copilot_agent_command and, when it is unset, silently start
" GitHub's own bundled server; newer releases read g:copilot_command. A path
" that does not end in .js is run as `<path> --stdio`; veil-copilot execs
" `veil lsp --stdio`.
let g:copilot_command = expand('~/.local/bin/veil-copilot')
let g:copilot_agent_command = g:copilot_command
" Confirm veil is the server: `:Copilot version` prints a line `veil <version>`
" (GitHub's server prints `GitHub Copilot Language Server` or `dist/agent.js`),
" and `:Copilot setup` says `Authenticated as GitHub user veil`.
" Wrap form (keep GitHub Copilot; veil masks everything at its network):
" let g:copilot_command = expand('~/.local/bin/veil-copilot-wrap')
" let g:copilot_agent_command = g:copilot_command
" which runs `veil lsp --wrap -- copilot-language-server --stdio`; the
" server then names itself "veil wrapping GitHub Copilot Language Server".
