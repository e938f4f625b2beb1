#!/usr/bin/env bash
# Builds paved's pinned external tools once and caches them outside the repo,
# keyed by version. Prints the path of the binary it was asked for.
#
#   hack/tools.sh crossplane-cli    # the crossplane CLI (render, validate)
#   hack/tools.sh crossplane-core   # Crossplane core (render's reconciler, e2e)
#   hack/tools.sh provider-aws-crds # dir with provider-aws's real CRDs
#
# PAVED_CACHE overrides the cache root (default ~/.cache/paved).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${PAVED_CACHE:-$HOME/.cache/paved}

CLI_VERSION=v2.5.0
CORE_VERSION=v2.4.0
PROVIDER_AWS_VERSION=v1.23.0

build() { # name version pkg
  local name=$1 version=$2 pkg=$3
  local out="$cache/bin/$name-$version"
  if [ ! -x "$out" ]; then
    mkdir -p "$cache/bin"
    echo "building $name $version (cached at $out) ..." >&2
    (cd "$here/tools/$name" && go build -trimpath -o "$out.tmp" "$pkg")
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

case "${1:-}" in
  crossplane-cli)  build crossplane-cli  "$CLI_VERSION"  github.com/crossplane/cli/v2/cmd/crossplane ;;
  crossplane-core) build crossplane-core "$CORE_VERSION" github.com/crossplane/crossplane/v2/cmd/crossplane ;;
  provider-aws-crds)
    dir=$(go mod download -json "github.com/upbound/provider-aws@$PROVIDER_AWS_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [ -d "$dir/package/crds" ] || { echo "provider-aws $PROVIDER_AWS_VERSION: no package/crds in $dir" >&2; exit 1; }
    echo "$dir/package/crds" ;;
  *) echo "usage: $0 crossplane-cli|crossplane-core|provider-aws-crds" >&2; exit 2 ;;
esac
