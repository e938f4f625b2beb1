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

	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// repo is an observed namespaced Repository.
func repo(ns, name, fullName string, labels map[string]string) *Repository {
	r := &Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
	r.Status.AtProvider.FullName = fullName
	return r
}

// A namespaced RepositoryFile resolves repositoryRef and repositorySelector
// in its own namespace only, whatever exists elsewhere.
func TestResolveReferencesStayInNamespace(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	sel := map[string]string{"app": "shop"}
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(
		repo("team-a", "shop", "acme/a-shop", sel),
		repo("team-b", "only-in-b", "acme/b-secret", sel),
		repo("team-b", "picked-by-label", "acme/b-labelled", map[string]string{"app": "b-only"}),
	).Build()

	type want struct {
		repository *string
		ref        *xpv2.Reference
		err        bool
	}
	cases := map[string]struct {
		params ghv1alpha1.RepositoryFileParameters
		want   want
	}{
		"RefInOwnNamespace": {
			params: ghv1alpha1.RepositoryFileParameters{RepositoryRef: &xpv2.Reference{Name: "shop"}},
			want:   want{repository: ptr.To("acme/a-shop"), ref: &xpv2.Reference{Name: "shop"}},
		},
		"RefToAnotherNamespacesRepository": {
			params: ghv1alpha1.RepositoryFileParameters{RepositoryRef: &xpv2.Reference{Name: "only-in-b"}},
			want:   want{ref: &xpv2.Reference{Name: "only-in-b"}, err: true},
		},
		"SelectorInOwnNamespace": {
			params: ghv1alpha1.RepositoryFileParameters{RepositorySelector: &xpv2.Selector{MatchLabels: sel}},
			want:   want{repository: ptr.To("acme/a-shop"), ref: &xpv2.Reference{Name: "shop"}},
		},
		"SelectorMatchingOnlyAnotherNamespace": {
			params: ghv1alpha1.RepositoryFileParameters{RepositorySelector: &xpv2.Selector{MatchLabels: map[string]string{"app": "b-only"}}},
			want:   want{err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &RepositoryFile{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "catalog"}}
			f.Spec.ForProvider = tc.params
			err := f.ResolveReferences(context.Background(), kube)
			if (err != nil) != tc.want.err {
				t.Fatalf("ResolveReferences(): error %v, want error %v", err, tc.want.err)
			}
			if diff := cmp.Diff(tc.want.repository, f.Spec.ForProvider.Repository); diff != "" {
				t.Errorf("spec.forProvider.repository: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.want.ref, f.Spec.ForProvider.RepositoryRef); diff != "" {
				t.Errorf("spec.forProvider.repositoryRef: -want +got:\n%s", diff)
			}
		})
	}
}
