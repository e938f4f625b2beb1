// Package refwait makes a managed resource whose reference to another
// managed resource cannot resolve yet wait for it by a watch, rather than by
// retries through the global reconcile rate limiter.
//
// crossplane-runtime v2.4.0's managed reconciler resolves references before
// it connects (pkg/reconciler/managed/reconciler.go): while the referenced
// resource has not reported the value the reference extracts, resolution
// fails and the reconcile is retried with backoff, each retry taking a
// token of the global reconcile rate limiter although it sends no request
// to the external API. With this package a controller instead
//   - indexes its resources by the name in their reference (Kind.Index),
//   - watches the referenced kind and wakes the resources that reference an
//     object by name (Kind.Referencing) when the extracted value may have
//     changed (ValueChanged), and
//   - puts a Gate in front of the rate limiter that resolves on a copy from
//     the cache and, while resolution fails, reports it as the managed
//     reconciler would (Synced=False), without a token.
package refwait

import (
	"context"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpevent "github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

const (
	// IndexRef indexes the resources of a Kind by the namespace and name
	// of the object the reference the Kind waits on names: a reference
	// names an object of the resource's own namespace (none for a
	// cluster-scoped resource), see provider/apis/scope.
	IndexRef = "refwait.referenceName"

	// errResolveReferences is crossplane-runtime's message for a failed
	// resolution (pkg/reconciler/managed/api.go), kept so that the
	// condition reads the same whoever reports it.
	errResolveReferences = "cannot resolve references"
	errIndex             = "cannot index %s by reference name"
	errGet               = "cannot get %s"
	errUpdateStatus      = "cannot update %s status"

	// reasonCannotResolveRefs is crossplane-runtime's event reason for a
	// failed resolution (pkg/reconciler/managed/reconciler.go).
	reasonCannotResolveRefs xpevent.Reason = "CannotResolveResourceReferences"
)

// A Referencer is a managed resource with references that the managed
// reconciler resolves (angryjet generates ResolveReferences).
type Referencer interface {
	resource.Managed
	ResolveReferences(ctx context.Context, c client.Reader) error
}

// A Kind describes a referencing kind and the one reference it waits on.
type Kind[T Referencer] struct {
	// Name of the kind, for messages (e.g. "RepositoryFile").
	Name string
	// New returns an empty resource of the kind.
	New func() T
	// NewList returns an empty list of the kind.
	NewList func() resource.ManagedList
	// Ref returns the reference waited on; nil when the resource has none.
	Ref func(T) *xpv2.Reference
	// Resolved reports whether the field the reference resolves to is set.
	Resolved func(T) bool
	// IndexName is the name of the field index of the kind's resources by the
	// object the reference names: IndexRef when empty. A kind that waits
	// on two references (a CatalogLocation's Repository and RepositoryFile)
	// has a Kind, and an index, for each.
	IndexName string
}

// index is the name of k's field index.
func (k Kind[T]) index() string {
	if k.IndexName != "" {
		return k.IndexName
	}
	return IndexRef
}

// refName returns the name in o's reference, "" when there is none.
func (k Kind[T]) refName(o T) string {
	if r := k.Ref(o); r != nil {
		return r.Name
	}
	return ""
}

// IndexValues is the field index function of the kind's index.
func (k Kind[T]) IndexValues(o client.Object) []string {
	t, ok := o.(T)
	if !ok {
		return nil
	}
	if n := k.refName(t); n != "" {
		return []string{indexKey(t.GetNamespace(), n)}
	}
	return nil
}

// indexKey is the IndexRef value of a reference to name in namespace.
func indexKey(namespace, name string) string { return namespace + "/" + name }

// Index adds the kind's index to fi.
func (k Kind[T]) Index(ctx context.Context, fi client.FieldIndexer) error {
	return errors.Wrapf(fi.IndexField(ctx, k.New(), k.index(), k.IndexValues), errIndex, k.Name)
}

// Awaits reports whether o's reference is still to be resolved and can be
// waited for: not being deleted (the managed reconciler does not resolve
// references then), not paused, the field it resolves to not set, and a
// reference by name, which the watch can wake.
func (k Kind[T]) Awaits(o T) bool {
	return !meta.WasDeleted(o) && !meta.IsPaused(o) && !k.Resolved(o) && k.refName(o) != ""
}

// Referencing maps a referenced object to reconcile requests for the
// resources of the kind that reference it by name, from its namespace.
func (k Kind[T]) Referencing(kube client.Reader) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		l := k.NewList()
		if err := kube.List(ctx, l, client.MatchingFields{k.index(): indexKey(o.GetNamespace(), o.GetName())}); err != nil {
			// Nothing to report it to: the resources' own polls still
			// come.
			return nil
		}
		items := l.GetItems()
		reqs := make([]reconcile.Request, 0, len(items))
		for _, it := range items {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: it.GetNamespace(), Name: it.GetName()}})
		}
		return reqs
	}
}

