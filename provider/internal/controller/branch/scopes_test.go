package branch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped"
	"github.com/paved-dev/paved/provider/internal/scoped/scopedtest"
)

// The one Branch controller serves both scopes; a namespaced Branch's
// repositoryRef finds a Repository of its own namespace only, and the
// referenced Repository's GitHub id is read from there.
func TestBranchScopes(t *testing.T) {
	params := v1alpha1.BranchParameters{RepositoryRef: &xpv2.Reference{Name: "svc"}, Branch: "release"}
	clusterBranch := func() scoped.Branch {
		b := &v1alpha1.Branch{ObjectMeta: metav1.ObjectMeta{Name: "release", UID: "uid-release"}}
		b.Spec.ProviderConfigReference = &xpv2.Reference{Name: "default"}
		b.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		b.Spec.DeletionPolicy = xpv2.DeletionDelete
		b.Spec.ForProvider = params
		return b
	}
	nsBranch := func() scoped.Branch {
		b := &ghmv1alpha1.Branch{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "release", UID: "uid-release"}}
		b.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}
		b.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		b.Spec.ForProvider = params
		return b
	}
	type want struct {
		ready    bool
		synced   string
		branches []string
	}
	cases := map[string]struct {
		scope scoped.Scope
		// repoNS is the namespace of the Repository svc ("" cluster-scoped).
		repoNS string
		// otherID makes the referenced Repository report another GitHub
		// id than svc's.
		otherID bool
		b       scoped.Branch
		want    want
	}{
		"ClusterScoped": {
			scope: scoped.Cluster, b: clusterBranch(),
			want: want{ready: true, branches: []string{"main", "release"}},
		},
		"NamespacedRepositoryOfItsNamespace": {
			scope: scoped.Namespaced, repoNS: "team-a", b: nsBranch(),
			want: want{ready: true, branches: []string{"main", "release"}},
		},
		"NamespacedRepositoryReportsAnotherID": {
			// The id checked before writing is read from the Repository
			// of the Branch's namespace.
			scope: scoped.Namespaced, repoNS: "team-a", otherID: true, b: nsBranch(),
			want: want{synced: "not the id", branches: []string{"main"}},
		},
		"NamespacedRepositoryOnlyInAnotherNamespace": {
			scope: scoped.Namespaced, repoNS: "team-b", b: nsBranch(),
			want: want{synced: "cannot resolve references: mg.Spec.ForProvider.Repository", branches: []string{"main"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := scopedtest.GitHub(t, testOrg, testToken, "octo")
			srv.CreateOutOfBand(testOrg, testRepo)
			st, _ := srv.Repo(testOrg, testRepo)
			observed := v1alpha1.RepositoryObservation{ID: st.ID, FullName: testOrg + "/" + testRepo, DefaultBranch: "main"}
			if tc.otherID {
				observed.ID += 1000
			}
			repo := scopedtest.Repository(tc.repoNS, testRepo, observed)
			kube, r := scopedtest.NewReconciler(t, tc.scope.Branch, func(kube client.Client, pool *ghclient.Pool, o controller.Options) []managed.ReconcilerOption {
				return ReconcilerOptions(kube, pool, o, tc.scope)
			}, append(scopedtest.Defaults(srv.URL, testToken), repo, tc.b)...)
			got := scopedtest.Reconcile(t, kube, r, tc.scope.Branch, tc.b)
			scopedtest.ExpectConditions(t, got, tc.want.ready, tc.want.synced)
			if diff := cmp.Diff(tc.want.branches, srv.Branches(testOrg, testRepo)); diff != "" {
				t.Errorf("branches on GitHub: -want +got:\n%s", diff)
			}
		})
	}
}
