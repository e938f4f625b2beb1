package cataloglocation

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	bsmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/backstage/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/clients/backstage"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// The one CatalogLocation client serves both scopes: a cluster-scoped and a
// namespaced CatalogLocation register the same location, record it the
// same way, and observe it up to date.
func TestCatalogLocationScopes(t *testing.T) {
	params := v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target), RefreshKey: ptr("k1")}
	type want struct {
		calls       []string
		annotations map[string]string
		observation managed.ExternalObservation
		atProvider  v1alpha1.CatalogLocationObservation
		catalog     []backstage.Location
	}
	same := want{
		calls: []string{"dryrun", "add", "get", "entities"},
		annotations: map[string]string{
			meta.AnnotationKeyExternalName: "new-id", AnnotationRegistered: "new-id", AnnotationRegisteredRefreshKey: "k1",
		},
		observation: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
		atProvider:  v1alpha1.CatalogLocationObservation{ID: "new-id", Type: "url", Target: target, RefreshedKey: "k1"},
		catalog:     []backstage.Location{{ID: "new-id", Type: "url", Target: target}},
	}
	cases := map[string]struct {
		cr   scoped.CatalogLocation
		want want
	}{
		"ClusterScoped": {
			cr:   &v1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Name: "svc"}, Spec: v1alpha1.CatalogLocationSpec{ForProvider: params}},
			want: same,
		},
		"Namespaced": {
			cr:   &bsmv1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "svc"}, Spec: bsmv1alpha1.CatalogLocationSpec{ForProvider: params}},
			want: same,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fakeCatalog{nextID: "new-id"}
			e := &External{Catalog: f}
			if _, err := e.Create(context.Background(), tc.cr); err != nil {
				t.Fatal(err)
			}
			o, err := e.Observe(context.Background(), tc.cr)
			if err != nil {
				t.Fatal(err)
			}
			o.ConnectionDetails, o.Diff = nil, ""
			if diff := cmp.Diff(tc.want.observation, o); diff != "" {
				t.Errorf("Observe(): -want +got:\n%s", diff)
			}
			got := *tc.cr.Observation()
			got.LocationEntityRef, got.EntityRefs = "", nil
			if diff := cmp.Diff(tc.want.atProvider, got); diff != "" {
				t.Errorf("status.atProvider: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.annotations, tc.cr.GetAnnotations()); diff != "" {
				t.Errorf("annotations: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.calls, f.calls); diff != "" {
				t.Errorf("catalog calls: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.catalog, f.locations); diff != "" {
				t.Errorf("catalog locations: -want +got:\n%s", diff)
			}
		})
	}
}
