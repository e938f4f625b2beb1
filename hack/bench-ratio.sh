#!/usr/bin/env bash
# Runs the gRPC benchmarks of function-paved (served as it ships, with its
# own codec, fn/internal/wire), a no-op function, the same-bytes floor (a
# function that answers each request with paved's own response to it,
# computed beforehand: gRPC and grpc-go's proto codec alone) and the
# decoded floor (the same answer decoded from its wire bytes in the call:
# the floor plus making the answer's objects), interleaved in blocks
# (BenchmarkRunFunctionGRPC), and prints, per request, paved's cost as a
# multiple of the floor's, the no-op's and the decoded floor's in CPU time
# per call (the median of COUNT runs of ROUNDS calls to each function;
# client and server share the process, so this is the whole round trip)
# with allocations per call.
#
# The headline is a first reconcile of every kind of fn/kinds.go with a new
# composite name and uid each round (<Claim>/NewName), which paved composes
# anew; <Claim>/Replayed repeats one composite and DatabaseClaimSteadyState
# a DatabaseClaim whose resources all exist.
# Each request's ratio is also printed as a line
#   figure: runfunction-grpc <request> <paved/floor>x floor, <paved/noop>x noop, <paved/decoded>x decoded
# (figures only: a timing never fails a run). It then prints the binary's
# resident memory after 10,000 mixed requests, unless PAVED_BENCH_RSS=0
# (make bench in .ci/run: make test has run make rss).
#   hack/bench-ratio.sh [COUNT] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
rounds=${2:-3000}
# The benchmark's iteration is a block of grpcBlock calls to each
# function, read from fn/bench_test.go so that the two cannot disagree.
block=$(sed -n 's/^const grpcBlock = \([0-9][0-9]*\)$/\1/p' fn/bench_test.go)
[ -n "$block" ] || { echo "bench-ratio: no const grpcBlock in fn/bench_test.go" >&2; exit 1; }
iterations=$(((rounds + block - 1) / block))
mkdir -p _output
uptime
go test -run='^$' -bench='BenchmarkRunFunctionGRPC' -count="$count" -benchtime="${iterations}x" ./fn/ | tee _output/bench.txt
awk '
  /^BenchmarkRunFunctionGRPC\// {
    # BenchmarkRunFunctionGRPC/<request>-<procs> <N> <ns> ns/op <value> <unit> ...
    req = $1; sub(/^BenchmarkRunFunctionGRPC\//, "", req); sub(/-[0-9]+$/, "", req)
    if (!(req in seen)) { seen[req] = 1; order[++nreq] = req }
    k = ++n[req]
    for (i = 3; i < NF; i++) v[req, $(i + 1), k] = $i
  }
  function median(req, unit,   i, j, k, t, a) {
    k = n[req]; for (i = 1; i <= k; i++) a[i] = v[req, unit, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((k + 1) / 2)]
  }
  END {
    printf "%-26s %11s %12s %14s %12s %11s %10s %13s %13s %12s %12s\n", "request", "noop cpu-ns", "floor cpu-ns", "decoded cpu-ns", "paved cpu-ns", "paved/floor", "paved/noop", "paved/decoded", "decoded/floor", "floor allocs", "paved allocs"
    for (r = 1; r <= nreq; r++) {
      q = order[r]; pf = median(q, "paved/floor"); pn = median(q, "paved/noop"); pd = median(q, "paved/decoded")
      printf "%-26s %11d %12d %14d %12d %10.2fx %9.2fx %12.2fx %12.2fx %12d %12d\n", q, median(q, "noop-cpu-ns/call"), median(q, "floor-cpu-ns/call"), median(q, "decoded-cpu-ns/call"), median(q, "paved-cpu-ns/call"), pf, pn, pd, median(q, "decoded/floor"), median(q, "floor-allocs/call"), median(q, "paved-allocs/call")
      figures = figures sprintf("figure: runfunction-grpc %s %.2fx floor, %.2fx noop, %.2fx decoded\n", q, pf, pn, pd)
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
