package repositoryfile

import (
	"context"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpevent "github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// A RepositoryFile that names its Repository by spec.forProvider.repositoryRef
// resolves owner/name from the Repository's status.atProvider.fullName
// (v1alpha1.RepositoryFullName): until the Repository has been observed on
// GitHub, reference resolution fails and the managed reconciler would retry
// with backoff, each retry taking a token of the global reconcile rate
// limiter although it sends no GitHub request (crossplane-runtime v2.4.0
// pkg/reconciler/managed/reconciler.go resolves references before it
// connects). Instead, the controller watches Repositories and wakes the
// RepositoryFiles that reference one when its full name appears, and a
// RepositoryFile whose reference does not resolve yet is reported as the
// managed reconciler would report it, without a token.

const (
	// indexRepositoryRef indexes RepositoryFiles by the name in their
	// spec.forProvider.repositoryRef.
	indexRepositoryRef = "spec.forProvider.repositoryRef.name"

	// errResolveReferences is crossplane-runtime's message for a failed
	// resolution (pkg/reconciler/managed/api.go), kept so that the
	// condition reads the same whoever reports it.
	errResolveReferences = "cannot resolve references"
	errGetFile           = "cannot get RepositoryFile"
	errUpdateStatus      = "cannot update RepositoryFile status"

	reasonCannotResolveRefs xpevent.Reason = "CannotResolveResourceReferences"
)

// repositoryRefName is the field index function of indexRepositoryRef.
func repositoryRefName(o client.Object) []string {
	f, ok := o.(*v1alpha1.RepositoryFile)
	if !ok || f.Spec.ForProvider.RepositoryRef == nil || f.Spec.ForProvider.RepositoryRef.Name == "" {
		return nil
	}
	return []string{f.Spec.ForProvider.RepositoryRef.Name}
}

// filesReferencing maps a Repository to reconcile requests for the
// RepositoryFiles that reference it by name.
func filesReferencing(kube client.Reader) func(ctx context.Context, o client.Object) []reconcile.Request {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		l := &v1alpha1.RepositoryFileList{}
		if err := kube.List(ctx, l, client.MatchingFields{indexRepositoryRef: o.GetName()}); err != nil {
			// Nothing to report it to: the RepositoryFiles' own polls
			// still come.
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(l.Items))
		for i := range l.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: l.Items[i].GetName()}})
		}
		return reqs
	}
}

// fullNameChanged passes the Repository events after which a reference to
// it may resolve differently: its creation and deletion, and a change of
// its status.atProvider.fullName.
func fullNameChanged() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(*v1alpha1.Repository)
			n, ok2 := e.ObjectNew.(*v1alpha1.Repository)
			return !ok1 || !ok2 || o.Status.AtProvider.FullName != n.Status.AtProvider.FullName
		},
	}
}

// A refGate reconciles a RepositoryFile whose repositoryRef does not
// resolve yet without the global rate limiter, and passes every other one
// on to next (the global rate limiter, then the managed reconciler).
type refGate struct {
	kube   client.Client
	record xpevent.Recorder
	next   reconcile.Reconciler
	// poll is how soon a waiting RepositoryFile is looked at again should
	// no Repository event wake it.
	poll time.Duration
}

func (g *refGate) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	cr := &v1alpha1.RepositoryFile{}
	if err := g.kube.Get(ctx, req.NamespacedName, cr); err != nil {
		if kerrors.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, errors.Wrap(err, errGetFile)
	}
	if !awaitsReference(cr) {
		return g.next.Reconcile(ctx, req)
	}
	// Resolve as the managed reconciler is about to, on a copy, from the
	// same cache. Only a resolution that fails stays here: one that
	// succeeds is made again, and persisted, by the managed reconciler.
	err := cr.DeepCopy().ResolveReferences(ctx, g.kube)
	if err == nil {
		return g.next.Reconcile(ctx, req)
	}
	err = errors.Wrap(err, errResolveReferences)
	c := xpv2.ReconcileError(err)
	if !cr.GetCondition(xpv2.TypeSynced).Equal(c) {
		g.record.Event(cr, xpevent.Warning(reasonCannotResolveRefs, err))
		cr.SetConditions(c)
		if err := g.kube.Status().Update(ctx, cr); err != nil {
			return reconcile.Result{}, errors.Wrap(client.IgnoreNotFound(err), errUpdateStatus)
		}
	}
	// The Repository watch wakes it; the poll is a safety net.
	return reconcile.Result{RequeueAfter: g.poll}, nil
}

// awaitsReference reports whether cr's repository is still to be resolved
// from its repositoryRef: not being deleted (the managed reconciler does
// not resolve references then), not paused, no owner/name yet, and a reference by
// name, which the Repository watch can wake.
func awaitsReference(cr *v1alpha1.RepositoryFile) bool {
	p := cr.Spec.ForProvider
	return !meta.WasDeleted(cr) && !meta.IsPaused(cr) && (p.Repository == nil || *p.Repository == "") &&
		p.RepositoryRef != nil && p.RepositoryRef.Name != ""
}
