#!/usr/bin/env bash
# Builds upstream MetalLB's controller (go.universe.tf/metallb, its `controller` main package)
# from the Go module proxy into the shared cache, for bench/controller-side-by-side.script.ts.
# A benchmark-only tool: neither `npm test` nor bootstrap runs it. Idempotent: skips when the
# binary exists with a stamp of the version. Also keeps the module's CRDs and RBAC beside the
# binary (bin/metallb-upstream-config/{crd,rbac}/). Usage: bash tools/build-upstream-controller.sh [version]
set -euo pipefail

version="${1:-${METALLB_UPSTREAM_VERSION:-v0.16.2}}"
cache="${METALLB_TS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metallb-ts}"
bin="$cache/bin"
name=metallb-upstream-controller
frr_version=v0.0.21
stamp="go.universe.tf/metallb@$version frr-k8s@$frr_version+aspathprepend"

say() { printf '[upstream-controller] %s\n' "$*" >&2; }
fail() {
  printf '[upstream-controller] FAILED: %s\n[upstream-controller] fix: %s\n' "$1" "$2" >&2
  exit 1
}

if [ -x "$bin/$name" ] && [ "$(cat "$bin/$name.stamp" 2>/dev/null)" = "$stamp" ] &&
  [ -d "$bin/metallb-upstream-config" ]; then
  say "$name $version cached ($bin/$name)"
  exit 0
fi

command -v go >/dev/null || fail "go not found" "install Go >= 1.26 (the Go module proxy must be reachable)"
# The module asks for a newer patch toolchain than may be installed; its `go` line is what counts.
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
mkdir -p "$bin"
module_dir() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}
dir=$(module_dir "go.universe.tf/metallb@$version")
[ -d "$dir" ] || fail "go mod download go.universe.tf/metallb@$version" \
  "check that the Go module proxy is reachable"

# A writable copy: -mod=mod may update go.sum, and the module cache is read-only.
work=$(mktemp -d "${TMPDIR:-/tmp}/metallb-upstream-XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"

# MetalLB v0.16.2 requires github.com/metallb/frr-k8s v0.0.27, which the proxy refuses (403
# "not available"); it serves v0.0.21. MetalLB uses one API addition of the later releases
# (as-path prepend, in its frr-k8s BGP mode, which the controller never runs; the package is
# linked only because internal/k8s/controllers imports it): a copy of v0.0.21 with that type and
# field added stands in. MetalLB's own code is built unmodified.
frr=$(module_dir "github.com/metallb/frr-k8s@$frr_version")
[ -d "$frr" ] || fail "go mod download github.com/metallb/frr-k8s@$frr_version" \
  "check that the Go module proxy is reachable"
cp -r "$frr" "$work/frr-k8s" && chmod -R u+w "$work/frr-k8s"
types="$work/frr-k8s/api/v1beta1/frrconfiguration_types.go"
sed -i 's|^\(\s*\)PrefixesWithCommunity \[\]CommunityPrefixes `json:"withCommunity,omitempty"`|&\n\1PrefixesWithAsPathPrepend []AsPathPrependPrefixes `json:"withAsPathPrepend,omitempty"`|' "$types"
grep -q PrefixesWithAsPathPrepend "$types" ||
  fail "adding PrefixesWithAsPathPrepend to frr-k8s $frr_version's Advertise" "read $types"
cat >"$work/frr-k8s/api/v1beta1/zz_aspathprepend.go" <<'GO'
package v1beta1

// AsPathPrependPrefixes as later frr-k8s releases define it (tools/build-upstream-controller.sh).
type AsPathPrependPrefixes struct {
	Prefixes      []string `json:"prefixes,omitempty"`
	AsPathPrepend uint8    `json:"asPathPrepend,omitempty"`
}
GO
(cd "$work/src" && go mod edit -replace "github.com/metallb/frr-k8s=$work/frr-k8s")

say "building $name $version (the shared Go build cache is reused; minutes on a first build)"
start=$SECONDS
(cd "$work/src" && go build -trimpath -ldflags "-s -w" -o "$bin/$name.tmp" ./controller) \
  >"$cache/build-$name.log" 2>&1 ||
  fail "go build ./controller in a copy of $dir (log: $cache/build-$name.log)" \
    "read the log; check that the Go module proxy is reachable and 'go version' is >= 1.26"
mv "$bin/$name.tmp" "$bin/$name"
config="$bin/metallb-upstream-config"
rm -rf "$config" && mkdir -p "$config/crd" "$config/rbac"
cp "$work/src"/config/crd/bases/*.yaml "$config/crd/"
cp "$work/src"/config/rbac/role.yaml "$work/src"/config/rbac/service-accounts.yaml "$config/rbac/"
echo "$stamp" >"$bin/$name.stamp"
say "$name built in $((SECONDS - start))s ($bin/$name)"
