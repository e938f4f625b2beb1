package branch

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
)

// A Branch that names its Repository by spec.forProvider.repositoryRef
// waits for it as a RepositoryFile does (package refwait): woken by a
// watch on Repositories when their full name appears, without a token of
// the global rate limiter while it cannot resolve.
var refKind = refwait.Kind[*v1alpha1.Branch]{
	Name:    "Branch",
	New:     func() *v1alpha1.Branch { return &v1alpha1.Branch{} },
	NewList: func() resource.ManagedList { return &v1alpha1.BranchList{} },
	Ref:     func(b *v1alpha1.Branch) *xpv2.Reference { return b.Spec.ForProvider.RepositoryRef },
	Resolved: func(b *v1alpha1.Branch) bool {
		return b.Spec.ForProvider.Repository != nil && *b.Spec.ForProvider.Repository != ""
	},
}
