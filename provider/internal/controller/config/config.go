// Package config reconciles ProviderConfigs of every kind (paved.dev
// ProviderConfig for the cluster-scoped managed resources; m.paved.dev
// ProviderConfig and ClusterProviderConfig for the namespaced ones): it
// counts their users (ProviderConfigUsages), keeps a ProviderConfig in use
// from deletion, and tells the GitHub client pool to drop what a deleted
// ProviderConfig used.
package config

import (
	"context"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	xpevent "github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/v1alpha1"
	pcclient "github.com/paved-dev/paved/provider/internal/clients/providerconfig"
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

// A Kind is one of the provider's ProviderConfig kinds.
type Kind struct {
	// Kinds are the config, usage and usage list kinds, as
	// crossplane-runtime's providerconfig.Reconciler counts them.
	Kinds     resource.ProviderConfigKinds
	GroupKind string
	// New returns an empty config, NewUsage an empty usage.
	New      func() client.Object
	NewUsage func() client.Object
	// Spec returns a config's spec.
	Spec func(client.Object) *v1alpha1.ProviderConfigSpec
	// ID is a config's identity in the GitHub client pool
	// (pcclient.ID).
	ID func(types.NamespacedName) string
	// Of returns the config a usage counts toward, false when it counts
	// toward one of another kind.
	Of func(client.Object) (types.NamespacedName, bool)
}

// Legacy is the paved.dev ProviderConfig of cluster-scoped managed
// resources, counted by cluster-scoped paved.dev ProviderConfigUsages.
var Legacy = Kind{
	Kinds: resource.ProviderConfigKinds{
		Config:    v1alpha1.ProviderConfigGroupVersionKind,
		Usage:     v1alpha1.ProviderConfigUsageGroupVersionKind,
		UsageList: v1alpha1.ProviderConfigUsageListGroupVersionKind,
	},
	GroupKind: v1alpha1.ProviderConfigGroupKind,
	New:       func() client.Object { return &v1alpha1.ProviderConfig{} },
	NewUsage:  func() client.Object { return &v1alpha1.ProviderConfigUsage{} },
	Spec: func(o client.Object) *v1alpha1.ProviderConfigSpec {
		if pc, ok := o.(*v1alpha1.ProviderConfig); ok {
			return &pc.Spec
		}
		return nil
	},
	ID: func(n types.NamespacedName) string { return pcclient.ID("", "", n.Name) },
	Of: func(o client.Object) (types.NamespacedName, bool) {
		u, ok := o.(resource.LegacyProviderConfigUsage) //nolint:staticcheck // paved.dev's usages are crossplane-runtime's legacy ones
		if !ok {
			return types.NamespacedName{}, false
		}
		return types.NamespacedName{Name: u.GetProviderConfigReference().Name}, true
	},
}

// Namespaced is the m.paved.dev ProviderConfig: it counts the m.paved.dev
// ProviderConfigUsages of its namespace that name its kind and name
// (crossplane-runtime v2 labels each usage with both,
// pkg/resource/providerconfig.go).
var Namespaced = typed(mv1alpha1.ProviderConfigKind, mv1alpha1.ProviderConfigGroupKind, mv1alpha1.ProviderConfigGroupVersionKind,
	func() client.Object { return &mv1alpha1.ProviderConfig{} },
	func(o client.Object) *v1alpha1.ProviderConfigSpec {
		if pc, ok := o.(*mv1alpha1.ProviderConfig); ok {
			return &pc.Spec
		}
		return nil
	}, true)

// Cluster is the m.paved.dev ClusterProviderConfig: it counts the
// m.paved.dev ProviderConfigUsages of every namespace that name its kind
// and name.
var Cluster = typed(mv1alpha1.ClusterProviderConfigKind, mv1alpha1.ClusterProviderConfigGroupKind, mv1alpha1.ClusterProviderConfigGroupVersionKind,
	func() client.Object { return &mv1alpha1.ClusterProviderConfig{} },
	func(o client.Object) *v1alpha1.ProviderConfigSpec {
		if pc, ok := o.(*mv1alpha1.ClusterProviderConfig); ok {
			return &pc.Spec
		}
		return nil
	}, false)

// Kinds are every ProviderConfig kind of the provider.
var Kinds = []Kind{Legacy, Namespaced, Cluster}

// typed is an m.paved.dev config kind, counted by m.paved.dev
// ProviderConfigUsages; a namespaced one's usages are of its namespace.
func typed(kind, groupKind string, gvk schema.GroupVersionKind, newConfig func() client.Object, spec func(client.Object) *v1alpha1.ProviderConfigSpec, namespaced bool) Kind {
	return Kind{
		Kinds: resource.ProviderConfigKinds{
			Config:    gvk,
			Usage:     mv1alpha1.ProviderConfigUsageGroupVersionKind,
			UsageList: mv1alpha1.ProviderConfigUsageListGroupVersionKind,
		},
		GroupKind: groupKind,
		New:       newConfig,
		NewUsage:  func() client.Object { return &mv1alpha1.ProviderConfigUsage{} },
		Spec:      spec,
		ID: func(n types.NamespacedName) string {
			return pcclient.ID(kind, n.Namespace, n.Name)
		},
		Of: func(o client.Object) (types.NamespacedName, bool) {
			u, ok := o.(resource.TypedProviderConfigUsage)
			if !ok || u.GetProviderConfigReference().Kind != kind {
				return types.NamespacedName{}, false
			}
			n := types.NamespacedName{Name: u.GetProviderConfigReference().Name}
			if namespaced {
				n.Namespace = u.GetNamespace()
			}
			return n, true
		},
	}
}

// Setup adds a controller per ProviderConfig kind that reconciles its
// configs by accounting for their current usage. Usage changes are batched
// (UsageBatch), so the controller reconciles a config at most about once
// per batch and needs no share of the global rate limiter: it never calls
// an external API. What a config that is gone, or names no GitHub
// credentials any more, used is forgotten by pool.
func Setup(mgr ctrl.Manager, o controller.Options, pool Forgetter) error {
	for _, k := range Kinds {
		if err := setup(mgr, o, pool, k); err != nil {
			return err
		}
	}
	return nil
}

func setup(mgr ctrl.Manager, o controller.Options, pool Forgetter, k Kind) error {
	name := providerconfig.ControllerName(k.GroupKind)
	r := providerconfig.NewReconciler(Kinded(mgr), k.Kinds,
		providerconfig.WithLogger(o.Logger.WithValues("controller", name)),
		providerconfig.WithRecorder(xpevent.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime v2's event.NewAPIRecorder takes the record.EventRecorder this returns
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(k.New()).
		Watches(k.NewUsage(), EnqueueProviderConfigAfter(k, UsageBatch)).
		Complete(&Forgetting{Next: r, Kube: mgr.GetClient(), Pool: pool, Kind: k})
}

// Forgetting reconciles a config of Kind with Next, then tells Pool to
// forget it once it is gone or has no spec.github: a config's GitHub
// credentials are otherwise given up only when one of its resources asks
// for a client with new ones, which a deleted config's never do.
type Forgetting struct {
	Next reconcile.Reconciler
	Kube client.Reader
	Pool Forgetter
	Kind Kind
}

// Reconcile implements reconcile.Reconciler.
func (f *Forgetting) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := f.Next.Reconcile(ctx, req)
	pc := f.Kind.New()
	switch gerr := f.Kube.Get(ctx, req.NamespacedName, pc); {
	case kerrors.IsNotFound(gerr), gerr == nil && f.Kind.Spec(pc).GitHub == nil:
		f.Pool.Forget(f.Kind.ID(req.NamespacedName))
	}
	return res, err
}

// EnqueueProviderConfigAfter enqueues the config of kind k a usage refers
// to, d after the change. The queue keeps one entry per config and the
// earliest time it was asked for, so all changes within d are counted by
// one reconcile.
func EnqueueProviderConfigAfter(k Kind, d time.Duration) handler.EventHandler {
	add := func(q queue, o client.Object) {
		if n, ok := k.Of(o); ok {
			q.AddAfter(reconcile.Request{NamespacedName: n}, d)
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

// Kinded is mgr with a client that sets the kind of the typed objects it
// reads. crossplane-runtime's providerconfig.Reconciler counts an
// m.paved.dev config's usages by the kind label matching the config's
// TypeMeta kind (pkg/reconciler/providerconfig/reconciler.go): what
// controller-runtime's cache sets on a read
// (pkg/cache/internal/cache_reader.go), but a direct or fake client's read
// leaves empty, and then no usage would be counted.
func Kinded(mgr manager.Manager) manager.Manager {
	return kindedManager{Manager: mgr, c: kindedClient{Client: mgr.GetClient()}}
}

type kindedManager struct {
	manager.Manager
	c client.Client
}

func (m kindedManager) GetClient() client.Client { return m.c }

type kindedClient struct{ client.Client }

func (c kindedClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if err := c.Client.Get(ctx, key, obj, opts...); err != nil {
		return err
	}
	gvk, err := c.GroupVersionKindFor(obj)
	if err != nil {
		return err
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return nil
}
