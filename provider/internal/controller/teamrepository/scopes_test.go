package teamrepository

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

// The one TeamRepository controller serves both scopes; a namespaced
// TeamRepository's repositoryRef finds a Repository of its own namespace
// only, and the referenced Repository's GitHub id is read from there.
func TestTeamRepositoryScopes(t *testing.T) {
	params := v1alpha1.TeamRepositoryParameters{RepositoryRef: &xpv2.Reference{Name: "svc"}, Team: testTeam, Permission: v1alpha1.PermissionPush}
	clusterAccess := func() scoped.TeamRepository {
		b := &v1alpha1.TeamRepository{ObjectMeta: metav1.ObjectMeta{Name: "access", UID: "uid-access"}}
		b.Spec.ProviderConfigReference = &xpv2.Reference{Name: "default"}
		b.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		b.Spec.DeletionPolicy = xpv2.DeletionDelete
		b.Spec.ForProvider = params
		return b
	}
	nsAccess := func() scoped.TeamRepository {
		b := &ghmv1alpha1.TeamRepository{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "access", UID: "uid-access"}}
		b.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}
		b.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		b.Spec.ForProvider = params
		return b
	}
	type want struct {
		ready      bool
		synced     string
		permission string
	}
	cases := map[string]struct {
		scope scoped.Scope
		// repoNS is the namespace of the Repository svc ("" cluster-scoped).
		repoNS string
		// otherID makes the referenced Repository report another GitHub
		// id than svc's.
		otherID bool
		b       scoped.TeamRepository
		want    want
	}{
		"ClusterScoped": {
			scope: scoped.Cluster, b: clusterAccess(),
			want: want{ready: true, permission: "push"},
		},
		"NamespacedRepositoryOfItsNamespace": {
			scope: scoped.Namespaced, repoNS: "team-a", b: nsAccess(),
			want: want{ready: true, permission: "push"},
		},
		"NamespacedRepositoryReportsAnotherID": {
			// The id checked before writing is read from the Repository
			// of the TeamRepository's namespace.
			scope: scoped.Namespaced, repoNS: "team-a", otherID: true, b: nsAccess(),
			want: want{synced: "not the id", permission: ""},
		},
		"NamespacedRepositoryOnlyInAnotherNamespace": {
			scope: scoped.Namespaced, repoNS: "team-b", b: nsAccess(),
			want: want{synced: "cannot resolve references: mg.Spec.ForProvider.Repository", permission: ""},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := scopedtest.GitHub(t, testOrg, testToken, "octo")
			srv.CreateOutOfBand(testOrg, testRepo)
			srv.AddTeam(testOrg, testTeam)
			st, _ := srv.Repo(testOrg, testRepo)
			observed := v1alpha1.RepositoryObservation{ID: st.ID, FullName: testOrg + "/" + testRepo, DefaultBranch: "main"}
			if tc.otherID {
				observed.ID += 1000
			}
			repo := scopedtest.Repository(tc.repoNS, testRepo, observed)
			kube, r := scopedtest.NewReconciler(t, tc.scope.TeamRepository, func(kube client.Client, pool *ghclient.Pool, o controller.Options) []managed.ReconcilerOption {
				return ReconcilerOptions(kube, pool, o, tc.scope)
			}, append(scopedtest.Defaults(srv.URL, testToken), repo, tc.b)...)
			got := scopedtest.Reconcile(t, kube, r, tc.scope.TeamRepository, tc.b)
			scopedtest.ExpectConditions(t, got, tc.want.ready, tc.want.synced)
			if diff := cmp.Diff(tc.want.permission, srv.TeamPermission(testOrg, testTeam, testOrg, testRepo)); diff != "" {
				t.Errorf("team's permission on GitHub: -want +got:\n%s", diff)
			}
		})
	}
}