// ValueChanged passes the events of a referenced object after which a
// reference to it may resolve differently: its creation and deletion, and
// an update that changes the value extract reads from it.
func ValueChanged(extract reference.ExtractValueFn) predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(resource.Managed)
			n, ok2 := e.ObjectNew.(resource.Managed)
			return !ok1 || !ok2 || extract(o) != extract(n)
		},
	}
}

// A Gate reconciles a resource whose reference does not resolve yet
// without the global rate limiter, and passes every other one on to Next
// (the global rate limiter, then the managed reconciler).
type Gate[T Referencer] struct {
	Kind   Kind[T]
	Kube   client.Client
	Record xpevent.Recorder
	Next   reconcile.Reconciler
	// Poll is how soon a waiting resource is looked at again should no
	// event of the referenced object wake it.
	Poll time.Duration
	// Grace is how long after its creation a resource waits without
	// reporting it (see Grace, the constant); zero reports at once.
	Grace time.Duration
	// Now is the clock Grace is measured with (nil: time.Now).
	Now func() time.Time
}

// Grace is how long after its creation a resource whose reference does
// not resolve yet waits before it reports so (Synced=False): a resource
// composed beside what it references (a ServiceBundle's CatalogLocation
// and its catalog-info.yaml RepositoryFile, composed together) resolves
// within a second or two, and each report, written then overwritten, was
// an update of the resource that Crossplane core's circuit breaker counts
// twice against the composite that composed it (crossplane v2.4.0
// internal/circuit, mapfunc.go; docs/performance.md). A reference still
// unresolved after it is reported as before, in crossplane-runtime's
// words.
const Grace = 10 * time.Second

func (g *Gate[T]) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// Reconcile implements reconcile.Reconciler.
func (g *Gate[T]) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	cr := g.Kind.New()
	if err := g.Kube.Get(ctx, req.NamespacedName, cr); err != nil {
		if kerrors.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, errors.Wrapf(err, errGet, g.Kind.Name)
	}
	if !g.Kind.Awaits(cr) {
		return g.Next.Reconcile(ctx, req)
	}
	// Resolve as the managed reconciler is about to, on a copy, from the
	// same cache. Only a resolution that fails stays here: one that
	// succeeds is made again, and persisted, by the managed reconciler.
	cp, ok := cr.DeepCopyObject().(T)
	if !ok {
		return g.Next.Reconcile(ctx, req)
	}
	err := cp.ResolveReferences(ctx, g.Kube)
	if err == nil {
		return g.Next.Reconcile(ctx, req)
	}
	if wait := g.Grace - g.now().Sub(cr.GetCreationTimestamp().Time); wait > 0 {
		// Within its grace: the watch wakes it, or the grace's end.
		if g.Poll > 0 && g.Poll < wait {
			wait = g.Poll
		}
		return reconcile.Result{RequeueAfter: wait}, nil
	}
	err = errors.Wrap(err, errResolveReferences)
	c := xpv2.ReconcileError(err)
	if !cr.GetCondition(xpv2.TypeSynced).Equal(c) {
		g.Record.Event(cr, xpevent.Warning(reasonCannotResolveRefs, err))
		cr.SetConditions(c)
		if err := g.Kube.Status().Update(ctx, cr); err != nil {
			return reconcile.Result{}, errors.Wrapf(client.IgnoreNotFound(err), errUpdateStatus, g.Kind.Name)
		}
	}
	// The watch wakes it; the poll is a safety net.
	return reconcile.Result{RequeueAfter: g.Poll}, nil
}
