#!/usr/bin/env bash
# Builds paved's three Crossplane packages with no Docker engine (make xpkg):
#
#   _output/xpkg/function-paved.xpkg  package/crossplane.yaml + package/input
#   _output/xpkg/provider-paved.xpkg  package/provider/crossplane.yaml + package/crds
#   _output/xpkg/paved.xpkg           crossplane.yaml + apis/ (the Configuration)
#   _output/xpkg/install/             RBAC from apis/ to apply with it, and
#                                     package/provider/install/ as provider-*:
#                                     the platform metrics' RBAC and dashboard,
#                                     and package/operations/ as operation-*:
#                                     the day-two checks' CronOperation (opt-in)
#   _output/xpkg/paved-<os>-<arch>    the paved command (cmd/paved)
#
# The function and the provider embed a runtime image that hack/xpkg (Go,
# go-containerregistry) assembles from the static binary: distroless-static-
# like base, user 65532:65532, the binary as entrypoint, OCI labels, fixed
# timestamps (the commit time), so the same commit gives the same image.
# Each package root is staged under _output/xpkg/root and checked by
# `xpkg check` before the pinned crossplane CLI (hack/tools.sh) builds it.
#
# Environment: VERSION (default v0.1.0), GOARCH (default this machine's),
# XPKG_OUT (default _output/xpkg), XPKG_SOURCE (OCI source label).
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
out=${XPKG_OUT:-$repo/_output/xpkg}
version=${VERSION:-v0.1.0}
arch=${GOARCH:-$(go env GOARCH)}
source_url=${XPKG_SOURCE:-https://github.com/paved-dev/paved}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then revision+="-dirty"; fi
created=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
registry=xpkg.paved.dev/paved-dev

crossplane=$(hack/tools.sh crossplane-cli)
mkdir -p "$out/bin" "$out/images"
rm -rf "$out/root"

# The checker and image builder runs here; the binaries run in the image.
(cd hack/xpkg && GOOS= GOARCH= go build -trimpath -o "$out/bin/xpkg" .)
xpkg=$out/bin/xpkg

# stage DIR META: a package root with its metadata (a missing one is
# reported by check).
stage() {
  mkdir -p "$1"
  if [ -f "$2" ]; then cp "$2" "$1/crossplane.yaml"; fi
}
check() { "$xpkg" check -kind "$2" "$1"; }

# runtime NAME CMD ENTRYPOINT [PORTS]: static binary, then its image tarball.
runtime() {
  local name=$1 cmd=$2 entrypoint=$3 ports=${4:-}
  CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/paved-dev/paved/internal/version.Version=$version" \
    -o "$out/bin/$name-linux-$arch" "$cmd"
  "$xpkg" image -binary "$out/bin/$name-linux-$arch" -entrypoint "$entrypoint" \
    -tag "$registry/$name:$version" -title "$name" -source "$source_url" \
    -revision "$revision" -version "$version" -arch "$arch" -created "$created" \
    ${ports:+-expose "$ports"} -out "$out/images/$name.tar" >"$out/images/$name.digest"
  echo "$name runtime image $(cat "$out/images/$name.digest")"
}

# build NAME ROOT EXAMPLES [IMAGE]
build() {
  local name=$1 root=$2 examples=$3 image=${4:-}
  "$crossplane" xpkg build --package-root="$root" --examples-root="$examples" \
    ${image:+--embed-runtime-image-tarball="$image"} --package-file="$out/$name.xpkg" >/dev/null
  echo "$name package $out/$name.xpkg"
}

empty=$out/root/no-examples
mkdir -p "$empty"

# function-paved: metadata and the input CRD; no examples (the Configuration
# carries paved's).
froot=$out/root/function
stage "$froot" package/crossplane.yaml
mkdir -p "$froot/input" && cp package/input/*.yaml "$froot/input/"
check "$froot" Function

# provider-paved: metadata and every CRD of package/crds, its examples.
proot=$out/root/provider
stage "$proot" package/provider/crossplane.yaml
mkdir -p "$proot/crds" && cp package/crds/*.yaml "$proot/crds/"
check "$proot" Provider

# paved: crossplane.yaml and every YAML file under apis/ (each kind's XRD and
# Composition), with each kind's claim and the EnvironmentConfig as examples.
# RBAC under apis/ (ClusterRoles Crossplane aggregates) cannot be package
# content: it goes to _output/xpkg/install, applied with the Configuration.
croot=$out/root/configuration
stage "$croot" crossplane.yaml
rm -rf "$out/install"
"$xpkg" stage-configuration apis "$croot/apis" "$out/install"
check "$croot" Configuration
# provider-paved's install manifests: the read access its platform metrics
# need, which a Crossplane v2 provider package cannot ask for, and their
# Grafana dashboard (package/provider/install/*.yaml).
for f in package/provider/install/*.yaml; do
  cp "$f" "$out/install/provider-$(basename "$f")"
done
# The day-two checks' CronOperation (package/operations): Operations are
# alpha (core --enable-operations), so it is an opt-in install manifest.
for f in package/operations/*.yaml; do
  cp "$f" "$out/install/operation-$(basename "$f")"
done
cex=$out/root/configuration-examples
mkdir -p "$cex"
for f in examples/*/claim*.yaml examples/environment/*.yaml; do
  [ -f "$f" ] || continue
  mkdir -p "$cex/$(dirname "${f#examples/}")" && cp "$f" "$cex/${f#examples/}"
done

runtime function-paved ./fn/cmd/function /function 9443/tcp
runtime provider-paved ./provider/cmd/provider /provider
# paved, the platform team's command (cmd/paved), shipped next to the
# packages for this machine's platform (or GOOS's and GOARCH's), built as the
# runtimes' binaries are: static, trimmed paths, no symbol table or DWARF,
# the version stamped.
paved_os=${GOOS:-$(go env GOOS)}
CGO_ENABLED=0 GOOS=$paved_os GOARCH=$arch go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X github.com/paved-dev/paved/internal/version.Version=$version" \
  -o "$out/paved-$paved_os-$arch" ./cmd/paved
echo "paved command $out/paved-$paved_os-$arch"

build function-paved "$froot" "$empty" "$out/images/function-paved.tar"
build provider-paved "$proot" examples/provider "$out/images/provider-paved.tar"
build paved "$croot" "$cex"

# Read each package back with the CLI's package parser, as into Crossplane's
# package cache (crossplane xpkg extract --from-xpkg).
mkdir -p "$out/extracted"
for n in function-paved provider-paved paved; do
  "$crossplane" xpkg extract --from-xpkg "$out/$n.xpkg" -o "$out/extracted/$n.gz" >/dev/null
done
echo "packages parsed by crossplane xpkg extract: $out/extracted"
