//go:build rss

// Built only with -tags rss: make rss (part of make test) runs it against
// the binary make function builds; it measures and needs that binary.

package fn

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// envRSSFunction names the function-paved binary TestRSSAfterMixedRequests
// measures (hack/bench-ratio.sh sets it to bin/function).
const envRSSFunction = "PAVED_RSS_FUNCTION"

// rssRequests is how many requests TestRSSAfterMixedRequests sends.
const rssRequests = 10000

// rssBudgetMiB is the function's resident-memory budget after 10,000 mixed
// requests. It leaves room above what the shipped build measures
// (docs/performance.md), so that the assertion does not move with the
// machine's load; linking client-go again would use most of that room,
// and TestNoHeavyDependencies (fn/cmd/function) refuses that import itself.
const rssBudgetMiB = 40

// TestRSSAfterMixedRequests runs the function binary named by
// PAVED_RSS_FUNCTION, sends it 10,000 requests over gRPC on loopback (a
// DatabaseClaim, a BucketClaim and a ServiceBundle in turn, each with a new
// name and uid, so that every request is a first reconcile) and reports its resident memory (VmRSS, split into anonymous
// memory and pages of mapped files, i.e. of the binary) at rest before the
// first request, after the first and after all of them, and its peak
// (VmHWM). It fails if the resident memory after the requests is above
// rssBudgetMiB.
func TestRSSAfterMixedRequests(t *testing.T) {
	bin := os.Getenv(envRSSFunction)
	if bin == "" {
		t.Fatal(envRSSFunction + " is not set: run hack/bench-ratio.sh, which builds the function and sets it")
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	cmd := exec.Command(bin, "--insecure", "--address", addr, "--metrics-address", "")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := fnv1.NewFunctionRunnerServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// At rest: serving, before any request.
	hc := healthgrpc.NewHealthClient(conn)
	for attempt := 0; ; attempt++ {
		if _, err = hc.Check(ctx, &healthgrpc.HealthCheckRequest{}); err == nil || attempt == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond) // the binary is still starting
	}
	if err != nil {
		t.Fatalf("health check: %v", err)
	}
	rest := vm(t, cmd.Process.Pid)

	templates := []*fnv1.RunFunctionRequest{firstReconcile("database"), firstReconcile("bucket"), serviceBundleFirstReconcile()}
	for i := range templates {
		templates[i].Input = runReq(bundleInput, nil).GetInput()
	}
	var before map[string]float64
	for i := range rssRequests {
		req := proto.Clone(templates[i%len(templates)]).(*fnv1.RunFunctionRequest)
		md := req.GetObserved().GetComposite().GetResource().GetFields()["metadata"].GetStructValue()
		md.Fields["name"] = structpb.NewStringValue(fmt.Sprintf("claim-%d-x7k2p", i))
		md.Fields["uid"] = structpb.NewStringValue(fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
		rsp, err := c.RunFunction(ctx, req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if i == 0 {
			before = vm(t, cmd.Process.Pid)
		}
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				t.Fatalf("request %d refused: %s", i, r.GetMessage())
			}
		}
	}
	after := vm(t, cmd.Process.Pid)
	t.Logf("figure: function-paved RSS at rest %.1f MiB (%.1f MiB anonymous, %.1f MiB of mapped files)", rest["VmRSS"], rest["RssAnon"], rest["RssFile"])
	t.Logf("figure: function-paved RSS after the first request %.1f MiB (%.1f MiB anonymous, %.1f MiB of mapped files)", before["VmRSS"], before["RssAnon"], before["RssFile"])
	t.Logf("figure: function-paved RSS %.1f MiB after %d mixed requests (%.1f MiB anonymous, %.1f MiB of mapped files; peak %.1f MiB); %.2f s of CPU",
		after["VmRSS"], rssRequests, after["RssAnon"], after["RssFile"], after["VmHWM"], cpuSeconds(t, cmd.Process.Pid))
	if after["VmRSS"] > rssBudgetMiB {
		t.Errorf("function-paved is resident in %.1f MiB after %d mixed requests, more than issue 9's budget of %d MiB", after["VmRSS"], rssRequests, rssBudgetMiB)
	}
}

// cpuSeconds reads the user and system CPU time a process has used from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s: proc(5)).
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	fs := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, _ := strconv.ParseFloat(fs[11], 64)
	stime, _ := strconv.ParseFloat(fs[12], 64)
	return (utime + stime) / 100
}

// vm reads the memory figures (MiB) of a process from /proc/PID/status.
func vm(t *testing.T, pid int) map[string]float64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]float64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok || !strings.HasPrefix(k, "Vm") && !strings.HasPrefix(k, "Rss") {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 2 && fs[1] == "kB" {
			n, _ := strconv.ParseFloat(fs[0], 64)
			out[k] = n / 1024
		}
	}
	return out
}
