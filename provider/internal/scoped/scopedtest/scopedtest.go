// Package scopedtest sets up what the GitHub controllers' tests share: the
// GitHub stand-in (test/ghtest), a fake API server holding the provider's
// kinds of both scopes with the Secret and ProviderConfigs that reach the
// stand-in, and crossplane-runtime's managed reconciler of one kind of one
// scope (scoped.Kind) with the controller's own reconciler options.
package scopedtest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

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
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped"
	"github.com/paved-dev/paved/test/ghtest"
)

const (
	// SecretNamespace holds the Secret the default ProviderConfigs read.
	SecretNamespace = "crossplane-system"
	// SecretName names the token Secret in every namespace.
	SecretName = "gh"
	// DefaultConfig names the ProviderConfig and ClusterProviderConfig
	// Defaults holds.
	DefaultConfig = "default"
)

// validator is GitHub's OpenAPI description, loaded once per test binary.
var validator = sync.OnceValues(ghtest.LoadValidator)

// Validator returns GitHub's OpenAPI description (ghtest.LoadValidator),
// loaded once for every test of the package.
func Validator(t testing.TB) *ghtest.Validator {
	t.Helper()
	v, err := validator()
	if err != nil {
		t.Fatalf("GitHub OpenAPI description unavailable (run `make provider-test-deps`): %v", err)
	}
	return v
}

// GitHub starts a stand-in that validates with Validator, with
// organisation org and token of user login. It closes when the test ends,
// failing it for every request or response that broke GitHub's OpenAPI
// description.
func GitHub(t testing.TB, org, token, login string) *ghtest.Server {
	t.Helper()
	srv := ghtest.NewServer(Validator(t))
	srv.AddOrg(org)
	srv.AddToken(token, login)
	t.Cleanup(func() {
		for _, v := range srv.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
		srv.Close()
	})
	return srv
}

// ConfigSpec is a ProviderConfig spec (of any ProviderConfig kind) for the
// stand-in at url with the token of Secret SecretName in namespace ns.
func ConfigSpec(url, ns string) pcv1alpha1.ProviderConfigSpec {
	return pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{BaseURL: url, Credentials: pcv1alpha1.GitHubCredentials{
		Source:    pcv1alpha1.GitHubCredentialsSecret,
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: SecretName}, Key: "token"},
	}}}
}

// Secret is Secret SecretName of namespace ns holding token.
func Secret(ns, token string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: SecretName}, Data: map[string][]byte{"token": []byte(token)}}
}

// Defaults are the Secret of SecretNamespace holding token and the
// paved.dev ProviderConfig and m.paved.dev ClusterProviderConfig
// DefaultConfig that reach the stand-in at url with it: what a resource of
// either scope uses when it names no other.
func Defaults(url, token string) []client.Object {
	spec := ConfigSpec(url, SecretNamespace)
	return []client.Object{
		Secret(SecretNamespace, token),
		&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: DefaultConfig}, Spec: spec},
		&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: DefaultConfig}, Spec: spec},
	}
}

// Repository is a Repository name of namespace ns (cluster-scoped when ns
// is "") that the provider observed as observed: what a Branch,
// RepositoryFile or TeamRepository referencing it reads.
func Repository(ns, name string, observed ghv1alpha1.RepositoryObservation) client.Object {
	if ns == "" {
		r := &ghv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: name}}
		r.Status.AtProvider = observed
		return r
	}
	r := &ghmv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	r.Status.AtProvider = observed
	return r
}

// Scheme holds the provider's APIs and core/v1.
func Scheme(t testing.TB) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Options are a controller's managed reconciler options for an API client
// and GitHub client pool (each controller's ReconcilerOptions, bound to
// its scope).
type Options func(kube client.Client, pool *ghclient.Pool, o controller.Options) []managed.ReconcilerOption

// NewReconciler returns a fake API server holding objs, with kind's status
// subresource, and the managed reconciler of kind on it with the
// controller's options: a fresh GitHub client pool that may reach the
// stand-in over plain HTTP on loopback, a one-minute poll interval.
func NewReconciler[T resource.Managed](t testing.TB, kind scoped.Kind[T], opts Options, objs ...client.Object) (client.Client, *managed.Reconciler) {
	t.Helper()
	s := Scheme(t)
	kube := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(kind.New()).WithObjects(objs...).Build()
	pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, Timeout: 2 * time.Second})
	r := managed.NewReconciler(&xpfake.Manager{Client: kube, Scheme: s}, resource.ManagedKind(kind.GroupVersionKind),
		opts(kube, pool, controller.Options{Logger: logging.NewNopLogger(), PollInterval: time.Minute})...)
	return kube, r
}

// Reconcile runs r on mg three times (the first creates, the next observe
// what was created, as the watch of the resource's own update would) and
// returns mg of kind as the API server then holds it. A reconcile's error
// is not the test's: it shows in the resource's Synced condition.
func Reconcile[T resource.Managed](t testing.TB, kube client.Client, r *managed.Reconciler, kind scoped.Kind[T], mg client.Object) T {
	t.Helper()
	key := types.NamespacedName{Namespace: mg.GetNamespace(), Name: mg.GetName()}
	for range 3 {
		_, _ = r.Reconcile(context.Background(), reconcile.Request{NamespacedName: key})
	}
	got := kind.New()
	if err := kube.Get(context.Background(), key, got); err != nil {
		t.Fatal(err)
	}
	return got
}

// ExpectConditions fails the test unless mg is Ready and Synced exactly
// when ready says so, and its Synced message contains synced.
func ExpectConditions(t testing.TB, mg resource.Managed, ready bool, synced string) {
	t.Helper()
	s := mg.GetCondition(xpv2.TypeSynced)
	if got := mg.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue; got != ready {
		t.Fatalf("ready = %v, want %v; Synced %+v", got, ready, s)
	}
	if !strings.Contains(s.Message, synced) {
		t.Errorf("Synced message %q does not contain %q", s.Message, synced)
	}
}
