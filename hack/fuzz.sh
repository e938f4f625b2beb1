#!/usr/bin/env bash
# Runs every fuzz target of the module (each `func FuzzXxx(f *testing.F)` in
# a _test.go file), one after the other (go test fuzzes one target at a
# time), for FUZZTIME each (default 20s). A new fuzz target is run without
# being listed anywhere. go test -fuzz compiles every package the target's
# test binary links with coverage instrumentation, so a fuzz target lives
# in a package whose tests link no Kubernetes API types or client-go
# (fn/cmd/function TestFuzzedPackagesLinkNoKubernetesTypes checks it):
# on a cold machine they were most of this step's compiling.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-20s}
n=0
while IFS=: read -r file _ line; do
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
  pkg=./$(dirname "$file")
  echo "fuzz $pkg $name ($fuzztime)"
  go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg"
  n=$((n + 1))
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' --exclude-dir=_output --exclude-dir=node_modules . | sed 's|^\./||' | sort)
[ "$n" -gt 0 ] || { echo "no fuzz targets found" >&2; exit 1; }
echo "fuzz: $n targets"
