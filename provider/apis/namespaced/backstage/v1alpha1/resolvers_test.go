package v1alpha1

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
)

// A namespaced CatalogLocation takes its repository URL from a Repository
// of its own namespace only.
func TestResolveReferencesStayInNamespace(t *testing.T) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{AddToScheme, ghmv1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	repo := func(ns, url string) *ghmv1alpha1.Repository {
		r := &ghmv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "svc"}}
		r.Status.AtProvider.HTMLURL, r.Status.AtProvider.DefaultBranch = url, "main"
		return r
	}
	cases := map[string]struct {
		ns      string
		want    *string
		wantErr bool
	}{
		"OwnNamespace":   {ns: "team-a", want: ptr.To("https://github.com/acme/a-svc/blob/main")},
		"OtherNamespace": {ns: "team-c", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(
				repo("team-a", "https://github.com/acme/a-svc"), repo("team-b", "https://github.com/acme/b-svc")).Build()
			l := &CatalogLocation{ObjectMeta: metav1.ObjectMeta{Namespace: tc.ns, Name: "svc"}}
			l.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "svc"}
			err := l.ResolveReferences(context.Background(), kube)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ResolveReferences(): %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, l.Spec.ForProvider.RepositoryURL); diff != "" {
				t.Errorf("spec.forProvider.repositoryURL: -want +got:\n%s", diff)
			}
		})
	}
}

// Its refreshKey comes from the committed RepositoryFile of its own
// namespace only.
func TestResolveFileInNamespace(t *testing.T) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{AddToScheme, ghmv1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	file := func(ns, commit string) *ghmv1alpha1.RepositoryFile {
		f := &ghmv1alpha1.RepositoryFile{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "svc-catalog-info"}}
		f.Status.AtProvider.CommitSHA = commit
		f.SetConditions(xpv2.Available())
		return f
	}
	cases := map[string]struct {
		ns      string
		want    *string
		wantErr bool
	}{
		"OwnNamespace":   {ns: "team-a", want: ptr.To("abc")},
		"OtherNamespace": {ns: "team-c", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(file("team-a", "abc"), file("team-b", "def")).Build()
			l := &CatalogLocation{ObjectMeta: metav1.ObjectMeta{Namespace: tc.ns, Name: "svc"}}
			l.Spec.ForProvider.Target = ptr.To("https://github.com/acme/svc/blob/main/catalog-info.yaml")
			l.Spec.ForProvider.FileRef = &xpv2.Reference{Name: "svc-catalog-info"}
			err := l.ResolveReferences(context.Background(), kube)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ResolveReferences(): %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, l.Spec.ForProvider.RefreshKey); diff != "" {
				t.Errorf("spec.forProvider.refreshKey: -want +got:\n%s", diff)
			}
		})
	}
}
