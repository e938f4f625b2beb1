//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// providerFinalizer is the finalizer provider-aws (crossplane-runtime's
// managed reconciler) keeps on a managed resource until the external
// resource is deleted (crossplane-runtime v2.4.0
// pkg/reconciler/managed/reconciler.go, FinalizerName).
const providerFinalizer = "finalizer.managedresource.crossplane.io"

// Crossplane core v2.4.0 (internal/controller/protection/usage and
// internal/webhook/protection/usage): the label a Usage puts on what it
// protects, and the annotation the webhook records when it denies a
// deletion.
const (
	inUseLabel              = "crossplane.io/in-use"
	deletionAttemptAnnotKey = "usage.crossplane.io/deletion-attempt-with-policy"
)

// deletionRefusal plays what AWS answers while a resource cannot be
// deleted: provider-aws keeps its finalizer and reports the API error as
// Synced=False. canDelete says whether AWS would now accept the delete.
type deletionRefusal struct {
	message string
	// canDelete is nil when the AWS stand-in plays the provider
	// (awsstandin_test.go), which refuses and deletes as AWS does.
	canDelete func(u *unstructured.Unstructured) bool
}

// playProviderDeletion plays provider-aws for the managed resource rf once
// it is being deleted: while refusal.canDelete is false it keeps the
// finalizer and sets Synced=False with AWS's message, as provider-aws does
// when the delete call fails; then it removes the finalizer, as provider-aws
// does once the external resource is gone. The channel it returns receives
// once: nil when the resource is gone, or an error.
//
// Like a provider, it goes on until ctx ends, letting go of any object of
// that name it finds being deleted with the finalizer: paved composes its
// objects with their controller's finalizer (fn/internal/compose,
// withControllerFinalizer), and a composite reconcile that began before
// core saw the composite's deletion can apply a composed object once more,
// re-creating one that was just deleted, finalizer included; the garbage
// collector deletes it at once, and only its controller lets it go. Seen
// in a cold .ci/run (TestServiceBundleDeletionArgoCDBlocked): a Branch and
// a RepositoryFile let go once stayed, held, until the next test started
// bin/provider.
func playProviderDeletion(ctx context.Context, rf ref, refusal deletionRefusal) <-chan error {
	done := make(chan error, 1)
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		released, reported := false, false
		report := func(err error) {
			if !reported {
				done <- err
				reported = true
			}
		}
		for {
			select {
			case <-ctx.Done():
				if released {
					report(fmt.Errorf("%s: let go, still there when the test gave up: %w", rf, ctx.Err()))
				}
				report(ctx.Err())
				return
			case <-tick.C:
			}
			u, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
			if err != nil {
				if kerrors.IsNotFound(err) {
					if !released {
						report(fmt.Errorf("%s vanished while the provider still held it", rf))
						return
					}
					report(nil)
				}
				continue
			}
			if u.GetDeletionTimestamp() == nil {
				continue
			}
			if !refusal.canDelete(u) {
				if s, _, msg := condition(u, "Synced"); s != "False" || msg != refusal.message {
					// A conflict is retried on the next tick.
					_ = setSynced(ctx, rf, "False", "ReconcileError", refusal.message)
				}
				continue
			}
			if !slices.Contains(u.GetFinalizers(), providerFinalizer) {
				released = true // Going: the API server removes it once its other finalizers are gone.
				continue
			}
			var keep []string
			for _, f := range u.GetFinalizers() {
				if f != providerFinalizer {
					keep = append(keep, f)
				}
			}
			u.SetFinalizers(keep)
			if err := cp.Client.Update(ctx, u); err != nil {
				continue // Conflict: read again.
			}
			released = true
		}
	}()
	return done
}

func setSynced(ctx context.Context, rf ref, status, reason, message string) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(rf.APIVersion, rf.Kind))
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: rf.Name}, u); err != nil {
		return err
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	out := []any{map[string]any{"type": "Synced", "status": status, "reason": reason, "message": message,
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] != "Synced" {
			out = append(out, c)
		}
	}
	if err := unstructured.SetNestedSlice(u.Object, out, "status", "conditions"); err != nil {
		return err
	}
	return cp.Client.Status().Update(ctx, u)
}

// addProviderFinalizer adds the finalizer provider-aws puts on every managed
// resource it reconciles.
func addProviderFinalizer(ctx context.Context, t *testing.T, rf ref) {
	t.Helper()
	eventually(ctx, t, waitLimit, "provider finalizer on "+rf.String(), func(ctx context.Context) error {
		u, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
		if err != nil {
			return err
		}
		if slices.Contains(u.GetFinalizers(), providerFinalizer) {
			return nil
		}
		u.SetFinalizers(append(u.GetFinalizers(), providerFinalizer))
		return cp.Client.Update(ctx, u)
	})
}

// protected waits until the claim's ClusterUsages are in force: each is
// Ready, each kept resource carries the in-use label that routes its
// deletion through Crossplane's webhook, and the claim's DeletionProtected
// condition is True.
func (r *claimRun) protected(ctx context.Context, t *testing.T, user string, kept []string) {
	t.Helper()
	for _, u := range r.usageRefs {
		waitCondition(ctx, t, waitLimit, u.APIVersion, u.Kind, "", u.Name, "Ready", "True")
	}
	for _, k := range kept {
		rf := r.refs[k]
		eventually(ctx, t, waitLimit, rf.String()+" labelled "+inUseLabel, func(ctx context.Context) error {
			u, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
			if err != nil {
				return err
			}
			if u.GetLabels()[inUseLabel] != "true" {
				return fmt.Errorf("labels %v", u.GetLabels())
			}
			return nil
		})
	}
	c, _ := waitCondition(ctx, t, waitLimit, claimVersion, r.kind, r.namespace, r.name, "DeletionProtected", "True")
	_, _, msg := condition(c, "DeletionProtected")
	for _, k := range append([]string{user}, kept...) {
		if !strings.Contains(msg, k+" "+r.refs[k].Name) {
			t.Errorf("claim's DeletionProtected condition does not name %s %s: %q", k, r.refs[k].Name, msg)
		}
	}
}

