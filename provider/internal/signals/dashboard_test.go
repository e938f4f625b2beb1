package signals

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

// dashboardMetrics is the list of metrics the Grafana dashboard may name
// (hack/dashboard, whose test parses the dashboard's PromQL with
// Prometheus's parser in a module of its own).
const dashboardMetrics = "../../../hack/dashboard/metrics.txt"

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// TestDashboardMetricsExported: every metric hack/dashboard/metrics.txt
// lets the dashboard name is one provider-paved describes (this package's
// Collector, the GitHub client's metrics, and crossplane-runtime's managed
// resource metrics and state metrics, which provider/cmd/provider
// registers), of the type the list says where a sample shows it.
func TestDashboardMetricsExported(t *testing.T) {
	f, err := os.Open(dashboardMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" && !strings.HasPrefix(l, "#") {
			fs := strings.Fields(l)
			if len(fs) != 2 {
				t.Fatalf("%s: %q is not \"name type\"", dashboardMetrics, l)
			}
			want[fs[0]] = fs[1]
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}

	sm := statemetrics.NewMRStateMetrics()
	sm.Exists.WithLabelValues("g").Set(1)
	sm.Ready.WithLabelValues("g").Set(1)
	sm.Synced.WithLabelValues("g").Set(1)
	ghclient.RateLimitRemaining.WithLabelValues("dashboard-test").Set(1)
	ghclient.Requests.WithLabelValues("dashboard-test", "GET", "false").Inc()
	ghclient.CacheBytes.WithLabelValues("dashboard-test").Set(1)
	ghclient.CacheEvictions.WithLabelValues("dashboard-test").Inc()
	collectors := []prometheus.Collector{
		NewCollector(reader(t, objects()...), allBut(), logging.NewNopLogger()),
		managed.NewMRMetricRecorder(), sm,
		ghclient.RateLimitRemaining, ghclient.Requests, ghclient.CacheBytes, ghclient.CacheEvictions,
	}
	described := map[string]bool{}
	for _, c := range collectors {
		ch := make(chan *prometheus.Desc, 32)
		c.Describe(ch)
		close(ch)
		for d := range ch {
			if m := fqName.FindStringSubmatch(d.String()); m != nil {
				described[m[1]] = true
			}
		}
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collectors...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, mf := range mfs {
		types[mf.GetName()] = strings.ToLower(dto.MetricType_name[int32(mf.GetType())])
	}

	for name, typ := range want {
		if !described[name] {
			t.Errorf("%s names %s, which provider-paved does not describe", dashboardMetrics, name)
			continue
		}
		// crossplane-runtime's MRMetricRecorder records only from its
		// reconciler; its four metrics are histograms
		// (pkg/reconciler/managed/metrics.go, NewMRMetricRecorder).
		if got, ok := types[name]; ok && got != typ {
			t.Errorf("%s says %s is a %s; provider-paved exports a %s", dashboardMetrics, name, typ, got)
		}
	}
	for _, n := range []string{NameCreations, NameProvisioning, NameSelfService, NameActive, "paved_github_rate_limit_remaining", "crossplane_managed_resource_exists"} {
		if _, ok := want[n]; !ok {
			t.Errorf("%s lacks %s", dashboardMetrics, n)
		}
	}
}
