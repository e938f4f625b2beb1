// Package scoped is what the provider's controllers need of a managed
// resource whatever its scope. Every kind is served cluster-scoped
// (github.paved.dev, backstage.paved.dev: crossplane-runtime v2's legacy
// managed resources) and namespaced (github.m.paved.dev,
// backstage.m.paved.dev: its modern ones, xpv2.ManagedResourceSpec), both
// with the same parameter, observation and status structs. A kind's one
// controller implementation works on these accessors and is set up once
// per scope.
package scoped

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	bsv1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	bsmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/backstage/v1alpha1"
	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
)

// A Resource is a managed resource of either scope whose spec.forProvider
// is a P and status.atProvider an O.
type Resource[P, O any] interface {
	resource.Managed

	// Parameters returns spec.forProvider.
	Parameters() *P
	// Observation returns status.atProvider.
	Observation() *O
}

// A Referencer is a Resource with references that the managed reconciler
// resolves.
type Referencer[P, O any] interface {
	Resource[P, O]
	ResolveReferences(ctx context.Context, c client.Reader) error
}

// The kinds, of either scope.
type (
	// Repository is a github.paved.dev or github.m.paved.dev Repository.
	Repository = Resource[ghv1alpha1.RepositoryParameters, ghv1alpha1.RepositoryObservation]
	// RepositoryFile is a RepositoryFile of either scope.
	RepositoryFile = Referencer[ghv1alpha1.RepositoryFileParameters, ghv1alpha1.RepositoryFileObservation]
	// Branch is a Branch of either scope.
	Branch = Referencer[ghv1alpha1.BranchParameters, ghv1alpha1.BranchObservation]
	// TeamRepository is a TeamRepository of either scope.
	TeamRepository = Referencer[ghv1alpha1.TeamRepositoryParameters, ghv1alpha1.TeamRepositoryObservation]
	// CatalogLocation is a backstage.paved.dev or backstage.m.paved.dev
	// CatalogLocation.
	CatalogLocation = Referencer[bsv1alpha1.CatalogLocationParameters, bsv1alpha1.CatalogLocationObservation]
)

// Both scopes of every kind implement the accessors, and are the managed
// resources crossplane-runtime expects of their scope.
var (
	_ Repository      = &ghv1alpha1.Repository{}
	_ Repository      = &ghmv1alpha1.Repository{}
	_ RepositoryFile  = &ghv1alpha1.RepositoryFile{}
	_ RepositoryFile  = &ghmv1alpha1.RepositoryFile{}
	_ Branch          = &ghv1alpha1.Branch{}
	_ Branch          = &ghmv1alpha1.Branch{}
	_ TeamRepository  = &ghv1alpha1.TeamRepository{}
	_ TeamRepository  = &ghmv1alpha1.TeamRepository{}
	_ CatalogLocation = &bsv1alpha1.CatalogLocation{}
	_ CatalogLocation = &bsmv1alpha1.CatalogLocation{}

	_ resource.LegacyManaged = &ghv1alpha1.Repository{} //nolint:staticcheck // the cluster-scoped kinds are crossplane-runtime's legacy managed resources
	_ resource.ModernManaged = &ghmv1alpha1.Repository{}
	_ resource.ModernManaged = &ghmv1alpha1.RepositoryFile{}
	_ resource.ModernManaged = &ghmv1alpha1.Branch{}
	_ resource.ModernManaged = &ghmv1alpha1.TeamRepository{}
	_ resource.ModernManaged = &bsmv1alpha1.CatalogLocation{}
)
