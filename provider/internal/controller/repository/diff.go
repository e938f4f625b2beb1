package repository

import (
	"slices"
	"strings"

	gh "github.com/google/go-github/v85/github"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// Drift kinds reported by diff.
const (
	driftName       = "name"
	driftArchived   = "archived"
	driftSettings   = "settings"
	driftTopics     = "topics"
	driftProtection = "protection"
)

// readOnly reports whether the repository is archived and stays so: GitHub
// refuses every change to an archived repository ("Repository was archived
// so is read-only"), so its other settings are not compared.
func readOnly(p v1alpha1.RepositoryParameters, r *gh.Repository) bool {
	return r.GetArchived() && (p.Archived == nil || *p.Archived)
}

// diff lists what differs between the desired parameters and GitHub. Only
// fields the spec sets are compared: an unset field is not managed. Topics
// and required status checks are compared as sets.
func diff(p v1alpha1.RepositoryParameters, name string, r *gh.Repository, prot *gh.Protection) []string {
	var d []string
	// GitHub resolves names case-insensitively: a difference in case only
	// is not a rename (adopting "Legacy" as "legacy" writes nothing).
	if !strings.EqualFold(r.GetName(), name) {
		d = append(d, driftName)
	}
	if p.Archived != nil && *p.Archived != r.GetArchived() {
		d = append(d, driftArchived)
	}
	if readOnly(p, r) {
		return d
	}
	if settingsEdit(p, r) != nil {
		d = append(d, driftSettings)
	}
	if p.Topics != nil && !sameSet(normTopics(*p.Topics), normTopics(r.Topics)) {
		d = append(d, driftTopics)
	}
	if p.BranchProtection != nil && !protectionMatches(*p.BranchProtection, prot) {
		d = append(d, driftProtection)
	}
	return d
}

// settingsEdit returns the PATCH body that puts GitHub's settings back to
// the desired ones, or nil when they match. Unset fields are left out.
func settingsEdit(p v1alpha1.RepositoryParameters, r *gh.Repository) *gh.Repository {
	edit := &gh.Repository{}
	changed := false
	if p.Description != nil && *p.Description != r.GetDescription() {
		edit.Description, changed = gh.Ptr(*p.Description), true
	}
	if p.Visibility != "" && p.Visibility != visibilityOf(r) {
		// PATCH /repos/{owner}/{repo} has both fields; `private` too, so
		// that a server ignoring `visibility` still makes it private.
		edit.Visibility, changed = gh.Ptr(p.Visibility), true
		if p.Visibility != v1alpha1.VisibilityInternal {
			edit.Private = gh.Ptr(p.Visibility == v1alpha1.VisibilityPrivate)
		}
	}
	if p.DefaultBranch != "" && p.DefaultBranch != r.GetDefaultBranch() {
		edit.DefaultBranch, changed = gh.Ptr(p.DefaultBranch), true
	}
	setBool := func(want *bool, have bool, dst **bool) {
		if want != nil && *want != have {
			*dst, changed = gh.Ptr(*want), true
		}
	}
	if m := p.MergeOptions; m != nil {
		setBool(m.AllowMergeCommit, r.GetAllowMergeCommit(), &edit.AllowMergeCommit)
		setBool(m.AllowSquashMerge, r.GetAllowSquashMerge(), &edit.AllowSquashMerge)
		setBool(m.AllowRebaseMerge, r.GetAllowRebaseMerge(), &edit.AllowRebaseMerge)
	}
	setBool(p.DeleteBranchOnMerge, r.GetDeleteBranchOnMerge(), &edit.DeleteBranchOnMerge)
	if !changed {
		return nil
	}
	return edit
}

// normTopics lower-cases, trims and de-duplicates topics, as GitHub stores
// them.
func normTopics(t []string) []string {
	out := make([]string, 0, len(t))
	for _, s := range t {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}
