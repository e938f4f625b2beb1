package teamrepository

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// A TeamRepository that names its Repository by
// spec.forProvider.repositoryRef waits for it as a RepositoryFile does
// (package refwait).
func refKindOf(s scoped.Scope) refwait.Kind[scoped.TeamRepository] {
	return refwait.Kind[scoped.TeamRepository]{
		Name:    "TeamRepository",
		New:     s.TeamRepository.New,
		NewList: s.TeamRepository.NewList,
		Ref:     func(b scoped.TeamRepository) *xpv2.Reference { return b.Parameters().RepositoryRef },
		Resolved: func(b scoped.TeamRepository) bool {
			return b.Parameters().Repository != nil && *b.Parameters().Repository != ""
		},
	}
}
