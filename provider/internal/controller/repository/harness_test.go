package repository

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
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpfake "github.com/crossplane/crossplane-runtime/v2/pkg/resource/fake"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped/scopedtest"
	"github.com/paved-dev/paved/test/clocktest"
	"github.com/paved-dev/paved/test/ghtest"
)

const (
	testToken = "ghp_test-token-never-logged-0123456789"
	testOrg   = "acme"
	testUser  = "octo"
)

// recorder captures events so tests can check they carry no secret.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Event(_ runtime.Object, e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, string(e.Reason)+": "+e.Message)
}

func (r *recorder) WithAnnotations(...string) event.Recorder { return r }

type env struct {
	t     testing.TB
	gh    *ghtest.Server
	kube  client.Client
	r     *managed.Reconciler
	rec   *recorder
	clock *clocktest.Clock
	pool  *ghclient.Pool
}

type envOption func(*ghclient.Options)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	srv := ghtest.NewServer(scopedtest.Validator(t))
	t.Cleanup(srv.Close)
	srv.AddOrg(testOrg)
	srv.AddToken(testToken, testUser)

	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&v1alpha1.Repository{}, &pcv1alpha1.ProviderConfig{}).
		WithObjects(
			&corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "gh"},
				Data:       map[string][]byte{"token": []byte(testToken + "\n")},
			},
			providerConfig("default", "gh", "token", srv.URL),
		).Build()

	// The client's rate-limit waits advance this clock.
	clk := clocktest.New(time.Now())
	o := ghclient.Options{
		AllowHTTPLoopback: true,
		// The stand-in's URL is GitHub Enterprise Server's form; it plays
		// GitHub.com, whose writes are paced.
		ServerContentWritesPerMinute: ghclient.DefaultContentWritesPerMinute,
		ServerContentWritesPerHour:   ghclient.DefaultContentWritesPerHour,
		Timeout:                      2 * time.Second,
		MaxInlineWait:                2 * time.Second,
		Now:                          clk.Now,
		Sleep: func(_ context.Context, d time.Duration) error {
			clk.Advance(d)
			return nil
		},
	}
	for _, fn := range opts {
		fn(&o)
	}
	pool := ghclient.NewPool(o)
	rec := &recorder{}
	ropts := append(ReconcilerOptions(kube, pool, controller.Options{Logger: logging.NewNopLogger(), PollInterval: time.Minute}, v1alpha1.RepositoryGroupKind),
		managed.WithRecorder(rec))
	r := managed.NewReconciler(&xpfake.Manager{Client: kube, Scheme: s}, resource.ManagedKind(v1alpha1.RepositoryGroupVersionKind), ropts...)
	e := &env{t: t, gh: srv, kube: kube, r: r, rec: rec, clock: clk, pool: pool}
	t.Cleanup(e.checkContract)
	return e
}

func providerConfig(name, secret, key, url string) *pcv1alpha1.ProviderConfig {
	return &pcv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{
			BaseURL: url,
			Credentials: pcv1alpha1.GitHubCredentials{
				Source: pcv1alpha1.GitHubCredentialsSecret,
				SecretRef: &xpv2.SecretKeySelector{
					SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: secret},
					Key:             key,
				},
			},
		}},
	}
}

// checkContract fails the test if any request or response broke GitHub's
// OpenAPI description, or if the token leaked into events or status.
func (e *env) checkContract() {
	for _, v := range e.gh.Violations() {
		e.t.Errorf("OpenAPI: %s", v)
	}
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for _, ev := range e.rec.events {
		if strings.Contains(ev, "test-token") {
			e.t.Errorf("event leaks the token: %s", ev)
		}
	}
	l := &v1alpha1.RepositoryList{}
	if err := e.kube.List(context.Background(), l); err != nil {
		e.t.Errorf("list: %v", err)
	}
	for _, r := range l.Items {
		for _, c := range r.Status.Conditions {
			if strings.Contains(c.Message, "test-token") {
				e.t.Errorf("condition leaks the token: %s", c.Message)
			}
		}
	}
}

type repoOption func(*v1alpha1.Repository)

func (e *env) create(name string, opts ...repoOption) *v1alpha1.Repository {
	e.t.Helper()
	r := &v1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)},
		Spec: v1alpha1.RepositorySpec{
			ClusterManagedResourceSpec: xpv2.ClusterManagedResourceSpec{
				ProviderConfigReference: &xpv2.Reference{Name: "default"},
				ManagementPolicies:      xpv2.ManagementPolicies{xpv2.ManagementActionAll},
				DeletionPolicy:          xpv2.DeletionDelete,
			},
			ForProvider: v1alpha1.RepositoryParameters{
				Owner:         testOrg,
				Visibility:    v1alpha1.VisibilityPrivate,
				DefaultBranch: "main",
			},
		},
	}
	for _, o := range opts {
		o(r)
	}
	if err := e.kube.Create(context.Background(), r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) get(name string) *v1alpha1.Repository {
	e.t.Helper()
	r := &v1alpha1.Repository{}
	if err := e.kube.Get(context.Background(), types.NamespacedName{Name: name}, r); err != nil {
		e.t.Fatalf("get %s: %v", name, err)
	}
	return r
}

func (e *env) exists(name string) bool {
	err := e.kube.Get(context.Background(), types.NamespacedName{Name: name}, &v1alpha1.Repository{})
	return err == nil
}

// reconcile runs the managed reconciler once, as controller-runtime would.
func (e *env) reconcile(name string) {
	e.t.Helper()
	_, _ = e.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: name}})
}

func ready(r *v1alpha1.Repository) bool {
	return r.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue &&
		r.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
}

// converge reconciles until the resource is Ready and Synced and one more
// reconcile changes nothing on GitHub; it fails after max reconciles.
func (e *env) converge(name string, limit int) int {
	e.t.Helper()
	for i := 1; i <= limit; i++ {
		e.reconcile(name)
		if !e.exists(name) {
			continue
		}
		if r := e.get(name); ready(r) && r.Status.AtProvider.ID != 0 {
			before := e.gh.Stats()
			e.reconcile(name)
			if e.gh.Stats().Counted == before.Counted {
				return i
			}
		}
	}
	r := e.get(name)
	e.t.Fatalf("%s did not converge in %d reconciles: %+v", name, limit, r.Status.Conditions)
	return 0
}

func synced(r *v1alpha1.Repository) xpv2.Condition { return r.GetCondition(xpv2.TypeSynced) }

type ghtestRepo = ghtest.RepoState

// external returns an external client connected like the reconciler's.
func (e *env) external(t *testing.T, name string) *External {
	t.Helper()
	c, err := (&Connector{Kube: e.kube, Pool: e.pool}).Connect(context.Background(), e.get(name))
	if err != nil {
		t.Fatal(err)
	}
	ext, ok := c.(*External)
	if !ok {
		t.Fatal("not an *External")
	}
	return ext
}

// age moves the resource's creation annotations an hour back, past the
// managed reconciler's creation grace period (during which a missing
// external resource is taken for GitHub's eventual consistency).
func (e *env) age(name string) {
	e.t.Helper()
	r := e.get(name)
	past := time.Now().Add(-time.Hour)
	if !meta.GetExternalCreateSucceeded(r).IsZero() {
		meta.SetExternalCreateSucceeded(r, past)
	}
	if !meta.GetExternalCreatePending(r).IsZero() {
		meta.SetExternalCreatePending(r, past.Add(-time.Second))
	}
	if err := e.kube.Update(context.Background(), r); err != nil {
		e.t.Fatal(err)
	}
}
