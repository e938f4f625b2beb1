package repositoryfile

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
	"github.com/paved-dev/paved/provider/internal/scoped/scopedtest"
)

// The one RepositoryFile controller serves both scopes, and a namespaced
// RepositoryFile's repositoryRef finds a Repository of its own namespace
// only: one that names a Repository of another namespace waits, reported
// on Synced, and commits nothing.
func TestRepositoryFileScopes(t *testing.T) {
	const content = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n"
	params := v1alpha1.RepositoryFileParameters{
		RepositoryRef: &xpv2.Reference{Name: "svc"},
		Path:          "catalog-info.yaml", Content: content, CommitMessage: "Add catalog-info.yaml",
	}
	observedRepo := v1alpha1.RepositoryObservation{FullName: testOrg + "/svc", HTMLURL: "https://github.com/acme/svc", DefaultBranch: "main"}
	clusterRepo := &v1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: "svc"}}
	clusterRepo.Status.AtProvider = observedRepo
	nsRepo := func(ns string) *ghmv1alpha1.Repository {
		r := &ghmv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "svc"}}
		r.Status.AtProvider = observedRepo
		return r
	}
	clusterFile := func() scoped.RepositoryFile {
		f := &v1alpha1.RepositoryFile{ObjectMeta: metav1.ObjectMeta{Name: "catalog", UID: "uid-catalog"}}
		f.Spec.ProviderConfigReference = &xpv2.Reference{Name: "default"}
		f.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		f.Spec.DeletionPolicy = xpv2.DeletionDelete
		f.Spec.ForProvider = params
		return f
	}
	nsFile := func() scoped.RepositoryFile {
		f := &ghmv1alpha1.RepositoryFile{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "catalog", UID: "uid-catalog"}}
		f.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}
		f.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		f.Spec.ForProvider = params
		f.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "svc"}
		return f
	}
	type want struct {
		ready      bool
		repository *string
		onGitHub   string
		synced     string
	}
	cases := map[string]struct {
		scope scoped.Scope
		repos []client.Object
		file  scoped.RepositoryFile
		want  want
	}{
		"ClusterScoped": {
			scope: scoped.Cluster, repos: []client.Object{clusterRepo}, file: clusterFile(),
			want: want{ready: true, repository: ptr(testOrg + "/svc"), onGitHub: content},
		},
		"NamespacedRepositoryOfItsNamespace": {
			scope: scoped.Namespaced, repos: []client.Object{nsRepo("team-a")}, file: nsFile(),
			want: want{ready: true, repository: ptr(testOrg + "/svc"), onGitHub: content},
		},
		"NamespacedRepositoryOnlyInAnotherNamespace": {
			// A cluster-scoped Repository of the name does not count
			// either: references stay in the resource's scope.
			scope: scoped.Namespaced, repos: []client.Object{nsRepo("team-b"), clusterRepo}, file: nsFile(),
			want: want{synced: "cannot resolve references: mg.Spec.ForProvider.Repository"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := scopedtest.GitHub(t, testOrg, testToken, "octo")
			srv.CreateOutOfBand(testOrg, "svc")
			kube, r := scopedtest.NewReconciler(t, tc.scope.RepositoryFile, func(kube client.Client, pool *ghclient.Pool, o controller.Options) []managed.ReconcilerOption {
				return ReconcilerOptions(kube, pool, o, tc.scope)
			}, append(append(scopedtest.Defaults(srv.URL, testToken), tc.file), tc.repos...)...)
			got := scopedtest.Reconcile(t, kube, r, tc.scope.RepositoryFile, tc.file)
			scopedtest.ExpectConditions(t, got, tc.want.ready, tc.want.synced)
			if diff := cmp.Diff(tc.want.repository, got.Parameters().Repository); diff != "" {
				t.Errorf("spec.forProvider.repository: -want +got:\n%s", diff)
			}
			repo, _ := srv.Repo(testOrg, "svc")
			if diff := cmp.Diff(tc.want.onGitHub, repo.Files["main:catalog-info.yaml"]); diff != "" {
				t.Errorf("catalog-info.yaml on GitHub: -want +got:\n%s", diff)
			}
		})
	}
}

// A namespaced Repository's event wakes the namespaced RepositoryFiles of
// its namespace that reference it, not those of another namespace that
// reference a Repository of the same name.
func TestNamespacedFilesReferencing(t *testing.T) {
	k := refKindOf(scoped.Namespaced)
	file := func(ns, name string) *ghmv1alpha1.RepositoryFile {
		f := &ghmv1alpha1.RepositoryFile{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		f.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "svc"}
		return f
	}
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).
		WithIndex(&ghmv1alpha1.RepositoryFile{}, refwait.IndexRef, k.IndexValues).
		WithObjects(file("team-a", "mine"), file("team-b", "theirs")).Build()
	got := k.Referencing(kube)(context.Background(), &ghmv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "svc"}})
	want := []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: "team-a", Name: "mine"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}
