package teamrepository

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped"
	"github.com/paved-dev/paved/provider/internal/scoped/scopedtest"
	"github.com/paved-dev/paved/test/ghtest"
)

const (
	testToken = "ghp_test-token-never-logged-0123456789"
	testOrg   = "acme"
	testRepo  = "svc"
	testTeam  = "payments"
)

type env struct {
	t    *testing.T
	gh   *ghtest.Server
	kube client.Client
	r    *managed.Reconciler
}

// newEnv starts a stand-in with the organisation's repository svc and
// team payments, and a reconciler of TeamRepositories.
func newEnv(t *testing.T) *env {
	t.Helper()
	srv := scopedtest.GitHub(t, testOrg, testToken, "octo")
	srv.CreateOutOfBand(testOrg, testRepo)
	srv.AddTeam(testOrg, testTeam)
	kube, r := scopedtest.NewReconciler(t, scoped.Cluster.TeamRepository, func(kube client.Client, pool *ghclient.Pool, o controller.Options) []managed.ReconcilerOption {
		return ReconcilerOptions(kube, pool, o, scoped.Cluster)
	}, scopedtest.Defaults(srv.URL, testToken)...)
	return &env{t: t, gh: srv, kube: kube, r: r}
}

func ptr[T any](v T) *T { return &v }

// create makes a TeamRepository giving the team payments push access to
// acme/svc, unless fn changes it.
func (e *env) create(name string, fn func(*v1alpha1.TeamRepository)) {
	e.t.Helper()
	b := &v1alpha1.TeamRepository{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)},
		Spec: v1alpha1.TeamRepositorySpec{
			ClusterManagedResourceSpec: xpv2.ClusterManagedResourceSpec{
				ProviderConfigReference: &xpv2.Reference{Name: "default"},
				ManagementPolicies:      xpv2.ManagementPolicies{xpv2.ManagementActionAll},
				DeletionPolicy:          xpv2.DeletionDelete,
			},
			ForProvider: v1alpha1.TeamRepositoryParameters{
				Repository: ptr(testOrg + "/" + testRepo),
				Team:       testTeam,
				Permission: v1alpha1.PermissionPush,
			},
		},
	}
	if fn != nil {
		fn(b)
	}
	if err := e.kube.Create(context.Background(), b); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) get(name string) *v1alpha1.TeamRepository {
	e.t.Helper()
	b := &v1alpha1.TeamRepository{}
	if err := e.kube.Get(context.Background(), types.NamespacedName{Name: name}, b); err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) exists(name string) bool {
	return e.kube.Get(context.Background(), types.NamespacedName{Name: name}, &v1alpha1.TeamRepository{}) == nil
}

func (e *env) reconcile(name string, times int) {
	for range times {
		_, _ = e.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: name}})
	}
}

// remove deletes the TeamRepository and reconciles until the managed reconciler
// has removed its finalizer (or gives up).
//
// The creation is aged first: crossplane-runtime's managed reconciler
// trusts an absent external resource only after the creation grace period
// (pkg/reconciler/managed/reconciler.go, ExternalCreateSucceededDuring).
func (e *env) remove(name string) {
	e.t.Helper()
	o := e.get(name)
	if !meta.GetExternalCreateSucceeded(o).IsZero() {
		meta.SetExternalCreateSucceeded(o, time.Now().Add(-time.Hour))
		meta.SetExternalCreatePending(o, time.Now().Add(-time.Hour))
		if err := e.kube.Update(context.Background(), o); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := e.kube.Delete(context.Background(), e.get(name)); err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i < 5 && e.exists(name); i++ {
		e.reconcile(name, 1)
	}
}

func (e *env) permission() string { return e.gh.TeamPermission(testOrg, testTeam, testOrg, testRepo) }

func isReady(b *v1alpha1.TeamRepository) bool {
	return b.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && b.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
}
