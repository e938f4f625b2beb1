#!/usr/bin/env bash
# Builds paved's pinned external tools once and caches them outside the repo,
# keyed by version. Prints the path of the binary it was asked for.
#
#   hack/tools.sh crossplane-cli    # the crossplane CLI (render, validate)
#   hack/tools.sh crossplane-core   # Crossplane core (render's reconciler, e2e)
#   hack/tools.sh provider-aws-crds # dir with provider-aws's real CRDs
#   hack/tools.sh etcd|kube-apiserver|kube-controller-manager  # test/e2e
#
# PAVED_CACHE overrides the cache root (default ~/.cache/paved).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${PAVED_CACHE:-$HOME/.cache/paved}

CLI_VERSION=v2.5.0
CORE_VERSION=v2.4.0
PROVIDER_AWS_VERSION=v1.23.0
ETCD_VERSION=v3.6.5
KUBE_VERSION=v1.35.3 # Crossplane v2.4 is built on k8s.io v0.35.x

build() { # name version pkg [module-dir [ldflags]]
  local name=$1 version=$2 pkg=$3 dir=${4:-$1} ldflags=${5:-}
  local out="$cache/bin/$name-$version"
  if [ ! -x "$out" ]; then
    mkdir -p "$cache/bin"
    echo "building $name $version (cached at $out) ..." >&2
    (cd "$here/tools/$dir" && go build -trimpath -ldflags="$ldflags" -o "$out.tmp" "$pkg")
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

case "${1:-}" in
  crossplane-cli)  build crossplane-cli  "$CLI_VERSION"  github.com/crossplane/cli/v2/cmd/crossplane ;;
  crossplane-core) build crossplane-core "$CORE_VERSION" github.com/crossplane/crossplane/v2/cmd/crossplane ;;
  etcd) build etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 ;;
  kube-apiserver|kube-controller-manager)
    # Without these the server reports v0.0.0-master and clients can't parse it.
    v=${KUBE_VERSION#v} ldflags=""
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=${v%%.*} -X $p.gitMinor=$(echo "$v" | cut -d. -f2) -X $p.gitTreeState=clean"
    done
    build "$1" "$KUBE_VERSION" "k8s.io/kubernetes/cmd/$1" kubernetes "$ldflags" ;;
  provider-aws-crds)
    dir=$(go mod download -json "github.com/upbound/provider-aws@$PROVIDER_AWS_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [ -d "$dir/package/crds" ] || { echo "provider-aws $PROVIDER_AWS_VERSION: no package/crds in $dir" >&2; exit 1; }
    echo "$dir/package/crds" ;;
  *) echo "usage: $0 crossplane-cli|crossplane-core|provider-aws-crds|etcd|kube-apiserver|kube-controller-manager" >&2; exit 2 ;;
esac
