package refwait

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// The controllers' own tests (repositoryfile, cataloglocation refwait_test.go)
// cover waiting and waking for their kinds; these cover what no kind changes.

var fileKind = Kind[*v1alpha1.RepositoryFile]{
	Name:     "RepositoryFile",
	New:      func() *v1alpha1.RepositoryFile { return &v1alpha1.RepositoryFile{} },
	NewList:  func() resource.ManagedList { return &v1alpha1.RepositoryFileList{} },
	Ref:      func(f *v1alpha1.RepositoryFile) *xpv2.Reference { return f.Spec.ForProvider.RepositoryRef },
	Resolved: func(f *v1alpha1.RepositoryFile) bool { return f.Spec.ForProvider.Repository != nil },
}

func TestGate(t *testing.T) {
	boom := errors.New("boom")
	cases := map[string]struct {
		get     func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error
		wantErr string
	}{
		// A resource deleted since its event is done with, not passed on.
		"Gone": {},
		"GetFails": {
			get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
				return boom
			},
			wantErr: "cannot get RepositoryFile: boom",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := runtime.NewScheme()
			if err := apis.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			kube := fake.NewClientBuilder().WithScheme(s).WithInterceptorFuncs(interceptor.Funcs{Get: tc.get}).Build()
			passed := 0
			g := &Gate[*v1alpha1.RepositoryFile]{Kind: fileKind, Kube: kube, Next: reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
				passed++
				return reconcile.Result{}, nil
			})}
			res, err := g.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: "f"}})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			if !errors.Is(err, boom) && tc.wantErr != "" {
				t.Errorf("error %v does not keep its cause", err)
			}
			if res != (reconcile.Result{}) || passed != 0 {
				t.Errorf("result %+v, passed on %d times; want neither", res, passed)
			}
		})
	}
}

// Only resources that reference by name are indexed.
func TestIndexValues(t *testing.T) {
	f := &v1alpha1.RepositoryFile{}
	if got := fileKind.IndexValues(f); got != nil {
		t.Errorf("no reference: %v, want none", got)
	}
	f.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "svc"}
	if got := fileKind.IndexValues(f); len(got) != 1 || got[0] != "/svc" {
		t.Errorf("by name: %v, want [svc]", got)
	}
	if got := fileKind.IndexValues(&corev1.ConfigMap{}); got != nil {
		t.Errorf("another kind: %v, want none", got)
	}
}

// An update of an object extract cannot read passes: it may matter.
func TestValueChangedOtherKind(t *testing.T) {
	p := ValueChanged(v1alpha1.RepositoryFullName())
	if !p.Update(event.UpdateEvent{ObjectOld: &corev1.ConfigMap{}, ObjectNew: &corev1.ConfigMap{}}) {
		t.Error("update of an object that is not managed filtered out")
	}
}
