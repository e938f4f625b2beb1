#!/usr/bin/env bash
# Renders every case of examples/render-cases.txt with the crossplane CLI
# v1.20.1 (hack/tools.sh crossplane-cli-v1): `crossplane render`, the
# in-process engine that was `crossplane beta render` until v1.19 (v1.20
# promoted it; same engine, same flags), which paved's users on Crossplane
# v1 run. bin/function runs --insecure behind the Development runtime, as in
# hack/render.sh; EnvironmentConfigs go in with --extra-resources (v1's name
# for --required-resources). Each render is compared with examples/golden
# (rendered by CLI v2.5.0 with core v2.4.0's reconciler) after
# hack/render-compat-normalize removes what the engines write differently
# by design (docs/development.md, "Rendering with crossplane v1.20"). A difference fails.
set -euo pipefail
cd "$(dirname "$0")/.."

cli=$(hack/tools.sh crossplane-cli-v1)
norm=_output/bin/render-compat-normalize
go build -o "$norm" ./hack/render-compat-normalize
out=_output/render-compat
rm -rf "$out" && mkdir -p "$out"

# shellcheck source=lib/render-lib.sh
. hack/lib/render-lib.sh
start_function "$out"

failed=0 n=0 skipped=0
while read -r name xr comp flags; do
  case "$name" in ''|\#*) continue ;; esac
  # Namespaced composites (an apiextensions.crossplane.io/v2 XRD) are left
  # out: Crossplane v1.20 has neither v2 XRDs nor namespaced composites,
  # and its render has no --xrd to tell it how to treat one; and what they
  # compose (provider-aws v2's namespaced kinds) needs Crossplane v2
  # anyway. hack/render.sh renders them with CLI v2.5.0 and core v2.4.0.
  if grep -q '^apiVersion: apiextensions.crossplane.io/v2$' "$(dirname "$comp")/definition.yaml"; then
    skipped=$((skipped + 1))
    continue
  fi
  n=$((n + 1))
  rc=0
  # shellcheck disable=SC2086 # flags are words by design
  "$cli" render "$xr" "$comp" "$out/functions.yaml" --include-full-xr ${flags//--required-resources=/--extra-resources=} \
    >"$out/$name.yaml" 2>"$out/$name.stderr" || rc=$?
  [ $rc -eq 0 ] || render_failed "$out/$name" $rc
  for ext in yaml error; do
    g="examples/golden/$name.$ext" r="$out/$name.$ext"
    [ -f "$g" ] || [ -f "$r" ] || continue
    if [ ! -f "$g" ] || [ ! -f "$r" ]; then
      echo "FAIL render-compat $name: $g and $r: only one exists" >&2; failed=1; continue
    fi
    if ! diff -u <("$norm" "$ext" <"$g") <("$norm" "$ext" <"$r") >"$out/$name.$ext.diff"; then
      echo "FAIL render-compat $name: crossplane v1.20.1 composes differently from $g:" >&2
      cat "$out/$name.$ext.diff" >&2; failed=1
    fi
  done
done <examples/render-cases.txt
echo "render-compat: $n cases rendered with crossplane v1.20.1, $skipped namespaced (Crossplane v2) cases left out"
exit $failed
