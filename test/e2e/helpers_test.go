//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// readObjects reads every object of a multi-document YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := d.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		objs = append(objs, u)
	}
}

// createAll creates objects, leaving any that already exist alone.
func createAll(ctx context.Context, t *testing.T, objs ...*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if err := cp.Client.Create(ctx, o.DeepCopy()); err != nil && !kerrors.IsAlreadyExists(err) {
			t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

// eventually polls check until it returns nil. timeout only bounds how long
// a failing test hangs; nothing asserts on how quick a pass is. It returns
// how long it took.
func eventually(ctx context.Context, t *testing.T, timeout time.Duration, what string, check func(context.Context) error) time.Duration {
	t.Helper()
	d, err := poll(ctx, timeout, check)
	if err != nil {
		if perr := cp.Check(); perr != nil {
			t.Fatalf("%s: %v (control plane: %v)", what, err, perr)
		}
		t.Fatalf("%s: %v", what, err)
	}
	return d
}

func poll(ctx context.Context, timeout time.Duration, check func(context.Context) error) (time.Duration, error) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = check(ctx); last == nil {
			return time.Since(begin), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("not after %s: %v", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, apiVersion, kind, namespace, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(apiVersion, kind))
	err := cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	return u, err
}

// condition returns the status, reason and message of a condition.
func condition(u *unstructured.Unstructured, typ string) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		s, _ := m["status"].(string)
		r, _ := m["reason"].(string)
		msg, _ := m["message"].(string)
		return s, r, msg
	}
	return "", "", ""
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
