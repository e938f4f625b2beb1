//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestNestedCompositeBinding plays a hostile tenant against a ServiceBundle
// whose nested XDatabase and XBucket are Ready with their connection
// secrets (the test plays provider-aws): a DatabaseClaim and a BucketClaim
// in another namespace, and a DatabaseClaim in the bundle's own namespace,
// each naming a nested composite in spec.resourceRef (its name is in the
// bundle composite's resourceRefs and in labels anyone can read). Crossplane
// core v2.4.0 binds a claim to any composite without spec.claimRef and
// force-applies the claim's spec and secret reference onto it
// (internal/controller/apiextensions/claim/reconciler.go, syncer_ssa.go);
// paved binds the nested composites to the bundle's claim
// (fn/servicebundle/nested.go), so each attempt is refused with the claim's
// Synced=False "not bound to this claim", the nested composites keep their
// spec, labels and claim, no connection secret reaches the attacker, and
// deleting the refused claims deletes nothing of the victim. paved's
// admission policy refuses the claims first; they are made with
// Crossplane's identity, which it exempts, to show the claimRef holds on
// a cluster without the policy.
func TestNestedCompositeBinding(t *testing.T) {
	playsProvider(t)
	requireServiceBundle(t)
	ctx := context.Background()
	const ns, name, attackerNS = "team-atlas", "atlas-api", "team-mallory"
	for _, n := range []string{ns, attackerNS} {
		createNamespace(ctx, t, n)
	}
	b := &bundleRun{ns: ns, name: name}
	if err := cp.Client.Create(ctx, newClaim("ServiceBundle", ns, name, map[string]any{
		"description": "Payments API", "template": "go-service",
		"database": map[string]any{"engine": "postgresql", "size": "small"}, "bucket": map[string]any{},
	})); err != nil {
		t.Fatal(err)
	}
	// The file and the branch are composed once the provider observed the
	// Repository (fn/servicebundle, composeOnRepository), which it never
	// does here.
	xr := waitComposed(ctx, t, ns, name, []string{"Repository", "XDatabase", "XBucket"})
	b.xr, b.refs = xr, kinds(resourceRefs(xr))
	// The golden path's provider, running after this test (started by a
	// later test, or restarted by playsProvider's cleanup), leaves this
	// bundle's repository alone: the managed reconciler skips a paused
	// resource (crossplane-runtime v2.4.0 pkg/reconciler/managed/reconciler.go).
	pause(ctx, t, b.refs["Repository"])
	b.playAWS(ctx, t)

	// The victim: Ready nested composites whose secrets hold the
	// database's master password.
	victims := map[string]*unstructured.Unstructured{}
	secrets := map[string]string{} // nested kind -> its secret in ns
	for _, k := range []string{"XDatabase", "XBucket"} {
		u, _ := waitCondition(ctx, t, waitLimit, claimVersion, k, "", b.refs[k].Name, "Ready", "True")
		secrets[k] = mustString(t, u, "spec", "writeConnectionSecretToRef", "name")
		expect(t, k+" spec.claimRef", field(u, "spec", "claimRef"), map[string]any{
			"apiVersion": claimVersion, "kind": "ServiceBundle", "name": name, "namespace": ns})
	}
	var password string
	eventually(ctx, t, waitLimit, "the nested XDatabase's connection secret "+ns+"/"+secrets["XDatabase"], func(ctx context.Context) error {
		s := &corev1.Secret{}
		if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: secrets["XDatabase"]}, s); err != nil {
			return err
		}
		if password = string(s.Data["password"]); password == "" {
			return fmt.Errorf("no password yet: keys %v", keys(s.Data))
		}
		return nil
	})
	for _, k := range []string{"XDatabase", "XBucket"} {
		u, err := get(ctx, claimVersion, k, "", b.refs[k].Name)
		if err != nil {
			t.Fatal(err)
		}
		victims[k] = u
	}

	// The attackers, each with a spec of its own and a secret to receive.
	attacks := []struct {
		kind, ns, name, target string
		spec                   map[string]any
	}{
		{"DatabaseClaim", attackerNS, "steal-db", "XDatabase", map[string]any{"engine": "mysql", "size": "large"}},
		{"BucketClaim", attackerNS, "steal-bucket", "XBucket", map[string]any{"noncurrentVersionExpirationDays": int64(1)}},
		{"DatabaseClaim", ns, "insider-db", "XDatabase", map[string]any{"engine": "postgresql", "size": "large"}},
	}
	// paved's admission policy refuses such a claim from anyone but
	// Crossplane (TestClaimAdmission); Crossplane's identity gets past it,
	// as anyone would on a cluster without the policy: the nested
	// composites' spec.claimRef must hold on its own.
	crossplane := clientFor(t, cp.CrossplaneConfig)
	for _, a := range attacks {
		a.spec["resourceRef"] = map[string]any{"apiVersion": claimVersion, "kind": a.target, "name": b.refs[a.target].Name}
		a.spec["writeConnectionSecretToRef"] = map[string]any{"name": a.name}
		c := newClaim(a.kind, a.ns, a.name, a.spec)
		refusedBy(t, fmt.Sprintf("the cluster admin's %s %s/%s naming %s", a.kind, a.ns, a.name, b.refs[a.target]),
			cp.Client.Create(ctx, c.DeepCopy()), claimsPolicy, policyMessages(t, claimsPolicy)["spec.resourceRef"])
		if err := crossplane.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range attacks {
		// Crossplane sets Synced on its first reconcile of the claim:
		// True had it bound the composite, False with why it refused.
		var c *unstructured.Unstructured
		eventually(ctx, t, waitLimit, fmt.Sprintf("%s %s/%s reconciled", a.kind, a.ns, a.name), func(ctx context.Context) error {
			u, err := get(ctx, claimVersion, a.kind, a.ns, a.name)
			if err != nil {
				return err
			}
			if s, _, _ := condition(u, "Synced"); s == "" {
				return fmt.Errorf("no Synced condition yet: %s", conditionsString(u))
			}
			c = u
			return nil
		})
		// crossplane v2.4.0 claim/reconciler.go, errFmtUnbound.
		want := fmt.Sprintf("refusing to operate on composite resource %q that is not bound to this claim: bound to claim %q", b.refs[a.target].Name, name)
		if s, reason, msg := condition(c, "Synced"); s != "False" || !strings.Contains(msg, want) {
			t.Errorf("%s %s/%s naming %s in spec.resourceRef: Synced=%s %s %q, want False with %q", a.kind, a.ns, a.name, b.refs[a.target], s, reason, msg, want)
		}
		if len(c.GetFinalizers()) > 0 {
			t.Errorf("%s %s/%s: finalizers %v: a refused claim holds nothing", a.kind, a.ns, a.name, c.GetFinalizers())
		}
	}

	// Nothing of the victim changed, nothing of it leaked.
	for k, before := range victims {
		after, err := get(ctx, claimVersion, k, "", before.GetName())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before.Object["spec"], after.Object["spec"]); diff != "" {
			t.Errorf("the bundle's %s %s: spec changed by the binding attempts: -before, +after:\n%s", k, before.GetName(), diff)
		}
		if diff := cmp.Diff(before.GetLabels(), after.GetLabels()); diff != "" {
			t.Errorf("the bundle's %s %s: labels changed by the binding attempts: -before, +after:\n%s", k, before.GetName(), diff)
		}
	}
	for _, a := range attacks {
		s := &corev1.Secret{}
		if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: a.ns, Name: a.name}, s); !kerrors.IsNotFound(err) {
			t.Errorf("%s %s/%s: its connection secret %s/%s exists (keys %v, err %v): the victim's details leaked", a.kind, a.ns, a.name, a.ns, a.name, keys(s.Data), err)
		}
	}
	l := &corev1.SecretList{}
	if err := cp.Client.List(ctx, l, client.InNamespace(attackerNS)); err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Items {
		for k, v := range s.Data {
			if string(v) == password {
				t.Errorf("Secret %s/%s holds the victim's database password under %q", attackerNS, s.Name, k)
			}
		}
	}

	// A refused claim has no finalizer: deleting it deletes nothing of
	// the composite it named.
	for _, a := range attacks {
		u := newClaim(a.kind, a.ns, a.name, nil)
		if err := cp.Client.Delete(ctx, u); err != nil {
			t.Fatal(err)
		}
		eventually(ctx, t, waitLimit, fmt.Sprintf("%s %s/%s gone", a.kind, a.ns, a.name), func(ctx context.Context) error {
			return absent(ctx, claimVersion, a.kind, a.ns, a.name)
		})
	}
	for k, before := range victims {
		after, err := get(ctx, claimVersion, k, "", before.GetName())
		if err != nil {
			t.Fatalf("the bundle's %s %s after deleting the refused claims: %v", k, before.GetName(), err)
		}
		if after.GetDeletionTimestamp() != nil {
			t.Errorf("the bundle's %s %s is being deleted since a refused claim naming it was deleted", k, before.GetName())
		}
	}
}

// pause sets Crossplane's pause annotation on a managed resource, once it
// exists.
func pause(ctx context.Context, t *testing.T, r ref) {
	t.Helper()
	patch := []byte(`{"metadata": {"annotations": {"crossplane.io/paused": "true"}}}`)
	eventually(ctx, t, waitLimit, "pausing "+r.String(), func(ctx context.Context) error {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(r.APIVersion)
		u.SetKind(r.Kind)
		u.SetName(r.Name)
		return cp.Client.Patch(ctx, u, client.RawPatch(types.MergePatchType, patch))
	})
}
