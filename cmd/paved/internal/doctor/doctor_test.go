package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// The constraints doctor checks are those of paved's packages: the
// Configuration's dependsOn and every package's Crossplane version.
func TestConstraintsMatchPackages(t *testing.T) {
	type meta struct {
		Spec struct {
			Crossplane struct {
				Version string `json:"version"`
			} `json:"crossplane"`
			DependsOn []struct {
				Kind    string `json:"kind"`
				Package string `json:"package"`
				Version string `json:"version"`
			} `json:"dependsOn"`
		} `json:"spec"`
	}
	read := func(path string) meta {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", path))
		if err != nil {
			t.Fatal(err)
		}
		var m meta
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return m
	}
	conf := read("crossplane.yaml")
	var want []Package
	for _, d := range conf.Spec.DependsOn {
		want = append(want, Package{Kind: d.Kind, Name: d.Package[strings.LastIndexByte(d.Package, '/')+1:], Constraint: d.Version})
	}
	if diff := cmp.Diff(want, Packages); diff != "" {
		t.Errorf("Packages differ from crossplane.yaml's dependsOn (-want +got):\n%s", diff)
	}
	for _, p := range []string{"crossplane.yaml", "package/crossplane.yaml"} {
		if got := read(p).Spec.Crossplane.Version; got != CrossplaneConstraint {
			t.Errorf("%s: spec.crossplane.version %q, doctor checks %q", p, got, CrossplaneConstraint)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cases := map[string]struct {
		args []string
		want map[string]string
	}{
		"EqualsAndSpace": {
			args: []string{"--circuit-breaker-burst=500", "--poll-interval", "5m", "-d"},
			want: map[string]string{"circuit-breaker-burst": "500", "poll-interval": "5m"},
		},
		"LoneBooleanDoesNotTakeTheNextArgument": {
			args: []string{"--enable-realtime-compositions", "--webhook-enabled=false"},
			want: map[string]string{"enable-realtime-compositions": "true", "enable-webhooks": "false"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseFlags(tc.args)); diff != "" {
				t.Errorf("parseFlags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitPackage(t *testing.T) {
	cases := map[string][2]string{
		"xpkg.paved.dev/paved-dev/function-paved:v0.1.0":      {"xpkg.paved.dev/paved-dev/function-paved", "v0.1.0"},
		"localhost:5000/paved-dev/provider-paved:v0.2.0":      {"localhost:5000/paved-dev/provider-paved", "v0.2.0"},
		"localhost:5000/paved-dev/provider-paved":             {"localhost:5000/paved-dev/provider-paved", ""},
		"xpkg.upbound.io/upbound/provider-aws-s3@sha256:0123": {"xpkg.upbound.io/upbound/provider-aws-s3", ""},
	}
	for ref, want := range cases {
		repo, tag := splitPackage(ref)
		if diff := cmp.Diff(want, [2]string{repo, tag}); diff != "" {
			t.Errorf("splitPackage(%q) (-want +got):\n%s", ref, diff)
		}
	}
}
