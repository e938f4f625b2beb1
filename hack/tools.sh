#!/usr/bin/env bash
# Builds paved's pinned external tools once and caches them outside the repo,
# keyed by version. Prints the path of the binary it was asked for.
#
#   hack/tools.sh crossplane-cli    # the crossplane CLI (render, validate)
#   hack/tools.sh crossplane-cli-v1 # the crossplane CLI v1.20.1's render (make render-compat)
#   hack/tools.sh crossplane-core   # Crossplane core (render's reconciler, e2e)
#   hack/tools.sh provider-aws-crds # dir with provider-aws's real CRDs
#   hack/tools.sh argocd-crds       # dir with Argo CD's real CRDs (Application, ...)
#   hack/tools.sh crossplane-crds   # dir with Crossplane core's own CRDs (Usages, ...)
#   hack/tools.sh etcd|kube-apiserver|kube-controller-manager  # test/e2e
#   hack/tools.sh controller-gen|angryjet  # provider code generation
#   hack/tools.sh golangci-lint            # make lint
#
# PAVED_CACHE overrides the cache root (default ~/.cache/paved).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${PAVED_CACHE:-$HOME/.cache/paved}

CLI_VERSION=v2.5.0
# sha256 of the CLI's cmd/crossplane/main.go at CLI_VERSION, which
# hack/tools/crossplane-cli/main.go.in replaces (crossplane-cli below).
CLI_MAIN_SHA256=a61e15617d29da0de1b23315bfecfcf5d9a77107f5ab75157794789dc8e00bdf
CLI_V1_VERSION=v1.20.1 # `crossplane beta render` for make render-compat
CORE_VERSION=v2.4.0
PROVIDER_AWS_VERSION=v1.23.0
ARGOCD_VERSION=v3.1.0 # its module zip is 25 MB; only manifests/crds is used
ETCD_VERSION=v3.6.5
KUBE_VERSION=v1.35.3 # Crossplane v2.4 is built on k8s.io v0.35.x
CONTROLLER_GEN_VERSION=v0.20.0
ANGRYJET_VERSION=v0.0.0-20250731192036-00d407d8b7ec
GOLANGCI_LINT_VERSION=v2.15.0 # make lint

# A tool's module (its go.mod, go.sum and any source of its own), hashed: part of the
# cached binary's path (its name stays: a controller's field manager is
# its binary's name), so that a machine with the binary cached builds it
# again when the pins move (hack/align-modules raises them together).
pins() { for d; do find "$here/tools/$d" -maxdepth 1 -type f -print0; done | sort -z | xargs -0 cat | sha256sum | cut -c1-12; }

