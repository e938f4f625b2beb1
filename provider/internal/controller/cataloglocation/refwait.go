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
// until the Repository has reported both, reference resolution fails. One
// that names the RepositoryFile committing its catalog file by
// spec.forProvider.fileRef resolves spec.forProvider.refreshKey from the
// file's commit once the file is committed (v1alpha1.RepositoryFileCommit):
// until then resolution fails too, and nothing is registered. The
// controller waits for both as package refwait describes: Repositories and
// RepositoryFiles wake the CatalogLocations that reference them when the
// value changes, and a CatalogLocation whose references do not resolve yet
// is reported, once, without a token of the global rate limiter.

// fileIndex indexes CatalogLocations by the RepositoryFile their fileRef
// names (refKindOf's index is the Repository's).
const fileIndex = "refwait.fileReferenceName"

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

// fileKindOf is the CatalogLocation kind of scope s and its reference to
// the RepositoryFile of that scope that commits its catalog file.
func fileKindOf(s scoped.Scope) refwait.Kind[scoped.CatalogLocation] {
	return refwait.Kind[scoped.CatalogLocation]{
		Name:    "CatalogLocation",
		New:     s.CatalogLocation.New,
		NewList: s.CatalogLocation.NewList,
		Ref:     func(l scoped.CatalogLocation) *xpv2.Reference { return l.Parameters().FileRef },
		Resolved: func(l scoped.CatalogLocation) bool {
			return l.Parameters().RefreshKey != nil && *l.Parameters().RefreshKey != ""
		},
		IndexName: fileIndex,
	}
}

// byName reports whether r names an object.
func byName(r *xpv2.Reference) bool { return r != nil && r.Name != "" }

// follower resolves spec.forProvider.repositoryURL anew on every
// reconcile, so that the location's target follows a renamed Repository,
// and spec.forProvider.refreshKey, so that the catalog reads a new commit
// of the file at once (see refwait.Follower). While the file has a change
// that is not committed yet (a pull request waits for review) the
// refreshKey stays what it was: the registered location is still there to
// observe, and the catalog has nothing new to read.
func follower(kube client.Client, s scoped.Scope) refwait.Follower[scoped.CatalogLocation] {
	return refwait.Follower[scoped.CatalogLocation]{
		Kind: refKindOf(s), Kube: kube,
		Follows: func(l scoped.CatalogLocation) bool {
			return byName(l.Parameters().RepositoryRef) || byName(l.Parameters().FileRef)
		},
		Reset: func(l scoped.CatalogLocation) {
			p := l.Parameters()
			if byName(p.RepositoryRef) {
				p.RepositoryURL = nil
			}
			if byName(p.FileRef) {
				p.RefreshKey = nil
			}
		},
		Keep: func(existing, l scoped.CatalogLocation) {
			if byName(l.Parameters().FileRef) {
				l.Parameters().RefreshKey = existing.Parameters().RefreshKey
			}
		},
	}
}
