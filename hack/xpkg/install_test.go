package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInstallManifests checks what `make xpkg` put in install/ next to the
// packages: every file under apis/ that holds only RBAC a Configuration
// cannot carry (crossplane-runtime v2.4.0 pkg/xpkg/lint.go,
// NewConfigurationLinter: XRDs, activation policies, Compositions and
// Operations only), byte for byte, and nothing else. The README's Install
// tells platform teams to `kubectl apply -f _output/xpkg/install/` with
// the Configuration; without these files Crossplane cannot compose Argo CD
// Applications (apis/servicebundle/rbac.yaml, see test/e2e
// TestCrossplaneRBAC) and any tenant could bind a claim to a composite or
// choose its Composition revision (apis/admission/policy.yaml, see test/e2e
// TestClaimAdmission).
func TestInstallManifests(t *testing.T) {
	install := filepath.Join(xpkgDir(t), "install")
	want := map[string][]byte{}
	apis := filepath.Join(repo, "apis")
	err := filepath.WalkDir(apis, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		objs, err := readObjects(p)
		if err != nil || len(objs) == 0 || !all(objs, installManifests) {
			return nil //nolint:nilerr // package content; TestCheckRoot reads it.
		}
		rel, err := filepath.Rel(apis, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p) //nolint:gosec // the repo's own files.
		want[strings.ReplaceAll(rel, string(filepath.Separator), "-")] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"servicebundle-rbac.yaml", "admission-policy.yaml"} {
		if _, ok := want[f]; !ok {
			t.Fatalf("apis/%s is not an install manifest; found %v", strings.Replace(f, "-", "/", 1), sortedKeys(want))
		}
	}
	// provider-paved's: its platform metrics' read access (a Crossplane v2
	// provider package cannot request it; provider/internal/signals
	// TestRBACCoversSources checks its rules) and their Grafana dashboard
	// (hack/dashboard's test parses its PromQL).
	provider, err := filepath.Glob(filepath.Join(repo, "package", "provider", "install", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range provider {
		b, err := os.ReadFile(p) //nolint:gosec // the repo's own files.
		if err != nil {
			t.Fatal(err)
		}
		want["provider-"+filepath.Base(p)] = b
	}
	// The day-two checks' CronOperation (package/operations), opt-in.
	ops, err := filepath.Glob(filepath.Join(repo, "package", "operations", "*.yaml"))
	if err != nil || len(ops) == 0 {
		t.Fatalf("package/operations: %v %v", ops, err)
	}
	for _, p := range ops {
		b, err := os.ReadFile(p) //nolint:gosec // the repo's own files.
		if err != nil {
			t.Fatal(err)
		}
		want["operation-"+filepath.Base(p)] = b
	}
	for _, f := range []string{"provider-platform-metrics-rbac.yaml", "provider-dashboard.yaml"} {
		if _, ok := want[f]; !ok {
			t.Fatalf("package/provider/install/%s is missing; found %v", strings.TrimPrefix(f, "provider-"), sortedKeys(want))
		}
	}
	rbac, err := readObjects(filepath.Join(repo, "package", "provider", "install", "platform-metrics-rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range rbac {
		kinds = append(kinds, o.gvk())
	}
	if diff := cmp.Diff([]string{"rbac.authorization.k8s.io/v1, Kind=ClusterRole", "rbac.authorization.k8s.io/v1, Kind=ClusterRoleBinding", "pkg.crossplane.io/v1beta1, Kind=DeploymentRuntimeConfig"}, kinds); diff != "" {
		t.Errorf("package/provider/install/platform-metrics-rbac.yaml (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(install)
	if err != nil {
		t.Fatalf("%s: %v", install, err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		b, err := os.ReadFile(filepath.Join(install, e.Name())) //nolint:gosec // make xpkg's output.
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := want[e.Name()]; ok && !bytes.Equal(w, b) {
			t.Errorf("%s differs from its source (apis/, package/provider/install/ or package/operations/)", filepath.Join(install, e.Name()))
		}
	}
	if diff := cmp.Diff(sortedKeys(want), got); diff != "" {
		t.Errorf("%s (-apis' install manifests +install/):\n%s", install, diff)
	}
}

func sortedKeys(m map[string][]byte) []string {
	k := make([]string, 0, len(m))
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}
