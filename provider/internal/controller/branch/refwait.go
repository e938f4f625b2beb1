package branch

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// A Branch that names its Repository by spec.forProvider.repositoryRef
// waits for it as a RepositoryFile does (package refwait): woken by a
// watch on Repositories when their full name appears, without a token of
// the global rate limiter while it cannot resolve.
func refKindOf(s scoped.Scope) refwait.Kind[scoped.Branch] {
	return refwait.Kind[scoped.Branch]{
		Name:    "Branch",
		New:     s.Branch.New,
		NewList: s.Branch.NewList,
		Ref:     func(b scoped.Branch) *xpv2.Reference { return b.Parameters().RepositoryRef },
		Resolved: func(b scoped.Branch) bool {
			return b.Parameters().Repository != nil && *b.Parameters().Repository != ""
		},
	}
}
