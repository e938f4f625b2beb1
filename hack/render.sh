#!/usr/bin/env bash
# Renders every example in examples/render-cases.txt through the real
# crossplane CLI (`crossplane composition render`, with Crossplane core's
# reconciler via --crossplane-binary: no Docker) and bin/function running
# --insecure on a free loopback port behind the Development runtime.
#
#   hack/render.sh print     print every render (the main job)
#   hack/render.sh check     compare with examples/golden; a difference fails
#   hack/render.sh update    rewrite examples/golden
#   hack/render.sh validate  validate renders against the CRDs of every kind
#                            they hold (crd_sources below)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-print}

cli=$(hack/tools.sh crossplane-cli)
core=$(hack/tools.sh crossplane-core)
out=_output/render
rm -rf "$out" && mkdir -p "$out"

# shellcheck source=hack/lib/render-lib.sh
. hack/lib/render-lib.sh
start_function "$out"

failed=0
while read -r name xr comp flags; do
  case "$name" in ''|\#*) continue ;; esac
  xrd=$(dirname "$comp")/definition.yaml
  rc=0
  # shellcheck disable=SC2086 # flags are words by design
  "$cli" composition render "$xr" "$comp" "$out/functions.yaml" \
    --crossplane-binary="$core" --xrd="$xrd" --include-full-xr $flags \
    >"$out/$name.yaml" 2>"$out/$name.stderr" || rc=$?
  [ $rc -eq 0 ] || render_failed "$out/$name" $rc
  case "$mode" in
    print)
      echo "# ---- $name: $xr with $comp ${flags}"
      if [ -f "$out/$name.yaml" ]; then cat "$out/$name.yaml"; else cat "$out/$name.error"; fi ;;
    update)
      mkdir -p examples/golden
      rm -f "examples/golden/$name.yaml" "examples/golden/$name.error"
      cp "$out/$name".{yaml,error} examples/golden/ 2>/dev/null || true
      echo "updated examples/golden/$name" ;;
    check|validate)
      for ext in yaml error; do
        g="examples/golden/$name.$ext" r="$out/$name.$ext"
        if [ -f "$g" ] || [ -f "$r" ]; then
          if ! diff -u "$g" "$r" >"$out/$name.$ext.diff" 2>&1; then
            echo "FAIL render $name: differs from $g (make golden to accept):" >&2
            cat "$out/$name.$ext.diff" >&2; failed=1
          fi
        fi
      done ;;
  esac
done <examples/render-cases.txt

if [ "$mode" = validate ]; then
  ext="$out/extensions" resources="$out/resources"
  mkdir -p "$ext" "$resources"
  cp "$out"/*.yaml "$resources/" && rm "$resources/functions.yaml"
  for src in $crd_sources; do crds "$src" "$ext" || exit 1; done
  echo "validating $(ls "$resources" | wc -l) renders against: $(cd "$ext" && ls | tr '\n' ' ')"
  "$cli" resource validate "$ext" "$resources" --crossplane-image="" --error-on-missing-schemas || failed=1

  # What users apply by hand: the claims and namespaced composites against
  # paved's XRDs, and the provider's resources against its generated CRDs.
  mkdir -p "$out/xrds" "$out/claims"
  for d in apis/*/definition.yaml; do cp "$d" "$out/xrds/$(basename "$(dirname "$d")").yaml"; done
  for c in examples/*/claim.yaml examples/*/namespaced.yaml; do cp "$c" "$out/claims/$(basename "$(dirname "$c")")-$(basename "$c")"; done
  echo "validating the example claims, namespaced composites and provider resources"
  "$cli" resource validate "$out/xrds" "$out/claims" --crossplane-image="" --error-on-missing-schemas || failed=1
  "$cli" resource validate package/crds examples/provider --crossplane-image="" --error-on-missing-schemas || failed=1
fi
exit $failed
