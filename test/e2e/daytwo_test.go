//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestDatabaseDayTwo: changes an existing database cannot make are refused.
// The API server refuses an engine change (the XRD's CEL transition rule);
// function-paved refuses a smaller disk than the instance has, says so on
// the claim, and changes nothing. A TLS group bound to an existing instance
// is reported pending a reboot until the operator says it rebooted; a
// claim pinned behind the minor version RDS moved to is not refused. A change the provider cannot apply
// (Synced=False) makes DatabaseReady False with the provider's message.
func TestDatabaseDayTwo(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns, name = "team-ledger", "ledger-db"
	createNamespace(ctx, t, ns)

	r := &claimRun{kind: "DatabaseClaim", namespace: ns, name: name,
		want: []string{"SubnetGroup", "SecurityGroup", "SecurityGroupRule", "ParameterGroup", "Instance"}, usages: 4}
	r.create(ctx, t, newClaim(r.kind, ns, name, map[string]any{
		"engine": "postgresql", "size": "small", "version": "15", "storageGB": int64(50),
	}))
	// Play provider-aws: everything exists; the instance runs 15.7 on 50 GiB.
	for _, k := range r.want {
		at := map[string]any{"id": r.refs[k].Name}
		if k == "Instance" {
			at = map[string]any{"address": name + ".c9akciq32.eu-west-1.rds.amazonaws.com", "port": int64(5432),
				"allocatedStorage": int64(50), "engineVersionActual": "15.7",
				// Made before paved bound its TLS group: RDS's default.
				"parameterGroupName": "default.postgres15"}
		}
		if err := markReady(ctx, r.refs[k], at); err != nil {
			t.Fatalf("provider step, %s: %v", k, err)
		}
	}
	waitCondition(ctx, t, waitLimit, claimVersion, r.kind, ns, name, "DatabaseReady", "True")

	// paved's TLS group, bound to an instance that had another, waits for a
	// reboot: the claim says so, and the Instance remembers it until a
	// platform operator says the instance was rebooted with it.
	group, _ := field(r.composedResource(ctx, t, "ParameterGroup"), "metadata", "annotations", "crossplane.io/external-name").(string)
	waitCondition(ctx, t, waitLimit, claimVersion, r.kind, ns, name, "TLSEnforced", "False")
	pendingAnnotation := func(ctx context.Context) (string, error) {
		u, err := get(ctx, r.refs["Instance"].APIVersion, r.refs["Instance"].Kind, "", r.refs["Instance"].Name)
		if err != nil {
			return "", err
		}
		return u.GetAnnotations()["paved.dev/tls-pending-reboot"], nil
	}
	eventually(ctx, t, waitLimit, "the Instance records the group pending a reboot", func(ctx context.Context) error {
		if got, err := pendingAnnotation(ctx); err != nil || got != group {
			return fmt.Errorf("paved.dev/tls-pending-reboot = %q (%v), want %q", got, err, group)
		}
		return nil
	})
	// provider-aws binds it; then the operator reboots and annotates.
	if err := markReady(ctx, r.refs["Instance"], map[string]any{"parameterGroupName": group}); err != nil {
		t.Fatal(err)
	}
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := get(ctx, r.refs["Instance"].APIVersion, r.refs["Instance"].Kind, "", r.refs["Instance"].Name)
		if err != nil {
			return err
		}
		a := u.GetAnnotations()
		a["paved.dev/rebooted-for-tls"] = group
		u.SetAnnotations(a)
		return cp.Client.Update(ctx, u)
	}); err != nil {
		t.Fatal(err)
	}
	waitCondition(ctx, t, waitLimit, claimVersion, r.kind, ns, name, "TLSEnforced", "True")
	eventually(ctx, t, waitLimit, "the Instance forgets the pending reboot", func(ctx context.Context) error {
		if got, err := pendingAnnotation(ctx); err != nil || got != "" {
			return fmt.Errorf("paved.dev/tls-pending-reboot = %q (%v), want none", got, err)
		}
		return nil
	})

	// update changes one field of the claim's spec, as its author would:
	// read, change, write, again if Crossplane wrote the claim meanwhile.
	update := func(field string, value any) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			c, err := get(ctx, claimVersion, r.kind, ns, name)
			if err != nil {
				return err
			}
			if err := unstructured.SetNestedField(c.Object, value, "spec", field); err != nil {
				return err
			}
			return cp.Client.Update(ctx, c)
		})
	}

	// The engine is immutable at the API server.
	err := update("engine", "mysql")
	if err == nil || !strings.Contains(err.Error(), "engine is immutable") {
		t.Errorf("changing spec.engine: got error %v, want the XRD's \"engine is immutable\"", err)
	}

	// A smaller disk is refused by the function and shown on the claim.
	if err := update("storageGB", int64(30)); err != nil {
		t.Fatalf("the API server refused storageGB 30 (function-paved, not the schema, is meant to judge it): %v", err)
	}
	var seen string
	d := eventually(ctx, t, invalidWaitLimit, "the claim shows why storageGB 30 is refused", func(ctx context.Context) error {
		c, err := get(ctx, claimVersion, r.kind, ns, name)
		if err != nil {
			return err
		}
		want := func(msg string) bool {
			return strings.Contains(msg, "spec.storageGB") && strings.Contains(msg, "30") && strings.Contains(msg, "at least 50")
		}
		if s, reason, msg := condition(c, "DatabaseReady"); s == "False" && want(msg) {
			seen = fmt.Sprintf("condition DatabaseReady=False (%s): %s", reason, msg)
			return nil
		}
		evs, err := events(ctx, ns, r.kind, name)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if strings.HasPrefix(e, "Warning") && want(e) {
				seen = "event " + e
				return nil
			}
		}
		return fmt.Errorf("no condition or warning names the refused storage; conditions: %s; events: %q", conditionsString(c), evs)
	})
	t.Logf("figure: refused shrink shown %.2fs after the update: %s", d.Seconds(), seen)
	inst := r.composedResource(ctx, t, "Instance")
	expect(t, "Instance spec.forProvider.allocatedStorage after a refused shrink", field(inst, "spec", "forProvider", "allocatedStorage"), 50)

	// Back to 50 GiB; then the provider fails to apply a change.
	if err := update("storageGB", int64(50)); err != nil {
		t.Fatal(err)
	}
	waitCondition(ctx, t, waitLimit, claimVersion, r.kind, ns, name, "DatabaseReady", "True")

	// RDS moved the instance past a minor version (autoMinorVersionUpgrade):
	// a claim pinned below it is not refused, and the Instance keeps the
	// version it runs rather than asking RDS to go back.
	if err := update("version", "15.3"); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, waitLimit, "a pin behind the running minor version keeps the running version", func(ctx context.Context) error {
		u, err := get(ctx, r.refs["Instance"].APIVersion, r.refs["Instance"].Kind, "", r.refs["Instance"].Name)
		if err != nil {
			return err
		}
		if v := field(u, "spec", "forProvider", "engineVersion"); v != "15.7" {
			return fmt.Errorf("Instance engineVersion %v, want 15.7", v)
		}
		c, err := get(ctx, claimVersion, r.kind, ns, name)
		if err != nil {
			return err
		}
		if s, reason, msg := condition(c, "DatabaseReady"); s != "True" {
			return fmt.Errorf("DatabaseReady=%s (%s): %s", s, reason, msg)
		}
		if s, _, msg := condition(c, "StandardSupport"); s == "" || !strings.Contains(msg, "PostgreSQL 15") {
			return fmt.Errorf("StandardSupport=%q: %s", s, msg)
		}
		return nil
	})
	const providerMsg = "update failed: InvalidParameterCombination: RDS does not support the requested change"
	if err := markNotSynced(ctx, r.refs["Instance"], providerMsg); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, waitLimit, "DatabaseReady says the instance is not synced", func(ctx context.Context) error {
		c, err := get(ctx, claimVersion, r.kind, ns, name)
		if err != nil {
			return err
		}
		if s, reason, msg := condition(c, "DatabaseReady"); s != "False" || reason != "SyncFailed" || !strings.Contains(msg, providerMsg) {
			return fmt.Errorf("DatabaseReady=%s (%s): %s", s, reason, msg)
		}
		return nil
	})
}

// markNotSynced plays the provider failing to apply a change: the resource
// stays Ready, Synced turns False with the provider's error.
func markNotSynced(ctx context.Context, r ref, msg string) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(r.APIVersion, r.Kind))
	u.SetName(r.Name)
	now := time.Now().UTC().Format(time.RFC3339)
	u.Object["status"] = map[string]any{"conditions": []any{
		map[string]any{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": msg, "lastTransitionTime": now},
		map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": now},
	}}
	return cp.Client.Status().Patch(ctx, u, client.Merge)
}
