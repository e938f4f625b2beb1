package repository

import (
	"slices"

	gh "github.com/google/go-github/v85/github"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

func reviewCount(bp v1alpha1.BranchProtection) int {
	if bp.RequiredApprovingReviewCount == nil {
		return 1
	}
	return *bp.RequiredApprovingReviewCount
}

// protectionMatches reports whether GitHub's protection p has the settings
// bp manages. Settings bp does not name are not compared.
func protectionMatches(bp v1alpha1.BranchProtection, p *gh.Protection) bool {
	if p == nil {
		return false
	}
	rv := p.RequiredPullRequestReviews
	if rv == nil || rv.RequiredApprovingReviewCount != reviewCount(bp) ||
		rv.DismissStaleReviews != bp.DismissStaleReviews || rv.RequireCodeOwnerReviews != bp.RequireCodeOwnerReviews {
		return false
	}
	if (p.EnforceAdmins != nil && p.EnforceAdmins.Enabled) != bp.EnforceAdmins {
		return false
	}
	want, have := bp.RequiredStatusChecks, p.RequiredStatusChecks
	if want == nil {
		// Not managed.
		return true
	}
	if have == nil {
		return false
	}
	return want.Strict == have.Strict && sameSet(want.Contexts, checkContexts(have))
}

// checkContexts are the names of the required checks GitHub reports.
func checkContexts(c *gh.RequiredStatusChecks) []string {
	if c == nil {
		return nil
	}
	if c.Contexts != nil {
		return *c.Contexts
	}
	var out []string
	if c.Checks != nil {
		for _, ch := range *c.Checks {
			out = append(out, ch.Context)
		}
	}
	return out
}

// protectionRequest is the body of
// PUT /repos/{owner}/{repo}/branches/{branch}/protection: the settings bp
// manages, merged into the protection GitHub has now (cur, nil when the
// branch is unprotected). The PUT replaces the whole protection: every
// top-level field is required, null disables it, and "passing new arrays of
// users and teams replaces their previous values"
// (https://docs.github.com/en/rest/branches/branch-protection#update-branch-protection).
// So settings the spec has no field for (push restrictions, dismissal
// restrictions, bypass allowances, last-push approval, linear history,
// force pushes, deletions, conversation resolution, block creations, lock
// branch, fork syncing) and, when the spec leaves them unset, required
// status checks, are sent back as GitHub reported them. Required checks are
// sent as contexts (the field the description requires); GitHub keeps a
// check bound to the App that recently set it.
func protectionRequest(bp v1alpha1.BranchProtection, cur *gh.Protection) *gh.ProtectionRequest {
	if cur == nil {
		cur = &gh.Protection{}
	}
	req := &gh.ProtectionRequest{
		EnforceAdmins: bp.EnforceAdmins,
		RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{
			DismissStaleReviews:          bp.DismissStaleReviews,
			RequireCodeOwnerReviews:      bp.RequireCodeOwnerReviews,
			RequiredApprovingReviewCount: reviewCount(bp),
		},
	}
	switch c := bp.RequiredStatusChecks; {
	case c != nil:
		contexts := append([]string{}, c.Contexts...)
		slices.Sort(contexts)
		req.RequiredStatusChecks = &gh.RequiredStatusChecks{Strict: c.Strict, Contexts: &contexts}
	case cur.RequiredStatusChecks != nil:
		contexts := append([]string{}, checkContexts(cur.RequiredStatusChecks)...)
		req.RequiredStatusChecks = &gh.RequiredStatusChecks{Strict: cur.RequiredStatusChecks.Strict, Contexts: &contexts}
	}
	if rv := cur.RequiredPullRequestReviews; rv != nil {
		out := req.RequiredPullRequestReviews
		out.RequireLastPushApproval = gh.Ptr(rv.RequireLastPushApproval)
		if d := rv.DismissalRestrictions; d != nil {
			users, teams, apps := actors(d.Users, d.Teams, d.Apps)
			out.DismissalRestrictionsRequest = &gh.DismissalRestrictionsRequest{Users: &users, Teams: &teams, Apps: &apps}
		}
		if b := rv.BypassPullRequestAllowances; b != nil {
			users, teams, apps := actors(b.Users, b.Teams, b.Apps)
			out.BypassPullRequestAllowancesRequest = &gh.BypassPullRequestAllowancesRequest{Users: users, Teams: teams, Apps: apps}
		}
	}
	if r := cur.Restrictions; r != nil {
		users, teams, apps := actors(r.Users, r.Teams, r.Apps)
		req.Restrictions = &gh.BranchRestrictionsRequest{Users: users, Teams: teams, Apps: apps}
	}
	if v := cur.RequireLinearHistory; v != nil {
		req.RequireLinearHistory = gh.Ptr(v.Enabled)
	}
	if v := cur.AllowForcePushes; v != nil {
		req.AllowForcePushes = gh.Ptr(v.Enabled)
	}
	if v := cur.AllowDeletions; v != nil {
		req.AllowDeletions = gh.Ptr(v.Enabled)
	}
	if v := cur.RequiredConversationResolution; v != nil {
		req.RequiredConversationResolution = gh.Ptr(v.Enabled)
	}
	if v := cur.BlockCreations; v != nil && v.Enabled != nil {
		req.BlockCreations = gh.Ptr(*v.Enabled)
	}
	if v := cur.LockBranch; v != nil && v.Enabled != nil {
		req.LockBranch = gh.Ptr(*v.Enabled)
	}
	if v := cur.AllowForkSyncing; v != nil && v.Enabled != nil {
		req.AllowForkSyncing = gh.Ptr(*v.Enabled)
	}
	return req
}

// actors turns the users, teams and apps GitHub reports into the logins
// and slugs a protection request names them by (never nil: the
// description requires arrays).
func actors(us []*gh.User, ts []*gh.Team, as []*gh.App) (users, teams, apps []string) {
	users, teams, apps = []string{}, []string{}, []string{}
	for _, u := range us {
		users = append(users, u.GetLogin())
	}
	for _, t := range ts {
		teams = append(teams, t.GetSlug())
	}
	for _, a := range as {
		apps = append(apps, a.GetSlug())
	}
	return users, teams, apps
}
