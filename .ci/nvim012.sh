#!/usr/bin/env bash
# Fetch Neovim 0.12 from Debian's unstable suite (sid) into .cache/nvim012
# without installing anything system-wide: a private apt configuration
# (its own source list, lists and cache under .cache/), `apt-get download` of
# neovim, its runtime and libraries, `dpkg -x` into one folder, and patchelf
# pointing the binary at the unpacked loader and libraries.
# Idempotent: when the binary is there and runs, it only prints its path.
# Prints the absolute path of a wrapper that sets VIMRUNTIME and runs nvim.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=$PWD/.cache
root=$cache/nvim012
wrapper=$root/bin/nvim

if [ -x "$wrapper" ] && "$wrapper" --version 2>/dev/null | grep -q '^NVIM v0\.1[2-9]'; then
  echo "$wrapper"
  exit 0
fi

command -v patchelf >/dev/null || {
  echo "== apt-get install patchelf" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf >/dev/null
}

apt_dir=$cache/apt-sid
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/deb"
# The machine's own Debian mirror, suite sid.
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=-"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "APT::Get::List-Cleanup=0"
)
echo "== apt-get update (sid, private lists)" >&2
apt-get "${apt_opts[@]}" update -qq >&2

pkgs=(neovim neovim-runtime libc6 lua-lpeg lua-luv libluajit-5.1-2 libluajit-5.1-common
  libtree-sitter0.26 libuv1t64 libutf8proc3 libunibilium4 libgcc-s1)
echo "== apt-get download ${pkgs[*]}" >&2
(cd "$apt_dir/deb" && rm -f ./*.deb && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >&2)

rm -rf "$root.tmp"
mkdir -p "$root.tmp"
for deb in "$apt_dir"/deb/*.deb; do dpkg -x "$deb" "$root.tmp"; done
lib=$root/usr/lib/x86_64-linux-gnu
patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --set-rpath "$lib" "$root.tmp/usr/bin/nvim"
mkdir -p "$root.tmp/bin"
cat >"$root.tmp/bin/nvim" <<WRAP
#!/bin/sh
VIMRUNTIME="$root/usr/share/nvim/runtime" exec "$root/usr/bin/nvim" "\$@"
WRAP
chmod +x "$root.tmp/bin/nvim"
rm -rf "$root"
mv "$root.tmp" "$root"
"$wrapper" --version | head -n1 >&2
echo "$wrapper"
