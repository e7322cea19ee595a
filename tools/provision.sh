#!/usr/bin/env bash
# Installs everything the tests and the lab need, idempotently:
#   - Debian packages (routers, netns tooling, image tooling),
#   - kube-apiserver, etcd and helm built from the Go module proxy at the versions pinned in
#     tools/go/*/go.mod, into a cache outside the repository that later runs reuse.
# Prints the cache's bin directory on the last line of stdout ("bin=<dir>").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${METALLB_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metallb-ts}"
bin="$cache/bin"
mkdir -p "$bin"

say() { printf '[provision] %s\n' "$*" >&2; }
fail() {
  printf '[provision] FAILED: %s\n[provision] fix: %s\n' "$1" "$2" >&2
  exit 1
}

# ---- Debian packages -------------------------------------------------------------------------
debs=(
  frr bird2 gobgpd                        # BGP peers for the interop tests
  iproute2 iputils-arping iputils-ping    # namespaces, veth, bridges, ARP clients
  ndisc6 tcpdump ethtool                  # NDP client, captures
  faketime                                # clock skew for speakers in the chaos tests
  openssl                                 # test PKI for the API server
  buildah mmdebstrap skopeo               # OCI images without a Docker engine
  gcc make libc6-dev python3              # the native addon (node-gyp, tools/build-native.sh)
)
# The addon builds against the running Node's headers; Debian's own nodejs keeps them in
# libnode-dev (official and nodesource builds ship them beside the binary).
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [ ! -f "$node_prefix/include/node/node_api.h" ] && [ ! -f /usr/include/node/node_api.h ]; then
  debs+=(libnode-dev)
fi
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || fail "Debian packages missing: ${missing[*]}" "run 'sudo $0' once"
  say "installing Debian packages: ${missing[*]}"
  # Package installs must not start frr/bird in the host's network namespace: the tests start
  # their own instances inside lab namespaces.
  blocker=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    blocker=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$blocker" && chmod +x "$blocker"
  fi
  trap '[ -n "$blocker" ] && rm -f "$blocker"' EXIT
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$cache/apt.log" 2>&1; then
    say "apt-get install failed; refreshing package lists and retrying"
    apt-get update -qq >>"$cache/apt.log" 2>&1 ||
      fail "apt-get update (log: $cache/apt.log)" "check that Debian's package mirror is reachable"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >>"$cache/apt.log" 2>&1 ||
      fail "apt-get install ${missing[*]} (log: $cache/apt.log)" "read the log; run the same command by hand"
  fi
  [ -n "$blocker" ] && rm -f "$blocker"
  trap - EXIT
else
  say "Debian packages present"
fi

# ---- Go-built binaries -----------------------------------------------------------------------
command -v go >/dev/null || fail "go not found" "install Go >= 1.26 (the Go module proxy must be reachable)"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

# build <name> <module dir> <package> [ldflags]: rebuilds only when go.mod/go.sum changed.
build() {
  local name=$1 dir="$here/go/$2" pkg=$3 ldflags=${4:-}
  local stamp
  stamp=$( (cat "$dir/go.mod" "$dir/go.sum"; echo "$ldflags") | sha256sum | cut -c1-16)
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    say "$name cached ($bin/$name)"
    return
  fi
  say "building $name from the Go module proxy (first run only; several minutes)"
  local start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/$name.tmp" "$pkg") \
    >"$cache/build-$name.log" 2>&1 ||
    fail "go build $pkg in $dir (log: $cache/build-$name.log)" \
      "read the log; check that the Go module proxy is reachable and 'go version' is >= 1.26"
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$stamp" >"$bin/$name.stamp"
  say "$name built in $((SECONDS - start))s"
}

kver=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v[0-9]/ { print $2 }' "$here/go/kube/go.mod" | head -1)
[[ "$kver" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || fail "cannot read the k8s.io/kubernetes version from tools/go/kube/go.mod" "restore its 'k8s.io/kubernetes vX.Y.Z' requirement"
kminor=$(echo "$kver" | cut -d. -f2)
build etcd etcd go.etcd.io/etcd/server/v3
build helm helm helm.sh/helm/v3/cmd/helm
build kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver \
  "-X k8s.io/component-base/version.gitVersion=$kver -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kminor"

echo "bin=$bin"
