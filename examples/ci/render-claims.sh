#!/usr/bin/env bash
# Renders a team's claims through paved's Compositions and validates what
# they compose, with paved's pinned crossplane CLI and Crossplane core (no
# Docker, no cluster): the same way `make render` and `make validate` do.
# Copy it with github-actions.yaml into your repository, or run it from a
# checkout of paved at the version you install:
#
#   PAVED_DIR=path/to/paved examples/ci/render-claims.sh claims/ more/claim.yaml
#
# Each argument is a claim file or a directory of them (*.yaml). Set
# PAVED_ENVIRONMENT to your EnvironmentConfig (paved-environment) to render
# with your cluster's settings. Exits non-zero when a claim is refused, when
# a render fails, or when a composed resource does not validate against the
# CRDs it will be applied to (paved's XRDs and provider CRDs, Argo CD's, and
# provider-aws's). Renders land in $PAVED_DIR/_output/claims.
set -euo pipefail

[ $# -gt 0 ] || { sed -n '2,16p' "$0" >&2; exit 2; }
files=()
for a in "$@"; do
  if [ -d "$a" ]; then
    while IFS= read -r f; do files+=("$(realpath "$f")"); done < <(find "$a" -name '*.yaml' -o -name '*.yml' | sort)
  else
    files+=("$(realpath "$a")")
  fi
done
env=${PAVED_ENVIRONMENT:+$(realpath "$PAVED_ENVIRONMENT")}
cd "${PAVED_DIR:-$(dirname "$0")/../..}"

make --no-print-directory function >/dev/null
cli=$(hack/tools.sh crossplane-cli)
core=$(hack/tools.sh crossplane-core)
out=_output/claims
rm -rf "$out" && mkdir -p "$out/xrs" "$out/resources" "$out/extensions"

# shellcheck source=../../hack/lib/render-lib.sh
. hack/lib/render-lib.sh
start_function "$out"

failed=0
go run ./hack/claimxr -apis apis -out "$out/xrs" "${files[@]}" >"$out/cases.txt"
while read -r name xr comp xrd; do
  rc=0
  "$cli" composition render "$xr" "$comp" "$out/functions.yaml" \
    --crossplane-binary="$core" --xrd="$xrd" --include-full-xr \
    ${env:+--required-resources="$env"} >"$out/resources/$name.yaml" 2>"$out/$name.stderr" || rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL render $name (exit code $rc):" >&2
    cli_errors "$out/$name.stderr" >&2
    rm "$out/resources/$name.yaml"; failed=1
  else
    echo "rendered $name: $(grep -c '^kind:' "$out/resources/$name.yaml") objects"
  fi
done <"$out/cases.txt"

if ls "$out/resources"/*.yaml >/dev/null 2>&1; then
  resources="$out/resources"
  for src in $crd_sources; do crds "$src" "$out/extensions" || exit 1; done
  "$cli" resource validate "$out/extensions" "$out/resources" --crossplane-image="" --error-on-missing-schemas || failed=1
fi
exit $failed
