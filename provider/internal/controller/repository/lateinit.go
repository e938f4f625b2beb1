package repository

import (
	gh "github.com/google/go-github/v85/github"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// lateInitialize fills the fields the spec leaves unset with GitHub's
// values and reports whether it changed anything. The managed reconciler
// persists the result only when the management policies include
// LateInitialize; without it the fields stay unset, which means not
// managed. Creation-only fields (template, autoInit), archiveOnDelete and
// branch protection are never late-initialised: protection is managed only
// when the spec asks for it. Visibility of a repository this resource
// created (created) is the one Create asked for, never GitHub's: GitHub
// ignores what an endpoint does not take (POST /user/repos has no
// `visibility`, fluxcd/go-git-providers#44), and a repository that came
// out public must be made private, not recorded as public.
func lateInitialize(p *v1alpha1.RepositoryParameters, r *gh.Repository, created bool) bool {
	changed := false
	str := func(dst *string, v string) {
		if *dst == "" && v != "" {
			*dst, changed = v, true
		}
	}
	boolp := func(dst **bool, v *bool) {
		if *dst == nil && v != nil {
			*dst, changed = gh.Ptr(*v), true
		}
	}
	if p.Description == nil && r.GetDescription() != "" {
		p.Description, changed = gh.Ptr(r.GetDescription()), true
	}
	if created {
		str(&p.Visibility, createVisibility(*p))
	} else {
		str(&p.Visibility, visibilityOf(r))
	}
	str(&p.DefaultBranch, r.GetDefaultBranch())
	if p.Topics == nil {
		t := append([]string{}, r.Topics...)
		p.Topics, changed = &t, true
	}
	boolp(&p.Archived, r.Archived)
	if r.AllowMergeCommit != nil || r.AllowSquashMerge != nil || r.AllowRebaseMerge != nil {
		if p.MergeOptions == nil {
			p.MergeOptions = &v1alpha1.MergeOptions{}
		}
		boolp(&p.MergeOptions.AllowMergeCommit, r.AllowMergeCommit)
		boolp(&p.MergeOptions.AllowSquashMerge, r.AllowSquashMerge)
		boolp(&p.MergeOptions.AllowRebaseMerge, r.AllowRebaseMerge)
	}
	boolp(&p.DeleteBranchOnMerge, r.DeleteBranchOnMerge)
	return changed
}

// visibilityOf is the repository's visibility: GitHub's `visibility`, or,
// where an answer has none (it is optional in GitHub's repository schema),
// its `private`.
func visibilityOf(r *gh.Repository) string {
	if v := r.GetVisibility(); v != "" {
		return v
	}
	if r.GetPrivate() {
		return v1alpha1.VisibilityPrivate
	}
	return v1alpha1.VisibilityPublic
}
