// Package config reconciles ProviderConfigs: it counts their users
// (ProviderConfigUsages), keeps a ProviderConfig in use from deletion, and
// tells the GitHub client pool to drop what a deleted ProviderConfig used.
package config

import (
	"context"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	xpevent "github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

// UsageBatch is how long a ProviderConfig waits for more changes of its
// ProviderConfigUsages before it counts them again. Creating N managed
// resources creates N usages; counting once per usage (a list of all of
// them and a status write each time) would cost O(N²) work and, through
// the global rate limiter that meters managed-resource reconciles, starve
// those reconciles: measured with 1,000 Repositories and RepositoryFiles
// (make provider-scale), usage counting took half of the reconciles the
// global limit allowed.
const UsageBatch = 2 * time.Second

// A Forgetter drops the clients and GitHub identities a ProviderConfig
// used, unless another ProviderConfig uses them (ghclient.Pool).
type Forgetter interface {
	Forget(providerConfig string)
}

// Setup adds a controller that reconciles ProviderConfigs by accounting for
// their current usage. Usage changes are batched (UsageBatch), so the
// controller reconciles a ProviderConfig at most about once per batch and
// needs no share of the global rate limiter: it never calls an external
// API. What a ProviderConfig that is gone, or names no GitHub credentials
// any more, used is forgotten by pool.
func Setup(mgr ctrl.Manager, o controller.Options, pool Forgetter) error {
	name := providerconfig.ControllerName(v1alpha1.ProviderConfigGroupKind)
	of := resource.ProviderConfigKinds{
		Config:    v1alpha1.ProviderConfigGroupVersionKind,
		Usage:     v1alpha1.ProviderConfigUsageGroupVersionKind,
		UsageList: v1alpha1.ProviderConfigUsageListGroupVersionKind,
	}
	r := providerconfig.NewReconciler(mgr, of,
		providerconfig.WithLogger(o.Logger.WithValues("controller", name)),
		providerconfig.WithRecorder(xpevent.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime v2's event.NewAPIRecorder takes the record.EventRecorder this returns
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.ProviderConfig{}).
		Watches(&v1alpha1.ProviderConfigUsage{}, EnqueueProviderConfigAfter(UsageBatch)).
		Complete(&Forgetting{Next: r, Kube: mgr.GetClient(), Pool: pool})
}

// Forgetting reconciles a ProviderConfig with Next, then tells Pool to
// forget it once it is gone or has no spec.github: a ProviderConfig's
// GitHub credentials are otherwise given up only when one of its
// resources asks for a client with new ones, which a deleted
// ProviderConfig's never do.
type Forgetting struct {
	Next reconcile.Reconciler
	Kube client.Reader
	Pool Forgetter
}

// Reconcile implements reconcile.Reconciler.
func (f *Forgetting) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := f.Next.Reconcile(ctx, req)
	pc := &v1alpha1.ProviderConfig{}
	switch gerr := f.Kube.Get(ctx, req.NamespacedName, pc); {
	case kerrors.IsNotFound(gerr), gerr == nil && pc.Spec.GitHub == nil:
		f.Pool.Forget(req.Name)
	}
	return res, err
}

// EnqueueProviderConfigAfter enqueues the ProviderConfig a
// ProviderConfigUsage refers to, d after the change. The queue keeps one
// entry per ProviderConfig and the earliest time it was asked for, so all
// changes within d are counted by one reconcile.
func EnqueueProviderConfigAfter(d time.Duration) handler.EventHandler {
	add := func(q queue, o client.Object) {
		if u, ok := o.(resource.LegacyProviderConfigUsage); ok { //nolint:staticcheck // the provider's kinds are cluster-scoped, crossplane-runtime's legacy managed resources, until their namespaced kinds land
			q.AddAfter(reconcile.Request{NamespacedName: client.ObjectKey{Name: u.GetProviderConfigReference().Name}}, d)
		}
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q queue) { add(q, e.Object) },
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q queue) {
			add(q, e.ObjectOld)
			add(q, e.ObjectNew)
		},
		DeleteFunc:  func(_ context.Context, e event.DeleteEvent, q queue) { add(q, e.Object) },
		GenericFunc: func(_ context.Context, e event.GenericEvent, q queue) { add(q, e.Object) },
	}
}

type queue = resource.RateLimitingInterface
