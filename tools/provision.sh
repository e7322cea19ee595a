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
  frr frr-pythontools bird2 gobgpd        # BGP peers for the interop tests; frr-reload.py (FRR mode)
  iproute2 iputils-arping iputils-ping    # namespaces, veth, bridges, ARP clients
  ndisc6 tcpdump ethtool                  # NDP client, captures
  faketime                                # clock skew for speakers in the chaos tests
  openssl                                 # test PKI for the API server
  buildah mmdebstrap skopeo               # OCI images without a Docker engine
  user-mode-linux kmod                    # a kernel with VRF devices for the FRR VRF test (UML)
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
command -v go >/dev/null || fail "go not found" "install Go >= 1.26.7 (Envoy Gateway's module needs it; the Go module proxy must be reachable)"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

# build "<names>" <module dir> "<packages>" [ldflags]: one go build per module; rebuilds only when
# go.mod/go.sum changed.
build() {
  local names=$1 dir="$here/go/$2" pkgs=$3 ldflags=${4:-}
  local stamp first=${1%% *} n
  stamp=$( (cat "$dir/go.mod" "$dir/go.sum"; echo "$ldflags $pkgs") | sha256sum | cut -c1-16)
  local fresh=1
  for n in $names; do
    [ -x "$bin/$n" ] && [ "$(cat "$bin/$n.stamp" 2>/dev/null)" = "$stamp" ] || fresh=0
  done
  if ((fresh)); then
    say "$names cached ($bin)"
    return
  fi
  say "building $names from the Go module proxy (first run only; several minutes)"
  local start=$SECONDS out="$bin/.build-$first"
  rm -rf "$out" && mkdir -p "$out"
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  # One package: name the binary (etcd's main package is called "server"); several: go names them.
  local target="$out/"
  [ "$names" = "$first" ] && target="$out/$first"
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$target" $pkgs) \
    >"$cache/build-$first.log" 2>&1 ||
    fail "go build $pkgs in $dir (log: $cache/build-$first.log)" \
      "read the log; check that the Go module proxy is reachable and 'go version' is >= 1.26"
  for n in $names; do
    mv "$out/$n" "$bin/$n"
    echo "$stamp" >"$bin/$n.stamp"
  done
  rm -rf "$out"
  say "$names built in $((SECONDS - start))s"
}

