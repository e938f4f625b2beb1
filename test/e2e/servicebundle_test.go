//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var (
	bundleInstallOnce sync.Once
	bundleInstalled   bool
)

// requireServiceBundle installs what a ServiceBundle composes besides
// paved's other kinds: Argo CD's CRDs (Argo CD itself does not run: the
// test plays it), paved's provider CRDs (package/crds; the provider does not
// run: the test plays it) and the ServiceBundle's XRD and Composition.
func requireServiceBundle(t *testing.T) {
	t.Helper()
	requireInstalled(t)
	bundleInstallOnce.Do(func() { bundleInstalled = t.Run("install-servicebundle", testInstallServiceBundle) })
	if !bundleInstalled {
		t.Fatal("installing the ServiceBundle failed")
	}
}

func testInstallServiceBundle(t *testing.T) {
	ctx := context.Background()
	begin := time.Now()
	var crds []*unstructured.Unstructured
	argo, _ := filepath.Glob(filepath.Join(os.Getenv(envArgoCDCRDs), "*-crd.yaml"))
	paved, _ := filepath.Glob(filepath.Join(repoRoot, "package", "crds", "*.yaml"))
	for _, f := range append(argo, paved...) {
		crds = append(crds, readObjects(t, f)...)
	}
	createAll(ctx, t, crds...)
	for _, c := range crds {
		waitCondition(ctx, t, time.Minute, crdAPIVersion, "CustomResourceDefinition", "", c.GetName(), "Established", "True")
	}
	// The XRD must be accepted by a real API server: its CEL rules are
	// compiled, and their cost estimated, when Crossplane creates the
	// claim's and the composite's CRDs.
	createAll(ctx, t, readObjects(t, filepath.Join(repoRoot, "apis", "servicebundle", "definition.yaml"))...)
	const xrd = "xservicebundles." + group
	waitCondition(ctx, t, 2*time.Minute, xrdAPIVersion, "CompositeResourceDefinition", "", xrd, "Established", "True")
	waitCondition(ctx, t, 2*time.Minute, xrdAPIVersion, "CompositeResourceDefinition", "", xrd, "Offered", "True")
	createAll(ctx, t, readObjects(t, filepath.Join(repoRoot, "apis", "servicebundle", "composition.yaml"))...)
	createNamespace(ctx, t, "argocd")
	t.Logf("figure: %d CRDs and the ServiceBundle XRD installed in %.1fs", len(crds), time.Since(begin).Seconds())
}

