#!/usr/bin/env bash
# Installs the pinned @github/copilot-language-server under .cache/copilot-ls
# (gitignored) for wrap mode's end-to-end test, unless that version is
# already there, and prints the path of its native linux-x64 binary (Node 20
# is too old for its JS entry; the binary embeds its own Node).
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.539.0
dir=.cache/copilot-ls
bin=$dir/node_modules/@github/copilot-language-server-linux-x64/copilot-language-server
have=$(node -p "require('./$dir/node_modules/@github/copilot-language-server/package.json').version" 2>/dev/null || true)
if [ "$have" != "$version" ] || [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "@github/copilot-language-server@$version" >&2
fi
"$bin" --version >&2
echo "$PWD/$bin"
