#!/usr/bin/env bash
# Runs the gRPC benchmarks of function-paved, a no-op function and the
# same-bytes floor (a function that answers with paved's own response,
# computed beforehand: gRPC and proto alone) side by side and prints, per
# request, paved's cost as a multiple of the floor's and of the no-op's
# in CPU time per call (median of COUNT runs; client and server share the
# process, so this is the whole round trip) with allocations per call.
# It then prints the binary's resident memory after 10,000 mixed requests.
#   hack/bench-ratio.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
mkdir -p _output
go test -run='^$' -bench='BenchmarkRunFunctionGRPC' -benchmem -count="$count" ./fn/ | tee _output/bench.txt
awk '
  /^BenchmarkRunFunctionGRPC\// {
    split($1, p, "/"); req = p[2]; fn = p[3]; sub(/-[0-9]+$/, "", fn)
    n[req, fn]++; reqs[req] = 1
    for (i = 3; i < NF; i++) {
      if ($(i + 1) == "cpu-ns/op") ns[req, fn, n[req, fn]] = $i
      if ($(i + 1) == "allocs/op") allocs[req, fn] = $i
    }
  }
  function median(req, fn,   i, j, k, t, a) {
    k = n[req, fn]; for (i = 1; i <= k; i++) a[i] = ns[req, fn, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((k + 1) / 2)]
  }
  END {
    printf "%-28s %11s %11s %11s %13s %11s %11s %11s\n", "request", "noop cpu-ns", "floor cpu-ns", "paved cpu-ns", "paved/floor", "paved/noop", "floor allocs", "paved allocs"
    for (r in reqs) {
      a = median(r, "noop"); f = median(r, "floor"); b = median(r, "paved")
      printf "%-28s %11d %11d %11d %12.2fx %10.2fx %11d %11d\n", r, a, f, b, b / f, b / a, allocs[r, "floor"], allocs[r, "paved"]
    }
  }' _output/bench.txt

# Resident memory of the function binary after 10,000 mixed first-reconcile
# requests (fn/rss_test.go).
go build -trimpath -o _output/function ./fn/cmd/function
PAVED_RSS_FUNCTION=$PWD/_output/function go test -tags rss -run='^TestRSSAfterMixedRequests$' -count=1 -v ./fn/ | grep 'figure:'