kver=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v[0-9]/ { print $2 }' "$here/go/kube/go.mod" | head -1)
[[ "$kver" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || fail "cannot read the k8s.io/kubernetes version from tools/go/kube/go.mod" "restore its 'k8s.io/kubernetes vX.Y.Z' requirement"
kminor=$(echo "$kver" | cut -d. -f2)
build etcd etcd go.etcd.io/etcd/server/v3
build helm helm helm.sh/helm/v3/cmd/helm
# One go build for the module's three binaries: they share most packages.
build "kube-apiserver kube-controller-manager kube-scheduler" kube \
  "k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler" \
  "-X k8s.io/component-base/version.gitVersion=$kver -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kminor"
# kwok marks Pods of fake Nodes Running and Ready: Deployments and DaemonSets become Ready for
# Flux's health checks without a kubelet.
build kwok kwok sigs.k8s.io/kwok/cmd/kwok
# kwok's own "fast" stages (Nodes Ready with heartbeats, Pods Running and Ready at once), from
# the module kwok was built from.
kwok_dir=$(cd "$here/go/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
kubectl kustomize "$kwok_dir/kustomize/stage/fast" >"$bin/kwok-stages.yaml.tmp" ||
  fail "kubectl kustomize $kwok_dir/kustomize/stage/fast" "check that kubectl is installed"
mv "$bin/kwok-stages.yaml.tmp" "$bin/kwok-stages.yaml"
# The OCI registry of the chart's OCI mode (tests/gitops/oci-chart.test.ts): the CNCF
# distribution registry, the reference implementation of the OCI distribution spec.
build registry registry github.com/distribution/distribution/v3/cmd/registry

# ---- Flux controllers (tests/gitops, the lab) ------------------------------------------------
# Flux modules carry replace lines, so they are built in an extracted copy of the module rather
# than with `go install`; helm- and notification-controller come from ../shared/vendor (the proxy
# does not serve them). Build facts: ../shared/vendor/README.md.
vendor="${METALLB_TS_VENDOR:-}"
if [ -z "$vendor" ]; then
  for candidate in "$here/../../shared/vendor" /work/shared/vendor; do
    [ -d "$candidate" ] && vendor=$candidate && break
  done
fi
src="$cache/src"
mkdir -p "$src"
flux_stamp() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }
# flux_build <binary> <module dir> <stamp>: after the caller has prepared the module dir.
flux_build() {
  local name=$1 dir=$2 stamp=$3 start=$SECONDS
  say "building $name (first run only; several minutes)"
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$bin/$name.tmp" .) >"$cache/build-$name.log" 2>&1 ||
    fail "go build $name in $dir (log: $cache/build-$name.log)" "read the log; check that the Go module proxy is reachable"
  mv "$bin/$name.tmp" "$bin/$name"
  echo "$stamp" >"$bin/$name.stamp"
  say "$name built in $((SECONDS - start))s"
}
cached() { [ -x "$bin/$1" ] && [ "$(cat "$bin/$1.stamp" 2>/dev/null)" = "$2" ]; }
# from_proxy <module@version> <dest>: a writable copy of a module the proxy serves.
from_proxy() {
  local dir
  dir=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || fail "go mod download $1" "check that the Go module proxy is reachable"
  rm -rf "$2" && cp -r "$dir" "$2" && chmod -R u+w "$2"
}
from_vendor() {
  local tgz="$vendor/$1"
  [ -f "$tgz" ] || fail "Flux source snapshot $1 not found (looked in '${vendor:-../shared/vendor}')" \
    "set METALLB_TS_VENDOR to the directory holding the Flux source snapshots (../shared/vendor of the project)"
  rm -rf "$2" && mkdir -p "$2" && tar -xzf "$tgz" -C "$2" --strip-components=1
}
# Also installs each controller's CRDs beside it (bin/flux-crds/<name>/) for the test harness.
keep_crds() {
  rm -rf "$bin/flux-crds/$1" && mkdir -p "$bin/flux-crds/$1" && cp "$2"/config/crd/bases/*.yaml "$bin/flux-crds/$1/"
}

v=v1.9.6 name=source-controller s=$(flux_stamp "$name" "$v" artifact-v0.18.2)
if ! cached $name "$s"; then
  from_vendor fluxcd-pkg-artifact-v0.18.2.tar.gz "$src/pkg-artifact"
  from_proxy github.com/fluxcd/source-controller@$v "$src/$name"
  # The artifact subtree's tarball may hold the module at its root or under artifact/.
  art="$src/pkg-artifact"; [ -f "$art/artifact/go.mod" ] && art="$art/artifact"
  (cd "$src/$name" && go mod edit -dropreplace github.com/fluxcd/source-controller/api \
    -replace "github.com/fluxcd/pkg/artifact=$art")
  keep_crds $name "$src/$name"
  flux_build $name "$src/$name" "$s"
else say "$name cached"; fi

v=v1.9.6 name=kustomize-controller s=$(flux_stamp "$name" "$v")
if ! cached $name "$s"; then
  from_proxy github.com/fluxcd/kustomize-controller@$v "$src/$name"
  (cd "$src/$name" && go mod edit -dropreplace github.com/fluxcd/kustomize-controller/api)
  keep_crds $name "$src/$name"
  flux_build $name "$src/$name" "$s"
else say "$name cached"; fi

v=v1.6.3 name=helm-controller s=$(flux_stamp "$name" "$v" helm-v4.2.4)
if ! cached $name "$s"; then
  from_vendor fluxcd-helm-controller-$v.tar.gz "$src/$name"
  # Flux's Helm fork is not served; upstream Helm of the same release works (vendor README).
  (cd "$src/$name" && go mod edit -dropreplace helm.sh/helm/v4 -require=helm.sh/helm/v4@v4.2.4)
  keep_crds $name "$src/$name"
  flux_build $name "$src/$name" "$s"
else say "$name cached"; fi

v=v1.9.3 name=notification-controller s=$(flux_stamp "$name" "$v")
if ! cached $name "$s"; then
  from_vendor fluxcd-notification-controller-$v.tar.gz "$src/$name"
  keep_crds $name "$src/$name"
  flux_build $name "$src/$name" "$s"
else say "$name cached"; fi

# The flux CLI: `metallb-ts validate` runs `flux build kustomization` on each cluster's Flux
# Kustomizations, so that what it checks is what kustomize-controller will apply.
v=v2.9.5 name=flux s=$(flux_stamp "$name" "$v" manifests-placeholder)
if ! cached $name "$s"; then
  from_proxy github.com/fluxcd/flux2/v2@$v "$src/flux2"
  # cmd/flux embeds manifests/*.yaml, which upstream generates from release downloads (not
  # reachable here); one placeholder lets it build. `flux install` cannot work without them;
  # build, diff, get, tree and reconcile do (vendor README).
  mkdir -p "$src/flux2/cmd/flux/manifests"
  printf '# placeholder: flux install is not available in this build\n' >"$src/flux2/cmd/flux/manifests/placeholder.yaml"
  flux_build $name "$src/flux2/cmd/flux" "$s"
else say "$name cached"; fi

# ---- Gateway API and Envoy Gateway (tests/kube address policies, tests/gitops gateways) ---------
# The Gateway API CRDs (standard channel) of the module Envoy Gateway is built against.
gwapi_dir=$(cd "$here/go/envoy-gateway" && go mod download -json sigs.k8s.io/gateway-api |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$gwapi_dir/config/crd/standard" ] ||
  fail "go mod download sigs.k8s.io/gateway-api (tools/go/envoy-gateway)" "check that the Go module proxy is reachable"
rm -rf "$bin/gateway-api-crds" && mkdir -p "$bin/gateway-api-crds"
cp "$gwapi_dir"/config/crd/standard/*.yaml "$bin/gateway-api-crds/"
# Not a CRD: upstream's own admission policy against downgrades.
rm -f "$bin"/gateway-api-crds/*_vap_*.yaml
# Envoy Gateway's controller (its Gateways' Services are what tests/net/gateway-envoy.test.ts
# serves) and its own CRDs (EnvoyProxy and the policies) from the same module.
build envoy-gateway envoy-gateway github.com/envoyproxy/gateway/cmd/envoy-gateway
eg_dir=$(cd "$here/go/envoy-gateway" && go mod download -json github.com/envoyproxy/gateway |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$eg_dir/charts/gateway-helm/charts/crds/crds/generated" ] ||
  fail "go mod download github.com/envoyproxy/gateway (tools/go/envoy-gateway)" "check that the Go module proxy is reachable"
rm -rf "$bin/envoy-gateway-crds" && mkdir -p "$bin/envoy-gateway-crds"
cp "$eg_dir"/charts/gateway-helm/charts/crds/crds/generated/*.yaml "$bin/envoy-gateway-crds/"

echo "bin=$bin"
