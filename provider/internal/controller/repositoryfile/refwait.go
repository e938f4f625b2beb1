package repositoryfile

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// A RepositoryFile that names its Repository by spec.forProvider.repositoryRef
// resolves owner/name from the Repository's status.atProvider.fullName
// (v1alpha1.RepositoryFullName): until the Repository has been observed on
// GitHub, reference resolution fails. The controller waits for it as
// package refwait describes: Repositories wake the RepositoryFiles that
// reference them when their full name changes, and a RepositoryFile whose
// reference does not resolve yet is reported without a token of the global
// rate limiter.

// refKindOf is the RepositoryFile kind of scope s and its reference to a
// Repository of that scope, as refwait waits on it.
func refKindOf(s scoped.Scope) refwait.Kind[scoped.RepositoryFile] {
	return refwait.Kind[scoped.RepositoryFile]{
		Name:    "RepositoryFile",
		New:     s.RepositoryFile.New,
		NewList: s.RepositoryFile.NewList,
		Ref:     func(f scoped.RepositoryFile) *xpv2.Reference { return f.Parameters().RepositoryRef },
		Resolved: func(f scoped.RepositoryFile) bool {
			return f.Parameters().Repository != nil && *f.Parameters().Repository != ""
		},
	}
}
