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

	"k8s.io/apimachinery/pkg/runtime/schema"
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

// A Kind is one scope's API kind of a controller's kind T: what setting up
// its controller needs.
type Kind[T resource.Managed] struct {
	// GroupKind names the kind's controller (managed.ControllerName).
	GroupKind string
	// GroupVersionKind is what the managed reconciler reconciles.
	GroupVersionKind schema.GroupVersionKind
	// New returns an empty resource of the kind.
	New func() T
	// NewList returns an empty list of the kind.
	NewList func() resource.ManagedList
}

// A Scope is every kind of one scope.
type Scope struct {
	// Name is "cluster" or "namespaced".
	Name            string
	Repository      Kind[Repository]
	RepositoryFile  Kind[RepositoryFile]
	Branch          Kind[Branch]
	TeamRepository  Kind[TeamRepository]
	CatalogLocation Kind[CatalogLocation]
}

// Cluster is the cluster-scoped kinds: github.paved.dev and
// backstage.paved.dev.
var Cluster = Scope{
	Name: "cluster",
	Repository: Kind[Repository]{
		GroupKind: ghv1alpha1.RepositoryGroupKind, GroupVersionKind: ghv1alpha1.RepositoryGroupVersionKind,
		New:     func() Repository { return &ghv1alpha1.Repository{} },
		NewList: func() resource.ManagedList { return &ghv1alpha1.RepositoryList{} },
	},
	RepositoryFile: Kind[RepositoryFile]{
		GroupKind: ghv1alpha1.RepositoryFileGroupKind, GroupVersionKind: ghv1alpha1.RepositoryFileGroupVersionKind,
		New:     func() RepositoryFile { return &ghv1alpha1.RepositoryFile{} },
		NewList: func() resource.ManagedList { return &ghv1alpha1.RepositoryFileList{} },
	},
	Branch: Kind[Branch]{
		GroupKind: ghv1alpha1.BranchGroupKind, GroupVersionKind: ghv1alpha1.BranchGroupVersionKind,
		New:     func() Branch { return &ghv1alpha1.Branch{} },
		NewList: func() resource.ManagedList { return &ghv1alpha1.BranchList{} },
	},
	TeamRepository: Kind[TeamRepository]{
		GroupKind: ghv1alpha1.TeamRepositoryGroupKind, GroupVersionKind: ghv1alpha1.TeamRepositoryGroupVersionKind,
		New:     func() TeamRepository { return &ghv1alpha1.TeamRepository{} },
		NewList: func() resource.ManagedList { return &ghv1alpha1.TeamRepositoryList{} },
	},
	CatalogLocation: Kind[CatalogLocation]{
		GroupKind: bsv1alpha1.CatalogLocationGroupKind, GroupVersionKind: bsv1alpha1.CatalogLocationGroupVersionKind,
		New:     func() CatalogLocation { return &bsv1alpha1.CatalogLocation{} },
		NewList: func() resource.ManagedList { return &bsv1alpha1.CatalogLocationList{} },
	},
}

// Namespaced is the namespaced kinds: github.m.paved.dev and
// backstage.m.paved.dev.
var Namespaced = Scope{
	Name: "namespaced",
	Repository: Kind[Repository]{
		GroupKind: ghmv1alpha1.RepositoryGroupKind, GroupVersionKind: ghmv1alpha1.RepositoryGroupVersionKind,
		New:     func() Repository { return &ghmv1alpha1.Repository{} },
		NewList: func() resource.ManagedList { return &ghmv1alpha1.RepositoryList{} },
	},
	RepositoryFile: Kind[RepositoryFile]{
		GroupKind: ghmv1alpha1.RepositoryFileGroupKind, GroupVersionKind: ghmv1alpha1.RepositoryFileGroupVersionKind,
		New:     func() RepositoryFile { return &ghmv1alpha1.RepositoryFile{} },
		NewList: func() resource.ManagedList { return &ghmv1alpha1.RepositoryFileList{} },
	},
	Branch: Kind[Branch]{
		GroupKind: ghmv1alpha1.BranchGroupKind, GroupVersionKind: ghmv1alpha1.BranchGroupVersionKind,
		New:     func() Branch { return &ghmv1alpha1.Branch{} },
		NewList: func() resource.ManagedList { return &ghmv1alpha1.BranchList{} },
	},
	TeamRepository: Kind[TeamRepository]{
		GroupKind: ghmv1alpha1.TeamRepositoryGroupKind, GroupVersionKind: ghmv1alpha1.TeamRepositoryGroupVersionKind,
		New:     func() TeamRepository { return &ghmv1alpha1.TeamRepository{} },
		NewList: func() resource.ManagedList { return &ghmv1alpha1.TeamRepositoryList{} },
	},
	CatalogLocation: Kind[CatalogLocation]{
		GroupKind: bsmv1alpha1.CatalogLocationGroupKind, GroupVersionKind: bsmv1alpha1.CatalogLocationGroupVersionKind,
		New:     func() CatalogLocation { return &bsmv1alpha1.CatalogLocation{} },
		NewList: func() resource.ManagedList { return &bsmv1alpha1.CatalogLocationList{} },
	},
}

// Scopes are both scopes, cluster first: each controller is set up for
// each.
var Scopes = []Scope{Cluster, Namespaced}

// Of is the scope of mg: namespaced for crossplane-runtime's modern managed
// resources (a providerConfigRef with a kind), cluster otherwise.
func Of(mg resource.Managed) Scope {
	if _, ok := mg.(resource.ModernManaged); ok {
		return Namespaced
	}
	return Cluster
}
