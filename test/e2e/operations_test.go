//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// TestDatabaseOperation runs the day-two checks end to end on Crossplane
// core v2.4.0 (started with --enable-operations, TestMain): an Operation
// made from the shipped CronOperation's template (package/operations/
// daytwo.yaml) calls function-paved, which core allows because its
// FunctionRevision carries the package's operation capability. The test
// plays provider-aws for a database whose instance still reports the CA
// rds-ca-2019 (expired in August 2024, fn/database/calendar.go). The
// Operation succeeds, reports the CA on the claim (an Event with the
// claim's uid, so `kubectl describe` shows it) and in its output, applies
// nothing but that Event, and the claim, its composite and its instance
// are unchanged. The function runs on the real clock here; the 20-day
// case is rendered with a fixed one (make operation-render,
// fn/operation_render_test.go).
func TestDatabaseOperation(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns, name = "team-vault", "vault-db"
	createNamespace(ctx, t, ns)

	r := &claimRun{kind: "DatabaseClaim", namespace: ns, name: name,
		want: []string{"SubnetGroup", "SecurityGroup", "SecurityGroupRule", "ParameterGroup", "Instance"}, usages: 4}
	r.create(ctx, t, newClaim(r.kind, ns, name, map[string]any{
		"engine": "postgresql", "size": "small", "version": "15", "storageGB": int64(50),
	}))
	for _, k := range r.want {
		at := map[string]any{"id": r.refs[k].Name}
		if k == "Instance" {
			// RDS has not yet moved it to the CA paved asks for.
			at = map[string]any{"address": name + ".c9akciq32.eu-west-1.rds.amazonaws.com", "port": int64(5432),
				"allocatedStorage": int64(50), "engineVersionActual": "15.7", "engine": "postgres",
				"caCertIdentifier": "rds-ca-2019"}
		}
		if err := markReady(ctx, r.refs[k], at); err != nil {
			t.Fatalf("provider step, %s: %v", k, err)
		}
	}
	waitCondition(ctx, t, waitLimit, claimVersion, r.kind, ns, name, "DatabaseReady", "True")
	claim, err := get(ctx, claimVersion, r.kind, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string]any {
		out := map[string]any{}
		for k, o := range map[string]struct{ apiVersion, kind, ns, name string }{
			"claim":     {claimVersion, r.kind, ns, name},
			"composite": {claimVersion, r.xr.GetKind(), "", r.xr.GetName()},
			"instance":  {r.refs["Instance"].APIVersion, "Instance", "", r.refs["Instance"].Name},
		} {
			u, err := get(ctx, o.apiVersion, o.kind, o.ns, o.name)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = []any{u.GetGeneration(), u.Object["spec"]}
			// Core applies an Operation's desired resources as field
			// manager ops.crossplane.io/operation/<uid> (crossplane
			// v2.4.0 internal/controller/ops/operation/reconciler.go,
			// FieldOwnerPrefix).
			for _, mf := range u.GetManagedFields() {
				if strings.HasPrefix(mf.Manager, "ops.crossplane.io/operation/") {
					t.Errorf("%s %s: fields managed by %s", o.kind, o.name, mf.Manager)
				}
			}
		}
		return out
	}
	before := snapshot()

	// One run of the CronOperation: its template as an Operation.
	b, err := os.ReadFile(filepath.Join(repoRoot, "package", "operations", "daytwo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cron struct {
		Spec struct {
			OperationTemplate struct {
				Spec map[string]any `json:"spec"`
			} `json:"operationTemplate"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &cron); err != nil {
		t.Fatal(err)
	}
	op := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "ops.crossplane.io/v1alpha1", "kind": "Operation",
		"metadata": map[string]any{"name": "paved-database-checks-e2e"},
		"spec":     cron.Spec.OperationTemplate.Spec,
	}}
	if err := cp.Client.Create(ctx, op); err != nil {
		t.Fatalf("create Operation: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), op) })
	done, _ := waitCondition(ctx, t, waitLimit, "ops.crossplane.io/v1alpha1", "Operation", "", op.GetName(), "Succeeded", "True")

	// Applied: Events only, and in the claim's namespace the one on the claim.
	applied, _, _ := unstructured.NestedSlice(done.Object, "status", "appliedResourceRefs")
	var refs []string
	for _, a := range applied {
		m, _ := a.(map[string]any)
		refs = append(refs, fmt.Sprintf("%v %v %v/%v", m["apiVersion"], m["kind"], m["namespace"], m["name"]))
		if m["kind"] != "Event" {
			t.Errorf("the Operation applied %v: the checks may only report", m)
		}
	}
	ev := &corev1.Event{}
	evName := strings.ToLower(name + "-databaseclaim.cacertificateexpiry")
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: evName}, ev); err != nil {
		t.Fatalf("the CA's Event %s/%s (applied: %v): %v", ns, evName, refs, err)
	}
	if ev.Type != corev1.EventTypeWarning || ev.Reason != "CACertificateExpiry" || ev.InvolvedObject.UID != claim.GetUID() ||
		ev.InvolvedObject.Kind != r.kind || !strings.Contains(ev.Message, "rds-ca-2019 expired on 2024-08-22") {
		t.Errorf("Event %s/%s: %s %s on %s %s (uid %s, claim's %s): %s", ns, evName, ev.Type, ev.Reason,
			ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.InvolvedObject.UID, claim.GetUID(), ev.Message)
	}
	// The shipped Operation checks every database on the control plane:
	// other tests' databases may have findings (an Event each, on their
	// own claims, checked above to be Events only); of this claim's
	// namespace, only the one Event.
	var ours []string
	for _, a := range applied {
		if m, _ := a.(map[string]any); m["namespace"] == ns {
			ours = append(ours, fmt.Sprintf("%v %v", m["kind"], m["name"]))
		}
	}
	if want := []string{"Event " + evName}; !reflect.DeepEqual(ours, want) {
		t.Errorf("applied in namespace %s %v, want %v (all applied: %v)", ns, ours, want, refs)
	}

	// The output names the claim and the finding.
	steps, _, _ := unstructured.NestedSlice(done.Object, "status", "pipeline")
	out := fmt.Sprint(steps)
	if !strings.Contains(out, "CACertificateExpiry") || !strings.Contains(out, name) {
		t.Errorf("status.pipeline %s, want the claim's CACertificateExpiry", out)
	}

	if after := snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("the Operation changed the database:\nbefore %v\nafter  %v", before, after)
	}
	t.Logf("figure: day-two Operation succeeded; applied %v", refs)
}
