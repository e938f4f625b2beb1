// Package scope holds what the provider's kinds of both scopes share
// beyond their parameter and observation structs.
package scope

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// ResolveInNamespace resolves a reference of mg to another managed resource
// (to), by name (ref) or by labels (sel), into *value and *ref, the way
// angryjet's generated ResolveReferences do for the cluster-scoped kinds
// (reference.APIResolver with the resource's namespace). For a namespaced
// mg it looks only in mg's own namespace: xpv2.Reference and xpv2.Selector
// carry no namespace, unlike the NamespacedReference that angryjet's
// namespaced resolvers take (crossplane-runtime v2.4.0
// pkg/reference/namespaced_reference.go, which follows a namespace set in
// the reference), so a tenant cannot point a reference into another
// namespace. field names the value in errors, as angryjet's do.
func ResolveInNamespace(ctx context.Context, c client.Reader, mg resource.Managed, field string, value **string, ref **xpv2.Reference, sel *xpv2.Selector, to reference.To, extract reference.ExtractValueFn) error {
	rsp, err := reference.NewAPIResolver(c, mg).Resolve(ctx, reference.ResolutionRequest{
		CurrentValue: reference.FromPtrValue(*value),
		Reference:    *ref,
		Selector:     sel,
		To:           to,
		Extract:      extract,
		Namespace:    mg.GetNamespace(),
	})
	if err != nil {
		return errors.Wrap(err, field)
	}
	*value = reference.ToPtrValue(rsp.ResolvedValue)
	*ref = rsp.ResolvedReference
	return nil
}