build() { # name version pkg [module-dir [ldflags [prepare [more-pins-dir]]]]
  # prepare, if given, is a function run just before the build (not when
  # the binary is cached) that prints one more go build flag; the files of
  # more-pins-dir, if given, are part of the binary's pins.
  local name=$1 version=$2 pkg=$3 dir=${4:-$1} ldflags=${5:-} prepare=${6:-} more=${7:-} flag=""
  local out="$cache/bin/$(pins "$dir" $more)/$name-$version"
  if [ ! -x "$out" ]; then
    mkdir -p "${out%/*}"
    # One build per tool at a time: suites run side by side (and by hand)
    # would otherwise both write $out.tmp. The second waits, then finds it.
    exec {lock}>"$out.lock"
    flock "$lock"
    if [ ! -x "$out" ]; then
      echo "building $name $version (cached at $out) ..." >&2
      if [ -n "$prepare" ]; then flag=$("$prepare" "${out%/*}"); fi
      # Static, as their projects release them (Kubernetes, etcd, Crossplane
      # and golangci-lint build with CGO_ENABLED=0), and the same whether
      # make (which exports CGO_ENABLED=0) or .ci/run asks for it.
      (cd "$here/tools/$dir" && CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" ${flag:+"$flag"} -o "$out.tmp" "$pkg")
      mv "$out.tmp" "$out"
    fi
    exec {lock}>&-
  fi
  echo "$out"
}

# moddir TOOL MODULE[@VERSION]: the directory of MODULE in the module
# cache, downloaded if need be; without a version, the one the tool module
# hack/tools/TOOL pins ("" for a module given with its version).
moddir() {
  (cd "$here/tools/$1" && go mod download -json "$2") | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

# cli_source DIR: the crossplane CLI's module source, as hack/tools/crossplane
# pins it, copied to DIR/cli-src with hack/tools/crossplane-cli/main.go.in as
# its cmd/crossplane/main.go, and DIR/go.mod, hack/tools/crossplane's go.mod
# replacing the CLI's module with that copy; prints the -modfile flag. It
# refuses a CLI whose main.go is not the one main.go.in was derived from.
cli_source() {
  local dir=$1 src
  src=$(moddir crossplane github.com/crossplane/cli/v2)
  if [ "$(sha256sum <"$src/cmd/crossplane/main.go" | cut -c1-64)" != "$CLI_MAIN_SHA256" ]; then
    echo "crossplane CLI: $src/cmd/crossplane/main.go is not the main.go hack/tools/crossplane-cli/main.go.in was derived from (sha256 $CLI_MAIN_SHA256): derive it again" >&2
    return 1
  fi
  rm -rf "$dir/cli-src" && cp -r "$src" "$dir/cli-src" && chmod -R u+w "$dir/cli-src"
  cp "$here/tools/crossplane-cli/main.go.in" "$dir/cli-src/cmd/crossplane/main.go"
  cp "$here/tools/crossplane/go.mod" "$dir/go.mod" && cp "$here/tools/crossplane/go.sum" "$dir/go.sum"
  (cd "$here/tools/crossplane" && go mod edit -modfile="$dir/go.mod" -replace "github.com/crossplane/cli/v2=$dir/cli-src")
  echo "-modfile=$dir/go.mod"
}

case "${1:-}" in
  # The CLI and core are two tools of one module (hack/tools/crossplane), so
  # that the dependencies they share resolve to one version each and compile
  # once: in two modules their versions differed by a patch here and there
  # (protobuf, logr, k8s.io/apiserver, crossplane-runtime), which made every
  # package above them compile twice on a cold machine.
  crossplane-cli)
    # Upstream's CLI with its own main replaced by the same main with only
    # the commands paved runs (hack/tools/crossplane-cli/main.go.in, which
    # says which and why): every command is still upstream's package. The
    # main has to sit inside the CLI's module to import its internal
    # packages, and go build -overlay refuses to replace a file in
    # GOMODCACHE, so the CLI's source is copied with that main in its place
    # and the build uses it through a replace in a copy of
    # hack/tools/crossplane's go.mod (-modfile): every other module, core's
    # shared dependencies included, resolves and compiles as before. The
    # replacement main's directory is part of the binary's pins (a changed
    # main is built anew) and not of core's, which it does not change.
    build crossplane-cli "$CLI_VERSION" github.com/crossplane/cli/v2/cmd/crossplane crossplane "" cli_source crossplane-cli ;;
  crossplane-cli-v1)
    # Its render command only (hack/tools/crossplane-cli-v1/main.go).
    build crossplane-cli-v1 "$CLI_V1_VERSION" . crossplane-cli-v1 \
      "-X github.com/crossplane/crossplane/internal/version.version=$CLI_V1_VERSION" ;;
  crossplane-core) build crossplane-core "$CORE_VERSION" github.com/crossplane/crossplane/v2/cmd/crossplane crossplane ;;
  etcd) build etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 ;;
  kube-apiserver|kube-controller-manager)
    # Without these the server reports v0.0.0-master and clients can't parse it.
    v=${KUBE_VERSION#v} ldflags=""
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=${v%%.*} -X $p.gitMinor=$(echo "$v" | cut -d. -f2) -X $p.gitTreeState=clean"
    done
    build "$1" "$KUBE_VERSION" "k8s.io/kubernetes/cmd/$1" kubernetes "$ldflags" ;;
  controller-gen) build controller-gen "$CONTROLLER_GEN_VERSION" sigs.k8s.io/controller-tools/cmd/controller-gen ;;
  golangci-lint) build golangci-lint "$GOLANGCI_LINT_VERSION" github.com/golangci/golangci-lint/v2/cmd/golangci-lint ;;
  angryjet)
    # The pinned angryjet matches and imports crossplane-runtime's old type
    # locations (apis/common/v1, v2); crossplane-runtime v2.4.0 has them in
    # crossplane/apis/v2/core/v2, with the cluster-scoped spec renamed. Build
    # it from a patched copy of the pinned module source (nothing committed).
    out="$cache/bin/angryjet-$ANGRYJET_VERSION-corev2.1"
    if [ ! -x "$out" ]; then
      src=$(moddir angryjet "github.com/crossplane/crossplane-tools@$ANGRYJET_VERSION")
      tmp=$(mktemp -d); trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
      cp -r "$src" "$tmp/src" && chmod -R u+w "$tmp/src"
      old=github.com/crossplane/crossplane-runtime/v2/apis/common new=github.com/crossplane/crossplane/apis/v2/core/v2
      sed -i -e "s#$old/v1\.ResourceSpec#$new.ClusterManagedResourceSpec#" \
             -e "s#$old/v1\.ResourceStatus#$new.ManagedResourceStatus#" \
             -e "s#$old/v[12]\.#$new.#" -e "s#\"$old/v1\"#\"$new\"#" \
             -e 's#NameResourceSpec *= "ResourceSpec"#NameResourceSpec = "ClusterManagedResourceSpec"#' \
             -e 's#NameResourceStatus *= "ResourceStatus"#NameResourceStatus = "ManagedResourceStatus"#' \
             "$tmp/src/internal/fields/fields.go" "$tmp/src/cmd/angryjet/main.go"
      if grep -q 'crossplane-runtime/v2/apis/common' "$tmp/src/internal/fields/fields.go" "$tmp/src/cmd/angryjet/main.go" ||
         ! grep -q 'NameResourceSpec = "ClusterManagedResourceSpec"' "$tmp/src/internal/fields/fields.go"; then
        echo "angryjet $ANGRYJET_VERSION: source patch did not apply" >&2; exit 1
      fi
      cp "$here/tools/angryjet/go.mod" "$here/tools/angryjet/go.sum" "$tmp/"
      (cd "$tmp" && go mod edit -replace "github.com/crossplane/crossplane-tools=./src" && mkdir -p "$cache/bin" &&
        CGO_ENABLED=0 go build -trimpath -o "$out.tmp" github.com/crossplane/crossplane-tools/cmd/angryjet)
      mv "$out.tmp" "$out"
    fi
    echo "$out" ;;
  provider-aws-crds)
    dir=$(moddir "" "github.com/upbound/provider-aws@$PROVIDER_AWS_VERSION")
    [ -d "$dir/package/crds" ] || { echo "provider-aws $PROVIDER_AWS_VERSION: no package/crds in $dir" >&2; exit 1; }
    echo "$dir/package/crds" ;;
  argocd-crds)
    dir=$(moddir "" "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION")
    [ -f "$dir/manifests/crds/application-crd.yaml" ] || { echo "argo-cd $ARGOCD_VERSION: no manifests/crds/application-crd.yaml in $dir" >&2; exit 1; }
    echo "$dir/manifests/crds" ;;
  crossplane-crds)
    # cluster/crds of the core module hack/tools/crossplane pins: what
    # `crossplane core init` installs.
    dir=$(moddir crossplane github.com/crossplane/crossplane/v2)
    [ -d "$dir/cluster/crds" ] || { echo "crossplane core $CORE_VERSION: no cluster/crds in $dir" >&2; exit 1; }
    echo "$dir/cluster/crds" ;;
  *) echo "usage: $0 crossplane-cli|crossplane-cli-v1|crossplane-core|crossplane-crds|provider-aws-crds|argocd-crds|etcd|kube-apiserver|kube-controller-manager|controller-gen|angryjet" >&2; exit 2 ;;
esac
