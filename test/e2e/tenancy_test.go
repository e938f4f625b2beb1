//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestServiceBundleApplicationTaken: an Application someone made by hand in
// Argo CD's shared namespace, with the name paved would give a bundle's
// Application, exists before the bundle. Crossplane would take it over
// (server-side apply with ForceOwnership adopts an object without a
// controller reference); paved requires it by name first, and refuses:
// the claim says Conflict, naming the Application, and the Application is
// the same object it was (resourceVersion, spec, labels, annotations, owner
// references); nothing is composed.
func TestServiceBundleApplicationTaken(t *testing.T) {
	// Nothing is composed, so it runs with or without the golden path's
	// provider.
	requireServiceBundle(t)
	ctx := context.Background()
	const ns, name = "team-squat", "squat-api"
	createNamespace(ctx, t, ns)

	app := appName(ns, name, "staging")
	handMade := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": appAPIVersion,
		"kind":       "Application",
		"metadata": map[string]any{
			"name": app, "namespace": "argocd",
			"labels":      map[string]any{"team": "someone-else", "made-by": "hand"},
			"annotations": map[string]any{"note": "not paved's"},
		},
		"spec": map[string]any{
			"project": "default",
			"source": map[string]any{
				"repoURL": "https://github.com/someone-else/squat.git", "targetRevision": "main", "path": "deploy",
			},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "someone-else"},
		},
	}}
	if err := cp.Client.Create(ctx, handMade); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), handMade); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("delete the hand-made Application: %v", err)
		}
	})
	before, err := get(ctx, appAPIVersion, "Application", "argocd", app)
	if err != nil {
		t.Fatal(err)
	}

	claim := newClaim("ServiceBundle", ns, name, map[string]any{
		"description": "Squat API", "template": "go-service", "environments": []any{"staging"},
	})
	if err := cp.Client.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), claim); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("delete the claim: %v", err)
		}
	})

	want := "Application argocd/" + app + ", the staging Application of this bundle, exists and was not created by it (its controller: none)"
	var c *unstructured.Unstructured
	eventually(ctx, t, waitLimit, "ServiceBundle "+ns+"/"+name+" refused with Conflict", func(ctx context.Context) error {
		u, err := get(ctx, claimVersion, "ServiceBundle", ns, name)
		if err != nil {
			return err
		}
		if s, reason, msg := condition(u, "DeliveryReady"); s != "False" || reason != "Conflict" || !strings.Contains(msg, want) {
			return fmt.Errorf("conditions: %s", conditionsString(u))
		}
		c = u
		return nil
	})
	for _, typ := range []string{"RepositoryReady", "CatalogRegistered"} {
		if s, reason, _ := condition(c, typ); s != "False" || reason != "Conflict" {
			t.Errorf("claim %s=%s (%s), want False (Conflict): %s", typ, s, reason, conditionsString(c))
		}
	}
	// Events are recorded asynchronously (client-go's event broadcaster),
	// so the Warning may trail the condition: wait for it.
	eventually(ctx, t, waitLimit, "a Warning event on the claim names the Application", func(ctx context.Context) error {
		evs, err := events(ctx, ns, "ServiceBundle", name)
		if err != nil {
			return err
		}
		if !strings.Contains(strings.Join(evs, "\n"), want) {
			return fmt.Errorf("no event names the Application; events: %v", evs)
		}
		return nil
	})

	// Nothing is composed: the refusal stops the pipeline before Crossplane
	// applies anything.
	xrName, _, _ := unstructured.NestedString(c.Object, "spec", "resourceRef", "name")
	if xrName != "" {
		xr, err := get(ctx, claimVersion, "XServiceBundle", "", xrName)
		if err != nil {
			t.Fatal(err)
		}
		if refs := resourceRefs(xr); len(refs) != 0 {
			t.Errorf("the refused bundle composed %v", refs)
		}
	}

	after, err := get(ctx, appAPIVersion, "Application", "argocd", app)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range [][]string{
		{"metadata", "resourceVersion"}, {"metadata", "labels"}, {"metadata", "annotations"},
		{"metadata", "ownerReferences"}, {"metadata", "finalizers"}, {"spec"},
	} {
		if diff := cmp.Diff(field(before, path...), field(after, path...)); diff != "" {
			t.Errorf("the hand-made Application's %s changed: -before, +after:\n%s", strings.Join(path, "."), diff)
		}
	}
}

