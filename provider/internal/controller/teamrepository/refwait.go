package teamrepository

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
)

// A TeamRepository that names its Repository by
// spec.forProvider.repositoryRef waits for it as a RepositoryFile does
// (package refwait).
var refKind = refwait.Kind[*v1alpha1.TeamRepository]{
	Name:    "TeamRepository",
	New:     func() *v1alpha1.TeamRepository { return &v1alpha1.TeamRepository{} },
	NewList: func() resource.ManagedList { return &v1alpha1.TeamRepositoryList{} },
	Ref:     func(b *v1alpha1.TeamRepository) *xpv2.Reference { return b.Spec.ForProvider.RepositoryRef },
	Resolved: func(b *v1alpha1.TeamRepository) bool {
		return b.Spec.ForProvider.Repository != nil && *b.Spec.ForProvider.Repository != ""
	},
}
