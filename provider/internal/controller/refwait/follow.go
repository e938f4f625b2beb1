package refwait

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

const errPatchResolved = "cannot persist the value resolved from the %s's reference"

// A Follower resolves a Kind's reference anew on every reconcile, so that
// the resolved value follows the referenced object: a RepositoryFile's
// owner/name and a CatalogLocation's URL follow a Repository that was
// renamed. crossplane-runtime resolves a reference only while its value
// is unset, unless the reference's policy is resolve: Always
// (pkg/reference/reference.go, ResolutionRequest.IsNoOp: "We don't resolve
// values that are already set ... we effectively cache resolved values"),
// which would leave a renamed repository's old name in place for good.
//
// It is the managed reconciler's ReferenceResolver
// (managed.WithReferenceResolver). Like crossplane-runtime's
// APISimpleReferenceResolver it persists the spec only when the resolved
// value changed. A resource being deleted keeps its value (the managed
// reconciler does not resolve then either), and a resource without a
// reference by name keeps the value it was given.
type Follower[T Referencer] struct {
	Kind Kind[T]
	Kube client.Client
	// Reset unsets the values that follow their references.
	Reset func(T)
	// Follows reports whether a resource has a value that follows its
	// reference (Reset applies to it). When nil: the Kind's reference names
	// an object.
	Follows func(T) bool
	// Keep, when set, puts back into a resource whose resolution failed
	// after Reset, from existing (the resource as it was), the values that
	// may stay as they are while their referenced object cannot say (a
	// CatalogLocation's refreshKey while its RepositoryFile has a change
	// pending review), and resolution is tried once more: only a value that
	// must follow then fails it.
	Keep func(existing, o T)
}

// follows reports whether Reset applies to o.
func (f Follower[T]) follows(o T) bool {
	if f.Follows != nil {
		return f.Follows(o)
	}
	return f.Kind.refName(o) != ""
}

// ResolveReferences implements managed.ReferenceResolver.
func (f Follower[T]) ResolveReferences(ctx context.Context, mg resource.Managed) error {
	o, ok := mg.(T)
	if !ok {
		return nil
	}
	existing, ok := o.DeepCopyObject().(T)
	if !ok {
		return nil
	}
	reset := !meta.WasDeleted(o) && f.follows(o)
	if reset {
		f.Reset(o)
	}
	err := o.ResolveReferences(ctx, f.Kube)
	if err != nil && reset && f.Keep != nil {
		f.Keep(existing, o)
		err = o.ResolveReferences(ctx, f.Kube)
	}
	if err != nil {
		return errors.Wrap(err, errResolveReferences)
	}
	if equality.Semantic.DeepEqual(existing, o) {
		return nil
	}
	return errors.Wrapf(f.Kube.Patch(ctx, o, client.MergeFrom(existing)), errPatchResolved, f.Kind.Name)
}
