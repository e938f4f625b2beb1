package refwait

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// The resolved value follows the referenced object (a renamed Repository),
// and is persisted only when it changed.
func TestFollower(t *testing.T) {
	now := metav1.Now()
	cases := map[string]struct {
		value     string
		ref       bool
		deleted   bool
		want      string
		wantPatch int
	}{
		"FollowsARename":       {value: "acme/old", ref: true, want: "acme/new", wantPatch: 1},
		"Unchanged":            {value: "acme/new", ref: true, want: "acme/new"},
		"FirstResolution":      {ref: true, want: "acme/new", wantPatch: 1},
		"NoReference":          {value: "acme/given", want: "acme/given"},
		"DeletedKeepsItsValue": {value: "acme/old", ref: true, deleted: true, want: "acme/old"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := runtime.NewScheme()
			if err := apis.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			repo := &v1alpha1.Repository{
				ObjectMeta: metav1.ObjectMeta{Name: "svc"},
				Status:     v1alpha1.RepositoryStatus{AtProvider: v1alpha1.RepositoryObservation{ID: 7, FullName: "acme/new"}},
			}
			f := &v1alpha1.RepositoryFile{ObjectMeta: metav1.ObjectMeta{Name: "f"}}
			if tc.value != "" {
				f.Spec.ForProvider.Repository = &tc.value
			}
			if tc.ref {
				f.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "svc"}
			}
			if tc.deleted {
				f.SetDeletionTimestamp(&now)
				f.SetFinalizers([]string{"test"})
			}
			patches := 0
			kube := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(repo).WithObjects(repo, f).
				WithInterceptorFuncs(interceptor.Funcs{Patch: func(ctx context.Context, c client.WithWatch, o client.Object, p client.Patch, opts ...client.PatchOption) error {
					patches++
					return c.Patch(ctx, o, p, opts...)
				}}).Build()
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(f), f); err != nil {
				t.Fatal(err)
			}
			r := Follower[*v1alpha1.RepositoryFile]{Kind: fileKind, Kube: kube, Reset: func(f *v1alpha1.RepositoryFile) { f.Spec.ForProvider.Repository = nil }}
			if err := r.ResolveReferences(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			got := &v1alpha1.RepositoryFile{}
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(f), got); err != nil {
				t.Fatal(err)
			}
			if v := got.Spec.ForProvider.Repository; v == nil || *v != tc.want {
				t.Errorf("persisted repository %v, want %q", v, tc.want)
			}
			if patches != tc.wantPatch {
				t.Errorf("%d patches, want %d", patches, tc.wantPatch)
			}
		})
	}
}