// deleteProtected deletes the claim while the provider (played by the
// test) cannot delete user, and checks that deleting it strips nothing:
// Crossplane's webhook denies deleting every resource in kept, so they stay
// in place while the claim and composite stay too, Deleting, and say what
// they wait for. Then release plays the platform operator's decommission
// step, after which everything, the ClusterUsages included, is gone.
func (r *claimRun) deleteProtected(ctx context.Context, t *testing.T, user string, kept []string, refusal deletionRefusal, release func(context.Context) error, secret string) {
	t.Helper()
	r.protected(ctx, t, user, kept)
	userRef := r.refs[user]
	// The kind of what uses each Usage's resource: a Usage whose user
	// goes before user (a DocumentDB instance, which keeps its cluster)
	// goes with it; those of user stay until user is gone.
	usedBy := map[ref]string{}
	for _, u := range r.usageRefs {
		o, err := get(ctx, u.APIVersion, u.Kind, "", u.Name)
		if err != nil {
			t.Fatal(err)
		}
		usedBy[u], _, _ = unstructured.NestedString(o.Object, "spec", "by", "kind")
	}
	var provider <-chan error
	if refusal.canDelete != nil {
		addProviderFinalizer(ctx, t, userRef)
		pctx, cancel := context.WithTimeout(ctx, 2*waitLimit)
		defer cancel()
		provider = playProviderDeletion(pctx, userRef, refusal)
	}

	c, err := get(ctx, claimVersion, r.kind, r.namespace, r.name)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := cp.Client.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}

	// The garbage collector deleted the user resource, which the provider
	// keeps, and tried to delete every kept resource: the webhook denied it
	// and recorded the attempt.
	eventually(ctx, t, waitLimit, userRef.String()+" refused deletion", func(ctx context.Context) error {
		u, err := get(ctx, userRef.APIVersion, userRef.Kind, "", userRef.Name)
		if err != nil {
			return err
		}
		if u.GetDeletionTimestamp() == nil {
			return fmt.Errorf("not being deleted yet")
		}
		if s, _, msg := condition(u, "Synced"); s != "False" || msg != refusal.message {
			return fmt.Errorf("conditions: %s", conditionsString(u))
		}
		return nil
	})
	for _, k := range kept {
		rf := r.refs[k]
		eventually(ctx, t, waitLimit, "garbage collection's deletion of "+rf.String()+" denied", func(ctx context.Context) error {
			u, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
			if err != nil {
				return err
			}
			if _, ok := u.GetAnnotations()[deletionAttemptAnnotKey]; !ok {
				return fmt.Errorf("no %s annotation yet", deletionAttemptAnnotKey)
			}
			return nil
		})
	}
	t.Logf("figure: %s %s/%s: every deletion of a kept resource denied %.2fs after deleting the claim", r.kind, r.namespace, r.name, time.Since(begin).Seconds())

	// Everything is still in place, and says why.
	for _, k := range kept {
		rf := r.refs[k]
		u, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
		if err != nil {
			t.Fatalf("%s: %v: a deleted claim stripped a protection of the %s it kept", rf, err, user)
		}
		if u.GetDeletionTimestamp() != nil {
			t.Errorf("%s is being deleted while %s still exists", rf, user)
		}
		// Nobody can delete it by hand either.
		err = cp.Client.Delete(ctx, u)
		if err == nil || !strings.Contains(err.Error(), "in-use") {
			t.Errorf("deleting %s by hand: want the webhook's in-use denial, got %v", rf, err)
		}
	}
	for _, u := range r.usageRefs {
		if _, err := get(ctx, u.APIVersion, u.Kind, "", u.Name); err != nil && usedBy[u] == userRef.Kind {
			t.Errorf("%s: %v", u, err)
		}
	}
	claim, err := get(ctx, claimVersion, r.kind, r.namespace, r.name)
	if err != nil {
		t.Fatalf("the claim is gone while its %s still exists: %v", user, err)
	}
	if s, reason, _ := condition(claim, "Ready"); s != "False" || reason != "Deleting" {
		t.Errorf("claim Ready=%s reason %s, want False Deleting: %s", s, reason, conditionsString(claim))
	}
	s, _, msg := condition(claim, "DeletionProtected")
	if s != "True" || !strings.Contains(msg, "deleting this claim waits for "+user+" "+userRef.Name) {
		t.Errorf("claim does not say what its deletion waits for: %s", conditionsString(claim))
	}
	t.Logf("claim while deleting: %s", conditionsString(claim))
	xr, err := get(ctx, r.xr.GetAPIVersion(), r.xr.GetKind(), "", r.xr.GetName())
	if err != nil {
		t.Fatalf("the composite is gone while its %s still exists: %v", user, err)
	}
	if s, _, _ := condition(xr, "DeletionProtected"); s != "True" {
		t.Errorf("composite does not say what its deletion waits for: %s", conditionsString(xr))
	}

	// The platform operator decommissions.
	released := time.Now()
	if err := release(ctx); err != nil {
		t.Fatalf("decommission: %v", err)
	}
	if provider != nil {
		if err := <-provider; err != nil {
			t.Fatalf("provider: %v", err)
		}
	}
	r.gone(ctx, t, secret)
	t.Logf("figure: %s %s/%s: claim, composite and %d composed resources gone %.2fs after the operator's decommission step", r.kind, r.namespace, r.name, len(r.all()), time.Since(released).Seconds())
}
