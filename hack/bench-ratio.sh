#!/usr/bin/env bash
# Runs the gRPC benchmarks of function-paved, a no-op function and the
# same-bytes floor (a function that answers each request with paved's own
# response to it, computed beforehand: gRPC and proto alone) side by side
# (BenchmarkRunFunctionGRPC) and prints, per request, paved's cost as a
# multiple of the floor's and of the no-op's in CPU time per call (median
# of COUNT runs of ROUNDS calls; client and server share the process, so
# this is the whole round trip) with allocations per call.
#
# The headline is a first reconcile of every kind of fn/kinds.go with a new
# composite name and uid each round (<Claim>/NewName), which paved composes
# anew; <Claim>/Replayed repeats one composite and DatabaseClaimSteadyState
# a DatabaseClaim whose resources all exist.
# Each request's ratio is also printed as a line
#   figure: runfunction-grpc <request> <paved/floor>x floor, <paved/noop>x noop
# (figures only: a timing never fails a run). It then prints the binary's
# resident memory after 10,000 mixed requests, unless PAVED_BENCH_RSS=0
# (make bench in .ci/run: make test has run make rss).
#   hack/bench-ratio.sh [COUNT] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
rounds=${2:-3000}
mkdir -p _output
uptime
go test -run='^$' -bench='BenchmarkRunFunctionGRPC' -benchmem -count="$count" -benchtime="${rounds}x" ./fn/ | tee _output/bench.txt
awk '
  /^BenchmarkRunFunctionGRPC\// {
    # BenchmarkRunFunctionGRPC/<request>/<function>-<procs>
    name = $1; sub(/^BenchmarkRunFunctionGRPC\//, "", name); sub(/-[0-9]+$/, "", name)
    fn = name; sub(/.*\//, "", fn); req = name; sub(/\/[^\/]*$/, "", req)
    if (!(req in seen)) { seen[req] = 1; order[++nreq] = req }
    n[req, fn]++
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
    printf "%-30s %11s %12s %12s %11s %10s %12s %12s\n", "request", "noop cpu-ns", "floor cpu-ns", "paved cpu-ns", "paved/floor", "paved/noop", "floor allocs", "paved allocs"
    for (r = 1; r <= nreq; r++) {
      q = order[r]; a = median(q, "noop"); f = median(q, "floor"); b = median(q, "paved")
      printf "%-30s %11d %12d %12d %10.2fx %9.2fx %12d %12d\n", q, a, f, b, b / f, b / a, allocs[q, "floor"], allocs[q, "paved"]
      figures = figures sprintf("figure: runfunction-grpc %s %.2fx floor, %.2fx noop\n", q, b / f, b / a)
    }
    printf "%s", figures
  }' _output/bench.txt
uptime

# Resident memory of the function binary, built as it ships, at rest and
# after 10,000 mixed first-reconcile requests (make rss; fn/rss_test.go
# fails above its budget).
if [ "${PAVED_BENCH_RSS:-1}" != 0 ]; then
  make rss
fi
