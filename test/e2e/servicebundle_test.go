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
	waitGarbageCollectorMaps(ctx, t)
}

// waitGarbageCollectorMaps waits until kube-controller-manager's garbage
// collector maps Argo CD's Application kind, installed just before: a
// bundle's Usages are owned by its Applications (core's usage controller
// sets the owner reference to the "by" resource), and the collector
// learns new kinds only when it next syncs with discovery (every 30 s,
// kubernetes cmd/kube-controller-manager garbagecollector.go,
// garbageCollector.Sync). Until then each item whose owner is an
// Application fails ("unable to get REST mapping") and is requeued with
// the work queue's exponential backoff, so a bundle deleted in that
// window has its Repository's deletion attempted minutes late. The probe:
// a ConfigMap owned by an Application that is deleted; the collector
// deletes the ConfigMap once it can map the owner.
//
// The collector must also watch paved's provider kinds, installed in the
// same breath: it deletes only dependents of kinds it monitors, and one
// discovery sync can see Argo CD's kind served and github.paved.dev not yet
// (seen: a bundle deleted 6 s later kept its Repository until the next
// sync). So a paused Repository and a paused CatalogLocation, owned by a
// ClusterRole that is deleted, must go too. Paused, no provider acts on
// them or adds its finalizer (crossplane-runtime
// pkg/reconciler/managed/reconciler.go returns early for a paused
// resource).
func waitGarbageCollectorMaps(ctx context.Context, t *testing.T) {
	t.Helper()
	owner := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
		"metadata": map[string]any{"name": "paved-gc-probe"},
	}}
	if err := cp.Client.Create(ctx, owner); err != nil {
		t.Fatalf("create the garbage collector's probe ClusterRole: %v", err)
	}
	ownerRef := []any{map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": owner.GetName(), "uid": string(owner.GetUID())}}
	paused := map[string]any{"crossplane.io/paused": "true"}
	dependents := []*unstructured.Unstructured{
		{Object: map[string]any{
			"apiVersion": "github.paved.dev/v1alpha1", "kind": "Repository",
			"metadata": map[string]any{"name": "paved-gc-probe", "annotations": paused, "ownerReferences": ownerRef},
			"spec":     map[string]any{"forProvider": map[string]any{"owner": "acme"}},
		}},
		{Object: map[string]any{
			"apiVersion": "backstage.paved.dev/v1alpha1", "kind": "CatalogLocation",
			"metadata": map[string]any{"name": "paved-gc-probe", "annotations": paused, "ownerReferences": ownerRef},
			"spec":     map[string]any{"forProvider": map[string]any{"target": "https://github.com/acme/gc-probe/blob/main/catalog-info.yaml"}},
		}},
	}
	createAll(ctx, t, dependents...)
	if err := cp.Client.Delete(ctx, owner); err != nil {
		t.Fatalf("delete the garbage collector's probe ClusterRole: %v", err)
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": applicationAPIVersion, "kind": "Application",
		"metadata": map[string]any{"namespace": argoCDNamespace, "name": "gc-probe"},
		"spec": map[string]any{"project": "default",
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "gc-probe"},
			"source":      map[string]any{"repoURL": "https://github.com/acme/gc-probe.git", "path": "."}},
	}}
	if err := cp.Client.Create(ctx, app); err != nil {
		t.Fatalf("create the garbage collector's probe Application: %v", err)
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"namespace": argoCDNamespace, "name": "gc-probe", "ownerReferences": []any{map[string]any{
			"apiVersion": applicationAPIVersion, "kind": "Application", "name": app.GetName(), "uid": string(app.GetUID())}}},
	}}
	if err := cp.Client.Create(ctx, cm); err != nil {
		t.Fatalf("create the garbage collector's probe ConfigMap: %v", err)
	}
	begin := time.Now()
	if err := cp.Client.Delete(ctx, app); err != nil {
		t.Fatalf("delete the garbage collector's probe Application: %v", err)
	}
	eventually(ctx, t, 3*time.Minute, "the garbage collector deletes a ConfigMap owned by a deleted Application", func(ctx context.Context) error {
		return absent(ctx, "v1", "ConfigMap", argoCDNamespace, cm.GetName())
	})
	t.Logf("figure: the garbage collector mapped Application %.1fs after the probe's owner was deleted", time.Since(begin).Seconds())
	for _, d := range dependents {
		eventually(ctx, t, 3*time.Minute, "the garbage collector deletes a "+d.GetKind()+" owned by a deleted ClusterRole", func(ctx context.Context) error {
			return absent(ctx, d.GetAPIVersion(), d.GetKind(), "", d.GetName())
		})
	}
	t.Logf("figure: the garbage collector watches paved's provider kinds %.1fs after the probe's owner was deleted", time.Since(begin).Seconds())
}

// waitComposed waits until the claim's composite lists exactly the kinds
// want (a kind twice for two resources of it) and returns the composite.
func waitComposed(ctx context.Context, t *testing.T, ns, name string, want []string) *unstructured.Unstructured {
	t.Helper()
	return waitComposing(ctx, t, ns, name, want, slices.Equal[[]string])
}

// waitComposedAtLeast waits until the claim's composite lists at least
// the kinds want (a kind twice for two resources of it): a bundle whose
// stages follow one another while the test waits.
func waitComposedAtLeast(ctx context.Context, t *testing.T, ns, name string, want []string) *unstructured.Unstructured {
	t.Helper()
	return waitComposing(ctx, t, ns, name, want, func(got, want []string) bool {
		for _, k := range want {
			i := slices.Index(got, k)
			if i < 0 {
				return false
			}
			got = slices.Delete(slices.Clone(got), i, i+1)
		}
		return true
	})
}

func waitComposing(ctx context.Context, t *testing.T, ns, name string, want []string, match func(got, want []string) bool) *unstructured.Unstructured {
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
		if !match(got, want) {
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