// TestServiceBundleRepositoryTaken: a Repository object of the name a
// bundle's repository gets (the service's name, which any tenant may
// choose) exists before the bundle, made by hand or left behind by a
// bundle deleted with --cascade=orphan. Crossplane would take it over as
// it would the Application above, and the new bundle would own, rewrite and
// on deletion archive someone else's repository. paved requires every
// object it is about to create by name and refuses: the claim says
// Conflict, naming the Repository, nothing is composed, and the Repository
// keeps its spec, labels and owners.
func TestServiceBundleRepositoryTaken(t *testing.T) {
	requireServiceBundle(t)
	ctx := context.Background()
	const ns, name = "team-taken", "taken-api"
	createNamespace(ctx, t, ns)

	handMade := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "github.paved.dev/v1alpha1",
		"kind":       "Repository",
		"metadata": map[string]any{
			"name":   name,
			"labels": map[string]any{"team": "someone-else", "made-by": "hand"},
		},
		"spec": map[string]any{
			"deletionPolicy": "Orphan",
			// A ProviderConfig that does not exist: the provider leaves
			// GitHub alone, and the object stays as it was made.
			"providerConfigRef": map[string]any{"name": "someone-elses-github"},
			"forProvider": map[string]any{
				"owner": "someone-else", "description": "not paved's", "visibility": "private",
			},
		},
	}}
	if err := cp.Client.Create(ctx, handMade); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), handMade); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("delete the hand-made Repository: %v", err)
		}
	})
	before, err := get(ctx, "github.paved.dev/v1alpha1", "Repository", "", name)
	if err != nil {
		t.Fatal(err)
	}

	claim := newClaim("ServiceBundle", ns, name, map[string]any{
		"description": "Taken API", "template": "go-service", "environments": []any{"staging"},
	})
	if err := cp.Client.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), claim); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("delete the claim: %v", err)
		}
	})

	want := "Repository " + name + ", the repository this XServiceBundle composes, exists and was not created by it (its controller: none)"
	var c *unstructured.Unstructured
	eventually(ctx, t, waitLimit, "ServiceBundle "+ns+"/"+name+" refused with Conflict", func(ctx context.Context) error {
		u, err := get(ctx, claimVersion, "ServiceBundle", ns, name)
		if err != nil {
			return err
		}
		if s, reason, msg := condition(u, "RepositoryReady"); s != "False" || reason != "Conflict" || !strings.Contains(msg, want) {
			return fmt.Errorf("conditions: %s", conditionsString(u))
		}
		c = u
		return nil
	})
	xrName, _, _ := unstructured.NestedString(c.Object, "spec", "resourceRef", "name")
	if xrName != "" {
		xr, err := get(ctx, claimVersion, "XServiceBundle", "", xrName)
		if err != nil {
			t.Fatal(err)
		}
		if refs := resourceRefs(xr); len(refs) != 0 {
			t.Errorf("the refused bundle composed %v", refs)
		}
	}
	after, err := get(ctx, "github.paved.dev/v1alpha1", "Repository", "", name)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range [][]string{
		{"metadata", "labels"}, {"metadata", "annotations"}, {"metadata", "ownerReferences"}, {"spec"},
	} {
		if diff := cmp.Diff(field(before, path...), field(after, path...)); diff != "" {
			t.Errorf("the hand-made Repository's %s changed: -before, +after:\n%s", strings.Join(path, "."), diff)
		}
	}
}
