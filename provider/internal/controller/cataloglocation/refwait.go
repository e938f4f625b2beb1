package cataloglocation

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// A CatalogLocation that names its Repository by spec.forProvider.repositoryRef
// resolves spec.forProvider.repositoryURL from the Repository's
// status.atProvider.htmlURL and defaultBranch (v1alpha1.RepositoryBlobURL):
// until the Repository has reported both, reference resolution fails. The
// controller waits for it as package refwait describes: Repositories wake
// the CatalogLocations that reference them when that URL changes, and a
// CatalogLocation whose reference does not resolve yet is reported without
// a token of the global rate limiter.

// refKindOf is the CatalogLocation kind of scope s and its reference to a
// Repository of that scope, as refwait waits on it.
func refKindOf(s scoped.Scope) refwait.Kind[scoped.CatalogLocation] {
	return refwait.Kind[scoped.CatalogLocation]{
		Name:    "CatalogLocation",
		New:     s.CatalogLocation.New,
		NewList: s.CatalogLocation.NewList,
		Ref:     func(l scoped.CatalogLocation) *xpv2.Reference { return l.Parameters().RepositoryRef },
		Resolved: func(l scoped.CatalogLocation) bool {
			return l.Parameters().RepositoryURL != nil && *l.Parameters().RepositoryURL != ""
		},
	}
}

// follower resolves spec.forProvider.repositoryURL anew on every
// reconcile, so that the location's target follows a renamed Repository
// (see refwait.Follower).
func follower(kube client.Client, s scoped.Scope) refwait.Follower[scoped.CatalogLocation] {
	return refwait.Follower[scoped.CatalogLocation]{
		Kind: refKindOf(s), Kube: kube, Reset: func(l scoped.CatalogLocation) { l.Parameters().RepositoryURL = nil },
	}
}
