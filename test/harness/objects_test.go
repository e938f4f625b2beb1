package harness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestReadObjects(t *testing.T) {
	cases := map[string]struct {
		file    string
		want    []string // kind/name of each object read
		wantErr string
	}{
		"Documents": {
			file: "---\n# leading comment\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
			want: []string{"Namespace/a", "ConfigMap/b"},
		},
		"JSON": {
			file: `{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}}`,
			want: []string{"Secret/c"},
		},
		"OnlyComments": {file: "# nothing\n---\n"},
		"NotYAML": {
			file:    "apiVersion: v1\nkind: [Namespace\n",
			wantErr: "objects.yaml: ",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "objects.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			objs, err := ReadObjects(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadObjects(): error %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.GetKind()+"/"+o.GetName())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadObjects(): -want +got:\n%s", diff)
			}
		})
	}

	if _, err := ReadObjects(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadObjects(missing): error %v, want os.ErrNotExist", err)
	}
}

func TestPoll(t *testing.T) {
	errNotYet := errors.New("not yet")

	t.Run("PassesOnThirdCheck", func(t *testing.T) {
		calls := 0
		_, err := Poll(context.Background(), time.Minute, func(context.Context) error {
			if calls++; calls < 3 {
				return errNotYet
			}
			return nil
		})
		if err != nil || calls != 3 {
			t.Errorf("Poll(): %d checks, error %v; want 3 checks, no error", calls, err)
		}
	})
	t.Run("KeepsTheLastErrorAfterTimeout", func(t *testing.T) {
		_, err := Poll(context.Background(), 50*time.Millisecond, func(context.Context) error { return errNotYet })
		if !errors.Is(err, errNotYet) {
			t.Errorf("Poll(): error %v, want one wrapping %v", err, errNotYet)
		}
	})
	t.Run("StopsWhenTheCallerCancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Poll(ctx, time.Hour, func(context.Context) error { return errNotYet })
		if !errors.Is(err, errNotYet) {
			t.Errorf("Poll(): error %v, want one wrapping %v", err, errNotYet)
		}
	})
}

func TestCondition(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"conditions": []any{
		map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
		"not a condition",
		map[string]any{"type": "Ready", "status": "False", "reason": "Creating", "message": "waiting for the Instance"},
	}}}}
	type result struct{ Status, Reason, Message string }
	cases := map[string]struct {
		u    *unstructured.Unstructured
		typ  string
		want result
	}{
		"Ready":        {u: u, typ: "Ready", want: result{"False", "Creating", "waiting for the Instance"}},
		"NoMessage":    {u: u, typ: "Synced", want: result{Status: "True", Reason: "ReconcileSuccess"}},
		"NoSuchType":   {u: u, typ: "Healthy"},
		"NoConditions": {u: &unstructured.Unstructured{Object: map[string]any{}}, typ: "Ready"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got result
			got.Status, got.Reason, got.Message = Condition(tc.u, tc.typ)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Condition(%q): -want +got:\n%s", tc.typ, diff)
			}
		})
	}
}
