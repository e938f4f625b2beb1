package teamrepository

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpfake "github.com/crossplane/crossplane-runtime/v2/pkg/resource/fake"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped"
	"github.com/paved-dev/paved/test/ghtest"
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
			srv := ghtest.NewServer(validator)
			t.Cleanup(srv.Close)
			srv.AddOrg(testOrg)
			srv.AddToken(testToken, "octo")
			srv.CreateOutOfBand(testOrg, testRepo)
			srv.AddTeam(testOrg, testTeam)
			t.Cleanup(func() {
				for _, v := range srv.Violations() {
					t.Errorf("OpenAPI: %s", v)
				}
			})
			st, _ := srv.Repo(testOrg, testRepo)
			observed := v1alpha1.RepositoryObservation{ID: st.ID, FullName: testOrg + "/" + testRepo, DefaultBranch: "main"}
			if tc.otherID {
				observed.ID += 1000
			}
			var repo client.Object
			if tc.repoNS == "" {
				r := &v1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: testRepo}}
				r.Status.AtProvider = observed
				repo = r
			} else {
				r := &ghmv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: tc.repoNS, Name: testRepo}}
				r.Status.AtProvider = observed
				repo = r
			}
			s := runtime.NewScheme()
			if err := apis.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			if err := corev1.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			spec := pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{BaseURL: srv.URL, Credentials: pcv1alpha1.GitHubCredentials{
				Source:    pcv1alpha1.GitHubCredentialsSecret,
				SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "gh"}, Key: "token"},
			}}}
			kube := fake.NewClientBuilder().WithScheme(s).
				WithStatusSubresource(&v1alpha1.TeamRepository{}, &ghmv1alpha1.TeamRepository{}).
				WithObjects(
					&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "gh"}, Data: map[string][]byte{"token": []byte(testToken)}},
					&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: spec},
					&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: spec},
					repo, tc.b,
				).Build()
			pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, Timeout: 2 * time.Second})
			r := managed.NewReconciler(&xpfake.Manager{Client: kube, Scheme: s}, resource.ManagedKind(tc.scope.TeamRepository.GroupVersionKind),
				ReconcilerOptions(kube, pool, controller.Options{Logger: logging.NewNopLogger(), PollInterval: time.Minute}, tc.scope)...)
			key := types.NamespacedName{Namespace: tc.b.GetNamespace(), Name: tc.b.GetName()}
			for range 3 {
				_, _ = r.Reconcile(context.Background(), reconcile.Request{NamespacedName: key})
			}
			got := tc.scope.TeamRepository.New()
			if err := kube.Get(context.Background(), key, got); err != nil {
				t.Fatal(err)
			}
			ready := got.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && got.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
			if ready != tc.want.ready {
				t.Fatalf("ready = %v, want %v; Synced %+v", ready, tc.want.ready, got.GetCondition(xpv2.TypeSynced))
			}
			if msg := got.GetCondition(xpv2.TypeSynced).Message; !strings.Contains(msg, tc.want.synced) {
				t.Errorf("Synced message %q does not contain %q", msg, tc.want.synced)
			}
			if diff := cmp.Diff(tc.want.permission, srv.TeamPermission(testOrg, testTeam, testOrg, testRepo)); diff != "" {
				t.Errorf("team's permission on GitHub: -want +got:\n%s", diff)
			}
		})
	}
}
