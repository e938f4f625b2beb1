package repository

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

// scopeSpec is a GitHub spec.github whose token is the Secret ns/gh.
func scopeSpec(url, ns string) pcv1alpha1.ProviderConfigSpec {
	return pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{BaseURL: url, Credentials: pcv1alpha1.GitHubCredentials{
		Source:    pcv1alpha1.GitHubCredentialsSecret,
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: "gh"}, Key: "token"},
	}}}
}

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
			srv := ghtest.NewServer(validator)
			t.Cleanup(srv.Close)
			srv.AddOrg(testOrg)
			srv.AddToken(testToken, testUser)
			t.Cleanup(func() {
				for _, v := range srv.Violations() {
					t.Errorf("OpenAPI: %s", v)
				}
			})
			s := runtime.NewScheme()
			if err := apis.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			if err := corev1.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			secret := func(ns, token string) *corev1.Secret {
				return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gh"}, Data: map[string][]byte{"token": []byte(token)}}
			}
			kube := fake.NewClientBuilder().WithScheme(s).
				WithStatusSubresource(&v1alpha1.Repository{}, &ghmv1alpha1.Repository{}).
				WithObjects(
					secret("crossplane-system", testToken), secret("team-a", testToken), secret("team-b", testToken),
					&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: scopeSpec(srv.URL, "crossplane-system")},
					&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: scopeSpec(srv.URL, "crossplane-system")},
					&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "own"}, Spec: scopeSpec(srv.URL, "team-a")},
					&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "team-b-only"}, Spec: scopeSpec(srv.URL, "team-b")},
					&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "reaches-into-b"}, Spec: scopeSpec(srv.URL, "team-b")},
					tc.mr,
				).Build()
			pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, Timeout: 2 * time.Second})
			r := managed.NewReconciler(&xpfake.Manager{Client: kube, Scheme: s}, resource.ManagedKind(tc.scope.Repository.GroupVersionKind),
				ReconcilerOptions(kube, pool, controller.Options{Logger: logging.NewNopLogger(), PollInterval: time.Minute}, tc.scope.Repository.GroupKind)...)
			key := types.NamespacedName{Namespace: tc.mr.GetNamespace(), Name: tc.mr.GetName()}
			for range 3 {
				_, _ = r.Reconcile(context.Background(), reconcile.Request{NamespacedName: key})
			}

			got := tc.scope.Repository.New()
			if err := kube.Get(context.Background(), key, got); err != nil {
				t.Fatal(err)
			}
			ready := got.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && got.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
			if ready != tc.want.ready {
				t.Fatalf("ready = %v, want %v; conditions %+v", ready, tc.want.ready, got.GetCondition(xpv2.TypeSynced))
			}
			if tc.want.synced != "" {
				if msg := got.GetCondition(xpv2.TypeSynced).Message; !strings.Contains(msg, tc.want.synced) {
					t.Errorf("Synced message %q does not contain %q", msg, tc.want.synced)
				}
			}
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
