package repository

import (
	"maps"
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
	if have == nil || want.Strict != have.Strict {
		return false
	}
	apps := observedChecks(have)
	if !sameSet(requiredContexts(*want), slices.Collect(maps.Keys(apps))) {
		return false
	}
	for _, c := range want.Checks {
		if c.AppID != nil && !sameApp(*c.AppID, apps[c.Context]) {
			return false
		}
	}
	return true
}

// requiredContexts are the names of the checks c requires: its contexts
// and its checks.
func requiredContexts(c v1alpha1.RequiredStatusChecks) []string {
	out := slices.Clone(c.Contexts)
	for _, ch := range c.Checks {
		out = append(out, ch.Context)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// observedChecks maps each required check GitHub reports to the GitHub App
// it is bound to (v1alpha1.AnyApp when any App may set it). GitHub answers
// `checks` with each check's nullable `app_id` (status-check-policy in its
// OpenAPI description; null: any App) beside the closing-down `contexts`,
// the names only; an answer with contexts only binds them to no App the
// provider can see, so they count as any.
func observedChecks(c *gh.RequiredStatusChecks) map[string]int64 {
	out := map[string]int64{}
	if c == nil {
		return out
	}
	if c.Checks != nil {
		for _, ch := range *c.Checks {
			out[ch.Context] = v1alpha1.AnyApp
			if ch.AppID != nil && *ch.AppID > 0 {
				out[ch.Context] = *ch.AppID
			}
		}
		return out
	}
	if c.Contexts != nil {
		for _, ctx := range *c.Contexts {
			out[ctx] = v1alpha1.AnyApp
		}
	}
	return out
}

// sameApp reports whether a check bound to have satisfies a spec asking
// for want: the same App, or any App (-1) for both.
func sameApp(want, have int64) bool {
	if want <= 0 {
		return have <= 0
	}
	return want == have
}

// checksRequest is the required_status_checks body for the required checks
// c names, sent as `checks` with each check's App: the spec's, else the App
// GitHub has it bound to now (cur; -1 when any App may set it), else none,
// so that GitHub binds a new check as it does a context ("Omit this field
// to automatically select the GitHub App that has recently provided this
// check, or any app if it was not set by a GitHub App"). Never as
// `contexts` (closing down): "If any of these checks have recently been set
// by a particular GitHub App, they will be required to come from that app
// in future", which rebinds checks bound to another App or to any App
// (GitHub's description of PUT /repos/{owner}/{repo}/branches/{branch}/protection,
// npm @octokit/openapi). Never both: GitHub refuses a body with both with
// 422 ("More than one subschema in \"oneOf\" matched",
// integrations/terraform-provider-github#1212).
func checksRequest(c v1alpha1.RequiredStatusChecks, cur *gh.RequiredStatusChecks) *gh.RequiredStatusChecks {
	have := observedChecks(cur)
	spec := map[string]*int64{}
	for _, ch := range c.Checks {
		spec[ch.Context] = ch.AppID
	}
	checks := []*gh.RequiredStatusCheck{}
	for _, ctx := range requiredContexts(c) {
		ch := &gh.RequiredStatusCheck{Context: ctx}
		if app, ok := have[ctx]; ok {
			ch.AppID = gh.Ptr(app)
		}
		if app := spec[ctx]; app != nil {
			ch.AppID = gh.Ptr(*app)
		}
		checks = append(checks, ch)
	}
	return &gh.RequiredStatusChecks{Strict: c.Strict, Checks: &checks}
}

// currentChecks is GitHub's required checks as a spec would name them, to
// send back unchanged: each with the App it is bound to (-1: any).
func currentChecks(cur *gh.RequiredStatusChecks) v1alpha1.RequiredStatusChecks {
	out := v1alpha1.RequiredStatusChecks{Strict: cur.Strict}
	for ctx, app := range observedChecks(cur) {
		out.Checks = append(out.Checks, v1alpha1.StatusCheck{Context: ctx, AppID: gh.Ptr(app)})
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
// sent as checks with their Apps (checksRequest).
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
		req.RequiredStatusChecks = checksRequest(*c, cur.RequiredStatusChecks)
	case cur.RequiredStatusChecks != nil:
		req.RequiredStatusChecks = checksRequest(currentChecks(cur.RequiredStatusChecks), cur.RequiredStatusChecks)
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
