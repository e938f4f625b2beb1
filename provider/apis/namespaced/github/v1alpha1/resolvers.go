//go:build !angryjet

package v1alpha1

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"

	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/scope"
)

// The namespaced kinds resolve their references by hand rather than with
// angryjet: their parameters live in ghv1alpha1, where angryjet does not
// read the reference markers for this package, and angryjet's namespaced
// resolvers would take references that may name another namespace
// (scope.ResolveInNamespace). This file is left out while angryjet loads
// the package (build tag angryjet, provider/generate.go): it needs the
// resource.Managed methods angryjet is about to write.

// The namespaced kinds resolve their references by hand rather than with
// angryjet: their parameters live in ghv1alpha1, where angryjet cannot
// read the reference markers for this package, and angryjet's namespaced
// resolvers would take references that may name another namespace
// (scope.ResolveInNamespace).

// repositories is the referenced kind: a Repository of this group.
func repositories() reference.To {
	return reference.To{Managed: &Repository{}, List: &RepositoryList{}}
}

// ResolveReferences of this RepositoryFile, within its namespace.
func (mg *RepositoryFile) ResolveReferences(ctx context.Context, c client.Reader) error {
	p := &mg.Spec.ForProvider
	return scope.ResolveInNamespace(ctx, c, mg, "mg.Spec.ForProvider.Repository", &p.Repository, &p.RepositoryRef, p.RepositorySelector,
		repositories(), ghv1alpha1.RepositoryFullName())
}

// ResolveReferences of this Branch, within its namespace.
func (mg *Branch) ResolveReferences(ctx context.Context, c client.Reader) error {
	p := &mg.Spec.ForProvider
	return scope.ResolveInNamespace(ctx, c, mg, "mg.Spec.ForProvider.Repository", &p.Repository, &p.RepositoryRef, p.RepositorySelector,
		repositories(), ghv1alpha1.RepositoryFullName())
}

// ResolveReferences of this TeamRepository, within its namespace.
func (mg *TeamRepository) ResolveReferences(ctx context.Context, c client.Reader) error {
	p := &mg.Spec.ForProvider
	return scope.ResolveInNamespace(ctx, c, mg, "mg.Spec.ForProvider.Repository", &p.Repository, &p.RepositoryRef, p.RepositorySelector,
		repositories(), ghv1alpha1.RepositoryFullName())
}
