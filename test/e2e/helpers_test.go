//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/paved-dev/paved/test/harness"
)

// The helpers below keep the tests' short signatures (failing t where the
// harness returns an error); the mechanics are test/harness's.

// readObjects reads every object of a multi-document YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := harness.ReadObjects(path)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// createAll creates objects, leaving any that already exist alone.
func createAll(ctx context.Context, t *testing.T, objs ...*unstructured.Unstructured) {
	t.Helper()
	if err := cp.CreateAll(ctx, objs...); err != nil {
		t.Fatal(err)
	}
}

// eventually polls check until it returns nil. timeout only bounds how long
// a failing test hangs; nothing asserts on how quick a pass is. It returns
// how long it took.
func eventually(ctx context.Context, t *testing.T, timeout time.Duration, what string, check func(context.Context) error) time.Duration {
	t.Helper()
	return cp.Eventually(ctx, t, timeout, what, check)
}

func get(ctx context.Context, apiVersion, kind, namespace, name string) (*unstructured.Unstructured, error) {
	return cp.Get(ctx, apiVersion, kind, namespace, name)
}

// condition returns the status, reason and message of a condition.
func condition(u *unstructured.Unstructured, typ string) (status, reason, message string) {
	return harness.Condition(u, typ)
}

func conditionsString(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var b strings.Builder
	for _, c := range conds {
		m, _ := c.(map[string]any)
		fmt.Fprintf(&b, "[%v=%v %v: %v] ", m["type"], m["status"], m["reason"], m["message"])
	}
	return b.String()
}

// waitCondition waits until obj has condition typ with status want.
func waitCondition(ctx context.Context, t *testing.T, timeout time.Duration, apiVersion, kind, namespace, name, typ, want string) (*unstructured.Unstructured, time.Duration) {
	t.Helper()
	var got *unstructured.Unstructured
	d := eventually(ctx, t, timeout, fmt.Sprintf("%s %s/%s %s=%s", kind, namespace, name, typ, want), func(ctx context.Context) error {
		u, err := get(ctx, apiVersion, kind, namespace, name)
		if err != nil {
			return err
		}
		if s, _, _ := condition(u, typ); s != want {
			return fmt.Errorf("conditions: %s", conditionsString(u))
		}
		got = u
		return nil
	})
	return got, d
}

// ref is a composed resource as the composite's spec.resourceRefs names it.
type ref struct{ APIVersion, Kind, Name string }

func (r ref) String() string { return r.Kind + "/" + r.Name }

// resourceRefs returns what a legacy composite resource says it composed.
func resourceRefs(xr *unstructured.Unstructured) []ref {
	refs, _, _ := unstructured.NestedSlice(xr.Object, "spec", "resourceRefs")
	var out []ref
	for _, r := range refs {
		m, _ := r.(map[string]any)
		a, _ := m["apiVersion"].(string)
		k, _ := m["kind"].(string)
		n, _ := m["name"].(string)
		out = append(out, ref{a, k, n})
	}
	return out
}

// kinds returns the kinds of refs, one per ref.
func kinds(refs []ref) map[string]ref {
	m := map[string]ref{}
	for _, r := range refs {
		m[r.Kind] = r
	}
	return m
}

func mustString(t *testing.T, u *unstructured.Unstructured, path ...string) string {
	t.Helper()
	v, ok, err := unstructured.NestedFieldNoCopy(u.Object, path...)
	if err != nil || !ok {
		t.Fatalf("%s %s: no %s", u.GetKind(), u.GetName(), strings.Join(path, "."))
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s %s: %s is %T %v, not a string", u.GetKind(), u.GetName(), strings.Join(path, "."), v, v)
	}
	return s
}

// field returns the value at path, or nil.
func field(u *unstructured.Unstructured, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	return v
}

// expect records a failure unless got equals want.
func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v (%T), want %v", what, got, got, want)
	}
}

// events returns the messages of the events about an object.
func events(ctx context.Context, namespace, kind, name string) ([]string, error) {
	l := &corev1.EventList{}
	if err := cp.Client.List(ctx, l, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range l.Items {
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == name {
			out = append(out, e.Type+" "+e.Reason+": "+e.Message)
		}
	}
	return out, nil
}

// markReady plays the provider for one managed resource: it writes what the
// provider observed (atProvider) and the Synced and Ready conditions to the
// status subresource.
func markReady(ctx context.Context, r ref, atProvider map[string]any) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(r.APIVersion, r.Kind))
	u.SetName(r.Name)
	now := time.Now().UTC().Format(time.RFC3339)
	status := map[string]any{
		"conditions": []any{
			map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": now},
			map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": now},
		},
	}
	if atProvider != nil {
		status["atProvider"] = atProvider
	}
	u.Object["status"] = status
	return cp.Client.Status().Patch(ctx, u, client.Merge)
}

// writeSecret creates or replaces a Secret, as the provider writes a managed
// resource's connection details.
func writeSecret(ctx context.Context, namespace, name string, data map[string]string) error {
	s := &corev1.Secret{}
	s.Namespace, s.Name = namespace, name
	s.Type = "connection.crossplane.io/v1alpha1"
	s.Data = map[string][]byte{}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	if err := cp.Client.Create(ctx, s); kerrors.IsAlreadyExists(err) {
		return cp.Client.Update(ctx, s)
	} else if err != nil {
		return err
	}
	return nil
}
