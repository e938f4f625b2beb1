package repository

import (
	"context"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/paved-dev/paved/provider/internal/scoped"
)

const errGetReferenced = "cannot get the referenced Repository"

// ReferencedID is GitHub's id of the repository of the Repository that ref
// names (its status.atProvider.id), or 0 when there is no reference by name
// or the Repository is gone. A repository's id survives renames, its name
// does not ("If you create a new repository under your repository's old
// name, redirects to the renamed repository will break",
// https://docs.github.com/en/repositories/creating-and-managing-repositories/renaming-a-repository):
// the kinds that name their repository by reference check it before they
// write.
//
// The Repository is of from's scope and, for a namespaced from, of its
// namespace: where from's reference resolves (provider/apis/scope).
func ReferencedID(ctx context.Context, kube client.Reader, from resource.Managed, ref *xpv2.Reference) (int64, error) {
	if ref == nil || ref.Name == "" {
		return 0, nil
	}
	r := scoped.Of(from).Repository.New()
	err := kube.Get(ctx, types.NamespacedName{Namespace: from.GetNamespace(), Name: ref.Name}, r)
	if kerrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, errors.Wrap(err, errGetReferenced)
	}
	return r.Observation().ID, nil
}
