" copilot.vim (github/copilot.vim) talking to veil instead of GitHub.
" A g:copilot_command that does not end in .js is run as `<path> --stdio`;
" veil-copilot execs `veil lsp --stdio`. Put this before copilot.vim loads.
let g:copilot_command = expand('~/.local/bin/veil-copilot')
