package repository

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped"
	"github.com/paved-dev/paved/provider/internal/scoped/scopedtest"
)

// The one Repository controller serves both scopes: a github.paved.dev
// Repository through a paved.dev ProviderConfig, and a github.m.paved.dev
// Repository through a ClusterProviderConfig or a ProviderConfig of its own
// namespace, each recording the usage crossplane-runtime expects of its
// scope. A namespaced Repository that names another namespace's
// ProviderConfig is not created.
func TestRepositoryScopes(t *testing.T) {
	type want struct {
		ready  bool
		atProv v1alpha1.RepositoryObservation
		onGH   bool
		usage  string // namespace/name of the usage and the config it names
		synced string // substring of the Synced message when not ready
	}
	namespaced := func(kind, name string) scoped.Repository {
		r := &ghmv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "payments", UID: "uid-payments"}}
		r.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: kind, Name: name}
		r.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		r.Spec.ForProvider = v1alpha1.RepositoryParameters{Owner: testOrg, AutoInit: ptr(true)}
		return r
	}
	cluster := func() scoped.Repository {
		r := &v1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: "payments", UID: "uid-payments"}}
		r.Spec.ProviderConfigReference = &xpv2.Reference{Name: "default"}
		r.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
		r.Spec.DeletionPolicy = xpv2.DeletionDelete
		r.Spec.ForProvider = v1alpha1.RepositoryParameters{Owner: testOrg, AutoInit: ptr(true)}
		return r
	}
	observed := v1alpha1.RepositoryObservation{FullName: testOrg + "/payments", DefaultBranch: "main"}
	cases := map[string]struct {
		scope scoped.Scope
		mr    scoped.Repository
		want  want
	}{
		"ClusterScoped": {
			scope: scoped.Cluster, mr: cluster(),
			want: want{ready: true, atProv: observed, onGH: true, usage: "/default"},
		},
		"NamespacedClusterProviderConfig": {
			scope: scoped.Namespaced, mr: namespaced("ClusterProviderConfig", "default"),
			want: want{ready: true, atProv: observed, onGH: true, usage: "team-a/ClusterProviderConfig/default"},
		},
		"NamespacedOwnProviderConfig": {
			scope: scoped.Namespaced, mr: namespaced("ProviderConfig", "own"),
			want: want{ready: true, atProv: observed, onGH: true, usage: "team-a/ProviderConfig/own"},
		},
		"NamespacedOtherNamespacesProviderConfig": {
			scope: scoped.Namespaced, mr: namespaced("ProviderConfig", "team-b-only"),
			want: want{synced: `cannot get ProviderConfig "team-a/team-b-only"`, usage: "team-a/ProviderConfig/team-b-only"},
		},
		"NamespacedProviderConfigNamingAnotherNamespacesSecret": {
			scope: scoped.Namespaced, mr: namespaced("ProviderConfig", "reaches-into-b"),
			want: want{synced: `names Secret team-b/gh: a ProviderConfig may only name Secrets of its own namespace "team-a"`, usage: "team-a/ProviderConfig/reaches-into-b"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := scopedtest.GitHub(t, testOrg, testToken, testUser)
			kube, r := scopedtest.NewReconciler(t, tc.scope.Repository, func(kube client.Client, pool *ghclient.Pool, o controller.Options) []managed.ReconcilerOption {
				return ReconcilerOptions(kube, pool, o, tc.scope.Repository.GroupKind)
			},
				scopedtest.Secret(scopedtest.SecretNamespace, testToken), scopedtest.Secret("team-a", testToken), scopedtest.Secret("team-b", testToken),
				&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: scopedtest.ConfigSpec(srv.URL, scopedtest.SecretNamespace)},
				&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: scopedtest.ConfigSpec(srv.URL, scopedtest.SecretNamespace)},
				&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "own"}, Spec: scopedtest.ConfigSpec(srv.URL, "team-a")},
				&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "team-b-only"}, Spec: scopedtest.ConfigSpec(srv.URL, "team-b")},
				&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "reaches-into-b"}, Spec: scopedtest.ConfigSpec(srv.URL, "team-b")},
				tc.mr,
			)
			got := scopedtest.Reconcile(t, kube, r, tc.scope.Repository, tc.mr)
			scopedtest.ExpectConditions(t, got, tc.want.ready, tc.want.synced)
			obs := *got.Observation()
			obs.ID, obs.HTMLURL, obs.CloneURL, obs.SSHURL = 0, "", "", ""
			if diff := cmp.Diff(tc.want.atProv, obs); diff != "" {
				t.Errorf("status.atProvider: -want +got:\n%s", diff)
			}
			if _, onGH := srv.Repo(testOrg, "payments"); onGH != tc.want.onGH {
				t.Errorf("repository on GitHub = %v, want %v", onGH, tc.want.onGH)
			}
			if diff := cmp.Diff(tc.want.usage, usageOf(t, kube, tc.scope)); diff != "" {
				t.Errorf("ProviderConfigUsage: -want +got:\n%s", diff)
			}
		})
	}
}

// usageOf is the one usage of scope s: "/<config>" for a paved.dev
// ProviderConfigUsage, "<namespace>/<kind>/<config>" for an m.paved.dev one.
func usageOf(t *testing.T, kube client.Client, s scoped.Scope) string {
	t.Helper()
	if s.Name == scoped.Cluster.Name {
		l := &pcv1alpha1.ProviderConfigUsageList{}
		if err := kube.List(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 1 {
			t.Fatalf("%d paved.dev ProviderConfigUsages, want 1", len(l.Items))
		}
		return l.Items[0].Namespace + "/" + l.Items[0].ProviderConfigReference.Name
	}
	l := &mv1alpha1.ProviderConfigUsageList{}
	if err := kube.List(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 1 {
		t.Fatalf("%d m.paved.dev ProviderConfigUsages, want 1", len(l.Items))
	}
	u := l.Items[0]
	return u.Namespace + "/" + u.ProviderConfigReference.Kind + "/" + u.ProviderConfigReference.Name
}
