package cataloglocation

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
)

// A CatalogLocation that names its Repository by spec.forProvider.repositoryRef
// resolves spec.forProvider.repositoryURL from the Repository's
// status.atProvider.htmlURL and defaultBranch (v1alpha1.RepositoryBlobURL):
// until the Repository has reported both, reference resolution fails. The
// controller waits for it as package refwait describes: Repositories wake
// the CatalogLocations that reference them when that URL changes, and a
// CatalogLocation whose reference does not resolve yet is reported without
// a token of the global rate limiter.

// refKind is the CatalogLocation's reference to its Repository, as
// refwait waits on it.
var refKind = refwait.Kind[*v1alpha1.CatalogLocation]{
	Name:    "CatalogLocation",
	New:     func() *v1alpha1.CatalogLocation { return &v1alpha1.CatalogLocation{} },
	NewList: func() resource.ManagedList { return &v1alpha1.CatalogLocationList{} },
	Ref:     func(l *v1alpha1.CatalogLocation) *xpv2.Reference { return l.Spec.ForProvider.RepositoryRef },
	Resolved: func(l *v1alpha1.CatalogLocation) bool {
		return l.Spec.ForProvider.RepositoryURL != nil && *l.Spec.ForProvider.RepositoryURL != ""
	},
}

// follower resolves spec.forProvider.repositoryURL anew on every
// reconcile, so that the location's target follows a renamed Repository
// (see refwait.Follower).
func follower(kube client.Client) refwait.Follower[*v1alpha1.CatalogLocation] {
	return refwait.Follower[*v1alpha1.CatalogLocation]{
		Kind: refKind, Kube: kube, Reset: func(l *v1alpha1.CatalogLocation) { l.Spec.ForProvider.RepositoryURL = nil },
	}
}