// TestServiceBundle creates a ServiceBundle on the real control plane and
// plays the provider and Argo CD: the claim composes the repository, its
// catalog-info.yaml and the nested database and bucket at once; the
// registration, its ClusterUsage and the Applications once the repository
// reports its clone URL and the file is committed; the nested database is
// composed by its own Composition with its secret in the team's namespace;
// and the API server refuses what the XRD forbids.
func TestServiceBundle(t *testing.T) {
	requireServiceBundle(t)
	ctx := context.Background()
	const ns, name = "team-orders", "orders-api"
	createNamespace(ctx, t, ns)

	// The API server checks the claim's name (the XRD's root CEL rule).
	bad := newClaim("ServiceBundle", ns, "orders--api", map[string]any{"description": "d", "owner": "orders", "template": "go-service"})
	if err := cp.Client.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "service's name") {
		t.Errorf("a claim named orders--api: got %v, want the API server to refuse the name", err)
	}

	claim := newClaim("ServiceBundle", ns, name, map[string]any{
		"description": "Orders API", "owner": "orders", "template": "node-service",
		"database":     map[string]any{"engine": "postgresql", "size": "small"},
		"bucket":       map[string]any{},
		"environments": []any{"staging", "production"},
	})
	created := time.Now()
	if err := cp.Client.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	xr := waitComposed(ctx, t, ns, name, []string{"Repository", "RepositoryFile", "XDatabase", "XBucket"})
	t.Logf("figure: ServiceBundle %s/%s composed %d resources %.2fs after the claim was created", ns, name, len(resourceRefs(xr)), time.Since(created).Seconds())
	c, _ := waitCondition(ctx, t, time.Minute, claimVersion, "ServiceBundle", ns, name, "CatalogRegistered", "False")
	if _, reason, _ := condition(c, "CatalogRegistered"); reason != "Waiting" {
		t.Errorf("claim CatalogRegistered reason %q, want Waiting: %s", reason, conditionsString(c))
	}

	refs := map[string]ref{}
	for _, r := range resourceRefs(xr) {
		refs[r.Kind] = r
	}
	// The nested database: composed by apis/database's Composition, its
	// connection secret in the claim's namespace.
	db, err := get(ctx, claimVersion, "XDatabase", "", refs["XDatabase"].Name)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "XDatabase spec.writeConnectionSecretToRef.namespace", field(db, "spec", "writeConnectionSecretToRef", "namespace"), ns)
	eventually(ctx, t, waitLimit, "the nested XDatabase composes its RDS instance", func(ctx context.Context) error {
		db, err := get(ctx, claimVersion, "XDatabase", "", refs["XDatabase"].Name)
		if err != nil {
			return err
		}
		for _, r := range resourceRefs(db) {
			if r.Kind == "Instance" {
				return nil
			}
		}
		return fmt.Errorf("XDatabase lists %v; conditions: %s", resourceRefs(db), conditionsString(db))
	})

	// Play the provider: the repository exists, the file is committed.
	repo := refs["Repository"]
	expect(t, "Repository name", repo.Name, name)
	if err := markReady(ctx, repo, map[string]any{
		"fullName": "acme/" + name, "htmlURL": "https://github.com/acme/" + name,
		"cloneURL": "https://github.com/acme/" + name + ".git", "defaultBranch": "main",
	}); err != nil {
		t.Fatal(err)
	}
	if err := markReady(ctx, refs["RepositoryFile"], map[string]any{"commitSHA": "7f3a9c2e4b1d8f6a0c5e9b2d4f7a1c3e5b8d0f2a"}); err != nil {
		t.Fatal(err)
	}
	xr = waitComposed(ctx, t, ns, name, []string{"Repository", "RepositoryFile", "CatalogLocation", "ClusterUsage", "XDatabase", "XBucket", "Application", "Application", "Usage", "Usage"})

	var apps []string
	for _, r := range resourceRefs(xr) {
		if r.Kind != "Application" {
			continue
		}
		// Crossplane lists what it composes before it has applied all of it.
		var app *unstructured.Unstructured
		eventually(ctx, t, time.Minute, "Application argocd/"+r.Name+" exists", func(ctx context.Context) error {
			var err error
			app, err = get(ctx, "argoproj.io/v1alpha1", "Application", "argocd", r.Name)
			return err
		})
		apps = append(apps, r.Name)
		expect(t, r.Name+" destination namespace", field(app, "spec", "destination", "namespace"), ns)
		expect(t, r.Name+" source repoURL", field(app, "spec", "source", "repoURL"), "https://github.com/acme/"+name+".git")
		if !slices.Contains(app.GetFinalizers(), "resources-finalizer.argocd.argoproj.io") {
			t.Errorf("%s finalizers %v, want Argo CD's resources finalizer", r.Name, app.GetFinalizers())
		}
		automated := field(app, "spec", "syncPolicy", "automated") != nil
		expect(t, r.Name+" automated sync", automated, strings.HasSuffix(r.Name, "-staging"))
	}
	slices.Sort(apps)
	expect(t, "Applications", apps, []string{name + "-production", name + "-staging"})

	// The API server refuses what would lose data or cannot be applied.
	c, err = get(ctx, claimVersion, "ServiceBundle", ns, name)
	if err != nil {
		t.Fatal(err)
	}
	for what, tc := range map[string]struct {
		change func(spec map[string]any)
		rule   string // the XRD's message
	}{
		"a template change":     {func(spec map[string]any) { spec["template"] = "go-service" }, "template is immutable"},
		"removing the database": {func(spec map[string]any) { delete(spec, "database") }, "the database cannot be removed"},
		"an engine change":      {func(spec map[string]any) { spec["database"].(map[string]any)["engine"] = "mysql" }, "engine is immutable"},
	} {
		u := c.DeepCopy()
		tc.change(u.Object["spec"].(map[string]any))
		err := cp.Client.Update(ctx, u)
		if err == nil || !strings.Contains(err.Error(), tc.rule) {
			t.Errorf("%s: got %v, want the API server to refuse it (%q)", what, err, tc.rule)
		}
	}
}

// waitComposed waits until the claim's composite lists exactly the kinds
// want (a kind twice for two resources of it) and returns the composite.
func waitComposed(ctx context.Context, t *testing.T, ns, name string, want []string) *unstructured.Unstructured {
	t.Helper()
	slices.Sort(want)
	var xr *unstructured.Unstructured
	eventually(ctx, t, waitLimit, fmt.Sprintf("ServiceBundle %s/%s composes %v", ns, name, want), func(ctx context.Context) error {
		c, err := get(ctx, claimVersion, "ServiceBundle", ns, name)
		if err != nil {
			return err
		}
		xrName, _, _ := unstructured.NestedString(c.Object, "spec", "resourceRef", "name")
		if xrName == "" {
			return fmt.Errorf("claim has no spec.resourceRef yet; conditions: %s", conditionsString(c))
		}
		u, err := get(ctx, claimVersion, "XServiceBundle", "", xrName)
		if err != nil {
			return err
		}
		var got []string
		for _, r := range resourceRefs(u) {
			got = append(got, r.Kind)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fmt.Errorf("composite lists %v; conditions: %s", got, conditionsString(u))
		}
		xr = u
		return nil
	})
	return xr
}
