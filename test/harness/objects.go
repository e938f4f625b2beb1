package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// pollInterval is how often Poll calls its check.
const pollInterval = 100 * time.Millisecond

// ReadObjects reads every object of a YAML file of one or more documents
// (or JSON), leaving out empty documents.
func ReadObjects(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := d.Decode(&u.Object); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// CreateAll creates copies of objs in order, leaving any that already exist
// alone.
func (cp *ControlPlane) CreateAll(ctx context.Context, objs ...*unstructured.Unstructured) error {
	for _, o := range objs {
		if err := cp.Client.Create(ctx, o.DeepCopy()); err != nil && !kerrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// Get reads an object of any kind; namespace is empty for a cluster-scoped
// one.
func (cp *ControlPlane) Get(ctx context.Context, apiVersion, kind, namespace, name string) (*unstructured.Unstructured, error) {
	u := unstructuredFor(apiVersion, kind)
	err := cp.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)
	return u, err
}

// Poll calls check until it returns nil and returns how long that took, or
// the last check's error once timeout has passed. timeout only bounds how
// long a failing test waits; nothing should assert on how quick a pass is.
func Poll(ctx context.Context, timeout time.Duration, check func(context.Context) error) (time.Duration, error) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		last := check(ctx)
		if last == nil {
			return time.Since(begin), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("not after %s: %w", timeout, last)
		case <-time.After(pollInterval):
		}
	}
}

// Eventually is Poll that fails t, saying what it waited for and, when a
// control plane process has died, which; it returns how long it took.
func (cp *ControlPlane) Eventually(ctx context.Context, t testing.TB, timeout time.Duration, what string, check func(context.Context) error) time.Duration {
	t.Helper()
	d, err := Poll(ctx, timeout, check)
	if err != nil {
		if perr := cp.Check(); perr != nil {
			t.Fatalf("%s: %v (control plane: %v)", what, err, perr)
		}
		t.Fatalf("%s: %v", what, err)
	}
	return d
}

// Condition returns the status, reason and message of u's condition of type
// typ, all empty if u has none.
func Condition(u *unstructured.Unstructured, typ string) (status, reason, message string) {
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
