// Package dashboard tests the Grafana dashboard of provider-paved's install
// artefacts.
package dashboard

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

const source = "../../package/provider/install/dashboard.yaml"

type configMap struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
}

type panel struct {
	ID      int     `json:"id"`
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

type dashboard struct {
	Title  string  `json:"title"`
	UID    string  `json:"uid"`
	Panels []panel `json:"panels"`
}

// files are the dashboard's source and, after make xpkg, the install
// artefact (PAVED_XPKG_DIR, as make xpkg-test sets it).
func files(t *testing.T) []string {
	t.Helper()
	fs := []string{source}
	if d := os.Getenv("PAVED_XPKG_DIR"); d != "" {
		fs = append(fs, filepath.Join(d, "install", "provider-dashboard.yaml"))
	}
	return fs
}

func read(t *testing.T, file string) dashboard {
	t.Helper()
	b, err := os.ReadFile(file) //nolint:gosec // the repo's own file.
	if err != nil {
		t.Fatal(err)
	}
	var cm configMap
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	// The guide's ConfigMap, which the Grafana chart's sidecar loads by
	// this label (sidecar.dashboards.label, default grafana_dashboard).
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Metadata.Labels["grafana_dashboard"] != "1" {
		t.Fatalf("%s: want a v1 ConfigMap labelled grafana_dashboard: \"1\", got %s %s labels %v", file, cm.APIVersion, cm.Kind, cm.Metadata.Labels)
	}
	if len(cm.Data) != 1 {
		t.Fatalf("%s: want one dashboard JSON in data, got %d keys", file, len(cm.Data))
	}
	var d dashboard
	for k, v := range cm.Data {
		if !strings.HasSuffix(k, ".json") {
			t.Errorf("%s: data key %q does not end in .json (the sidecar writes it as a file Grafana loads)", file, k)
		}
		dec := json.NewDecoder(strings.NewReader(v))
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: %s: %v", file, k, err)
		}
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("%s: dashboard without title, uid or panels", file)
	}
	return d
}

// allowed reads metrics.txt: the names provider-paved exports, with their
// types (provider/internal/signals TestDashboardMetricsExported checks
// them against what provider-paved describes).
func allowed(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only.
	m := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		l := strings.TrimSpace(s.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		fs := strings.Fields(l)
		if len(fs) != 2 {
			t.Fatalf("metrics.txt: %q is not \"name type\"", l)
		}
		m[fs[0]] = fs[1]
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// grafanaVariables are the variables Grafana substitutes in a query before
// Prometheus sees it (https://grafana.com/docs/grafana/latest/datasources/prometheus/template-variables/,
// "Use $__rate_interval"; global variables: $__interval, $__range). The
// values are ones Grafana may substitute.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "30s", "$__range", "7d")

var variable = regexp.MustCompile(`\$\{?[A-Za-z_]`)

// metricName is the name a selector selects: its name, or its __name__
// equality matcher.
func metricName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// exported says whether name is a series provider-paved exports: a metric
// of metrics.txt, or a histogram's _bucket, _sum or _count series
// (https://prometheus.io/docs/concepts/metric_types/#histogram).
func exported(allow map[string]string, name string) bool {
	if _, ok := allow[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && allow[base] == "histogram" {
			return true
		}
	}
	return false
}

// TestDashboard parses every panel's PromQL with Prometheus's parser and
// checks that each metric it names is one provider-paved exports.
func TestDashboard(t *testing.T) {
	allow := allowed(t)
	p := parser.NewParser(parser.Options{})
	for _, file := range files(t) {
		d := read(t, file)
		ids := map[int]bool{}
		exprs := 0
		var walk func(ps []panel)
		walk = func(ps []panel) {
			for _, pn := range ps {
				if ids[pn.ID] {
					t.Errorf("%s: panel id %d twice", file, pn.ID)
				}
				ids[pn.ID] = true
				walk(pn.Panels)
				if pn.Type == "row" {
					continue
				}
				if len(pn.Targets) == 0 {
					t.Errorf("%s: panel %q has no query", file, pn.Title)
				}
				for _, tg := range pn.Targets {
					exprs++
					q := grafanaVariables.Replace(tg.Expr)
					if variable.MatchString(q) {
						t.Errorf("%s: panel %q query %s: a variable Grafana does not substitute: %s", file, pn.Title, tg.RefID, tg.Expr)
						continue
					}
					e, err := p.ParseExpr(q)
					if err != nil {
						t.Errorf("%s: panel %q query %s does not parse: %v\n%s", file, pn.Title, tg.RefID, err, tg.Expr)
						continue
					}
					names := 0
					parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
						vs, ok := n.(*parser.VectorSelector)
						if !ok {
							return nil
						}
						names++
						if name := metricName(vs); !exported(allow, name) {
							t.Errorf("%s: panel %q query %s names %q, which provider-paved does not export (hack/dashboard/metrics.txt)", file, pn.Title, tg.RefID, name)
						}
						return nil
					})
					if names == 0 {
						t.Errorf("%s: panel %q query %s selects no metric", file, pn.Title, tg.RefID)
					}
				}
			}
		}
		walk(d.Panels)
		if exprs == 0 {
			t.Errorf("%s: no queries", file)
		}
		t.Logf("%s: %d panels, %d queries parsed", file, len(ids), exprs)
	}
}

// TestDashboardRefusesOthers: the check refuses what the guide's own
// dashboard names but paved does not export, and a query that does not
// parse, so TestDashboard can fail.
func TestDashboardRefusesOthers(t *testing.T) {
	allow := allowed(t)
	p := parser.NewParser(parser.Options{})
	for _, q := range []string{
		`sum(increase(argocd_app_sync_total{phase="Succeeded"}[1d])) by (name)`,
		`histogram_quantile(0.95, sum(rate(crossplane_claim_ready_duration_seconds_bucket[7d])) by (le, kind))`,
		`sum(platform_active_services_bucket)`,
		`{__name__="platform_deployments_total"}`,
	} {
		e, err := p.ParseExpr(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		bad := false
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && !exported(allow, metricName(vs)) {
				bad = true
			}
			return nil
		})
		if !bad {
			t.Errorf("%s: accepted", q)
		}
	}
	if _, err := p.ParseExpr(`sum by (le (platform_provisioning_duration_seconds_bucket)`); err == nil {
		t.Error("an unbalanced query parsed")
	}
}
