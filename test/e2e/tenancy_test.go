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
	refusedOver(ctx, t, ns, name, handMade, "DeliveryReady",
		"Application argocd/"+app+", the staging Application of this bundle, exists and was not created by it (its controller: none)",
		[]string{"resourceVersion"}, []string{"finalizers"})
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
	// The provider writes the status of what it cannot reach (Synced=False):
	// the resourceVersion moves, what was made does not.
	refusedOver(ctx, t, ns, name, handMade, "RepositoryReady",
		"Repository "+name+", the repository this XServiceBundle composes, exists and was not created by it (its controller: none)")
}

// refusedOver creates handMade, then a ServiceBundle claim ns/name
// ({"environments": ["staging"]}) that would compose an object of
// handMade's name, and checks that paved refuses it: the claim's condition
// typ, and every other condition of the bundle, is False with reason
// Conflict, typ's message and a Warning event say want, the composite
// composes nothing, and handMade keeps its labels, annotations, owner
// references and spec, and the metadata fields named in keep too.
func refusedOver(ctx context.Context, t *testing.T, ns, name string, handMade *unstructured.Unstructured, typ, want string, keep ...[]string) {
	t.Helper()
	if err := cp.Client.Create(ctx, handMade); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), handMade); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("delete the hand-made %s: %v", handMade.GetKind(), err)
		}
	})
	before, err := get(ctx, handMade.GetAPIVersion(), handMade.GetKind(), handMade.GetNamespace(), handMade.GetName())
	if err != nil {
		t.Fatal(err)
	}

	claim := newClaim("ServiceBundle", ns, name, map[string]any{
		"description": "Someone else's name", "template": "go-service", "environments": []any{"staging"},
	})
	if err := cp.Client.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), claim); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("delete the claim: %v", err)
		}
	})

	var c *unstructured.Unstructured
	eventually(ctx, t, waitLimit, "ServiceBundle "+ns+"/"+name+" refused with Conflict", func(ctx context.Context) error {
		u, err := get(ctx, claimVersion, "ServiceBundle", ns, name)
		if err != nil {
			return err
		}
		if s, reason, msg := condition(u, typ); s != "False" || reason != "Conflict" || !strings.Contains(msg, want) {
			return fmt.Errorf("conditions: %s", conditionsString(u))
		}
		c = u
		return nil
	})
	for _, other := range []string{"RepositoryReady", "CatalogRegistered", "DeliveryReady"} {
		if s, reason, _ := condition(c, other); s != "False" || reason != "Conflict" {
			t.Errorf("claim %s=%s (%s), want False (Conflict): %s", other, s, reason, conditionsString(c))
		}
	}
	// Events are recorded asynchronously (client-go's event broadcaster),
	// so the Warning may trail the condition: wait for it.
	eventually(ctx, t, waitLimit, "a Warning event on the claim names the "+handMade.GetKind(), func(ctx context.Context) error {
		evs, err := events(ctx, ns, "ServiceBundle", name)
		if err != nil {
			return err
		}
		if !strings.Contains(strings.Join(evs, "\n"), want) {
			return fmt.Errorf("no event names the %s; events: %v", handMade.GetKind(), evs)
		}
		return nil
	})

	// Nothing is composed: the refusal stops the pipeline before Crossplane
	// applies anything.
	if xrName, _, _ := unstructured.NestedString(c.Object, "spec", "resourceRef", "name"); xrName != "" {
		xr, err := get(ctx, claimVersion, "XServiceBundle", "", xrName)
		if err != nil {
			t.Fatal(err)
		}
		if refs := resourceRefs(xr); len(refs) != 0 {
			t.Errorf("the refused bundle composed %v", refs)
		}
	}

	after, err := get(ctx, handMade.GetAPIVersion(), handMade.GetKind(), handMade.GetNamespace(), handMade.GetName())
	if err != nil {
		t.Fatal(err)
	}
	paths := [][]string{{"metadata", "labels"}, {"metadata", "annotations"}, {"metadata", "ownerReferences"}, {"spec"}}
	for _, k := range keep {
		paths = append(paths, append([]string{"metadata"}, k...))
	}
	for _, path := range paths {
		if diff := cmp.Diff(field(before, path...), field(after, path...)); diff != "" {
			t.Errorf("the hand-made %s's %s changed: -before, +after:\n%s", handMade.GetKind(), strings.Join(path, "."), diff)
		}
	}
}
