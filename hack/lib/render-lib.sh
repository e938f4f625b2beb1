# Shared by hack/render.sh (make render/validate) and
# examples/ci/render-claims.sh: sourced from the repository root, after
# cli=$(hack/tools.sh crossplane-cli).

# start_function OUT starts bin/function --insecure on a free loopback port
# (killed on exit) and writes OUT/functions.yaml pointing the Development
# runtime at it.
start_function() {
  local out=$1
  # A free port on loopback for the function, below the kernel's ephemeral
  # range (net.ipv4.ip_local_port_range, ip(7)): a port in that range can be
  # taken by any outgoing connection between this check and the bind.
  local eph=32768
  read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$eph" -gt 20050 ] || eph=32768
  port=
  for p in $(shuf -i "20000-$((eph - 1))" -n 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }
  done
  [ -n "$port" ] || { echo "no free port on 127.0.0.1" >&2; exit 1; }
  bin/function --insecure --address "127.0.0.1:$port" --metrics-address "" >"$out/function.log" 2>&1 &
  fpid=$!
  trap 'kill $fpid 2>/dev/null || true; wait $fpid 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 $fpid 2>/dev/null || { cat "$out/function.log" >&2; exit 1; }
    sleep 0.1
  done
  sed "s|runtime-development-target: .*|runtime-development-target: 127.0.0.1:$port|" examples/functions.yaml >"$out/functions.yaml"
}

# cli_errors FILE prints what the user sees of the crossplane CLI's standard
# error in FILE: all but its INFO and DEBUG log lines.
cli_errors() { grep -v '^[0-9T:.-]*Z\?\s\+\(INFO\|DEBUG\)' "$1" || true; }

# render_failed BASE RC: a failing render is an example too (invalid input):
# BASE.error keeps the exit code RC and cli_errors of BASE.stderr; BASE.yaml
# goes.
render_failed() {
  { echo "exit code: $2"; cli_errors "$1.stderr"; } >"$1.error"
  rm -f "$1.yaml"
}

# Where the schemas of rendered kinds come from, one source a word. Every
# rendered kind must have a schema (--error-on-missing-schemas); a new kind
# from elsewhere is a new source here.
#   xrds          paved's XRDs, for the composites and the nested ones
#   paved         paved's provider CRDs (package/crds): Repository, ...
#   argocd        Argo CD's CRDs (hack/tools.sh argocd-crds): Application
#   provider-aws  provider-aws's CRDs of the kinds the renders compose
#   provider-aws-namespaced
#                 provider-aws v2.6.0's namespaced CRDs (*.aws.m.upbound.io)
#                 of the kinds the namespaced renders compose, vendored in
#                 test/crds/provider-aws-v2.6.0 (the module proxy does not
#                 serve provider-aws v2; see the README there)
#   crossplane    Crossplane core's own CRDs (hack/tools.sh crossplane-crds)
#                 of the kinds the renders compose: ClusterUsage, Usage
crd_sources="xrds paved argocd provider-aws provider-aws-namespaced crossplane"

# crds SOURCE DIR copies the CRDs of one source into DIR; provider-aws takes
# the kinds of the renders in $resources.
crds() {
  case "$1" in
    xrds) for d in apis/*/definition.yaml; do cp "$d" "$2/$(basename "$(dirname "$d")")-definition.yaml"; done ;;
    paved) cp package/crds/*.yaml "$2/" ;;
    argocd) cp "$(hack/tools.sh argocd-crds)"/*-crd.yaml "$2/" ;;
    provider-aws)
      # 974 CRDs: only those of the kinds the renders compose. Render
      # output has sorted keys: kind follows apiVersion.
      local aws
      aws=$(hack/tools.sh provider-aws-crds)
      grep -h -A1 '^apiVersion: [a-z0-9]*\.aws\.upbound\.io/' "$resources"/*.yaml | paste -d' ' - - - |
        sed -n 's|^apiVersion: \([a-z0-9]*\)\.aws\.upbound\.io/[a-z0-9]* kind: \([A-Za-z0-9]*\).*|\1 \2|p' | sort -u |
      while read -r group kind; do
        f=$(grep -l "^    kind: $kind\$" "$aws/$group.aws.upbound.io_"*.yaml | head -1)
        [ -n "$f" ] || { echo "no provider-aws CRD for $group $kind" >&2; return 1; }
        cp "$f" "$2/"
      done ;;
    provider-aws-namespaced)
      local vendored=test/crds/provider-aws-v2.6.0
      # No namespaced render: nothing to copy (grep finds nothing).
      { grep -h -A1 '^apiVersion: [a-z0-9]*\.aws\.m\.upbound\.io/' "$resources"/*.yaml || true; } | paste -d' ' - - - |
        sed -n 's|^apiVersion: \([a-z0-9]*\)\.aws\.m\.upbound\.io/[a-z0-9]* kind: \([A-Za-z0-9]*\).*|\1 \2|p' | sort -u |
      while read -r group kind; do
        f=$(grep -l "^    kind: $kind\$" "$vendored/$group.aws.m.upbound.io_"*.yaml 2>/dev/null | head -1)
        [ -n "$f" ] || { echo "no vendored provider-aws v2.6.0 CRD for $group.aws.m.upbound.io $kind in $vendored" >&2; return 1; }
        cp "$f" "$2/"
      done ;;
    crossplane)
      local xp
      xp=$(hack/tools.sh crossplane-crds)
      grep -h -A1 '^apiVersion: [a-z]*\.crossplane\.io/' "$resources"/*.yaml | paste -d' ' - - - |
        sed -n 's|^apiVersion: \([a-z]*\.crossplane\.io\)/[a-z0-9]* kind: \([A-Za-z0-9]*\).*|\1 \2|p' | sort -u |
      while read -r group kind; do
        f=$(grep -l "^    kind: $kind\$" "$xp/$group"_*.yaml | head -1)
        [ -n "$f" ] || { echo "no Crossplane CRD for $group $kind" >&2; return 1; }
        cp "$f" "$2/"
      done ;;
    *) echo "unknown CRD source $1" >&2; return 1 ;;
  esac
}

