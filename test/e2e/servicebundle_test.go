//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
// test plays it) and paved's provider CRDs (package/crds; the provider does
// not run: the test plays it). Its XRD and Composition are installed with
// every kind's (TestInstall); a real API server accepts the XRD there (its
// CEL rules are compiled, and their cost estimated, when Crossplane
// creates the claim's and the composite's CRDs).
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
	createNamespace(ctx, t, "argocd")
	t.Logf("figure: %d CRDs for the ServiceBundle installed in %.1fs", len(crds), time.Since(begin).Seconds())
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

// appName is the name paved gives a bundle's Application in Argo CD's
// namespace, "<namespace>--<service>-<environment>", for the short names
// the tests use (longer ones are shortened: fn/servicebundle
// applicationName).
func appName(ns, service, environment string) string {
	return ns + "--" + service + "-" + environment
}
