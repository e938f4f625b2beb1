package branch

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
			srv := ghtest.NewServer(validator)
			t.Cleanup(srv.Close)
			srv.AddOrg(testOrg)
			srv.AddToken(testToken, "octo")
			srv.CreateOutOfBand(testOrg, testRepo)
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
				WithStatusSubresource(&v1alpha1.Branch{}, &ghmv1alpha1.Branch{}).
				WithObjects(
					&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "gh"}, Data: map[string][]byte{"token": []byte(testToken)}},
					&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: spec},
					&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: spec},
					repo, tc.b,
				).Build()
			pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, Timeout: 2 * time.Second})
			r := managed.NewReconciler(&xpfake.Manager{Client: kube, Scheme: s}, resource.ManagedKind(tc.scope.Branch.GroupVersionKind),
				ReconcilerOptions(kube, pool, controller.Options{Logger: logging.NewNopLogger(), PollInterval: time.Minute}, tc.scope)...)
			key := types.NamespacedName{Namespace: tc.b.GetNamespace(), Name: tc.b.GetName()}
			for range 3 {
				_, _ = r.Reconcile(context.Background(), reconcile.Request{NamespacedName: key})
			}
			got := tc.scope.Branch.New()
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
			if diff := cmp.Diff(tc.want.branches, srv.Branches(testOrg, testRepo)); diff != "" {
				t.Errorf("branches on GitHub: -want +got:\n%s", diff)
			}
		})
	}
}
