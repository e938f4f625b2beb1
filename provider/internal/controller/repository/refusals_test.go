package repository

import (
	"strings"
	"testing"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// internal is refused for a user's repository before anything is written.
func TestInternalForAUserIsRefused(t *testing.T) {
	e := newEnv(t)
	e.create("dotfiles", func(r *v1alpha1.Repository) {
		r.Spec.ForProvider.Owner = testUser
		r.Spec.ForProvider.Visibility = v1alpha1.VisibilityInternal
	})
	for range 3 {
		e.reconcile("dotfiles")
	}
	c := synced(e.get("dotfiles"))
	if c.Status != "False" || !strings.Contains(c.Message, `visibility: "internal"`) || !strings.Contains(c.Message, testUser) {
		t.Errorf("Synced = %s %q, want a refusal naming the field and the owner", c.Status, c.Message)
	}
	if n := writes(e); n != 0 {
		t.Errorf("%d writes: %v", n, e.gh.Stats().ByRoute)
	}
}

// Deleting never reads branch protection: a 403 there (here GitHub Free's
// refusal for a private repository) must not block it.
func TestDeleteSkipsProtectionRead(t *testing.T) {
	e := newEnv(t)
	e.create("svc", fullSpec)
	e.converge("svc", 6)
	e.gh.SetFreePlan(testOrg, true)
	e.reconcile("svc")
	if c := synced(e.get("svc")); c.Status != "False" || !strings.Contains(c.Message, "Upgrade to GitHub Pro") {
		t.Errorf("Synced = %s %q, want GitHub's plan refusal", c.Status, c.Message)
	}
	reads := e.gh.Stats().ByRoute["GET /repos/{owner}/{repo}/branches/{branch}/protection"]
	deleteMR(t, e, "svc")
	if d := e.gh.Stats().ByRoute["GET /repos/{owner}/{repo}/branches/{branch}/protection"] - reads; d != 0 {
		t.Errorf("delete read branch protection %d times", d)
	}
	if st, _ := e.gh.Repo(testOrg, "svc"); !st.Archived {
		t.Error("repository not archived")
	}
}

// The protection PUT replaces the whole protection: settings the spec does
// not manage are read and sent back.
func TestProtectionKeepsUnmanagedSettings(t *testing.T) {
	e := newEnv(t)
	e.create("svc", func(r *v1alpha1.Repository) {
		r.Spec.ForProvider.AutoInit = ptr(true)
		r.Spec.ForProvider.BranchProtection = &v1alpha1.BranchProtection{RequiredApprovingReviewCount: ptr(2)}
	})
	e.converge("svc", 6)
	e.gh.Mutate(testOrg, "svc", func(r *ghtestRepo) {
		r.RequiredReviews = 0 // drift the spec manages
		r.LinearHistory, r.LastPushApproval, r.PushUsers = true, true, []string{testUser}
		r.CheckContexts = []string{"ci/external"}
	})
	e.converge("svc", 4)
	st, _ := e.gh.Repo(testOrg, "svc")
	if st.RequiredReviews != 2 {
		t.Errorf("managed review count not restored: %d", st.RequiredReviews)
	}
	if !st.LinearHistory || !st.LastPushApproval || len(st.PushUsers) != 1 || !sameSet(st.CheckContexts, []string{"ci/external"}) {
		t.Errorf("unmanaged protection settings lost: %+v", st)
	}
}

// A default branch that does not exist is GitHub's 422, reported with
// GitHub's message; nothing else changes.
func TestMissingDefaultBranchIsAClearCondition(t *testing.T) {
	e := newEnv(t)
	e.create("svc", func(r *v1alpha1.Repository) {
		r.Spec.ForProvider.AutoInit = ptr(true)
		r.Spec.ForProvider.DefaultBranch = "trunk"
	})
	for range 4 {
		e.reconcile("svc")
	}
	c := synced(e.get("svc"))
	if c.Status != "False" || !strings.Contains(c.Message, "422") || !strings.Contains(c.Message, "trunk") {
		t.Errorf("Synced = %s %q, want GitHub's 422 naming the branch", c.Status, c.Message)
	}
	e.gh.SetFile(testOrg, "svc", "trunk", "README.md", "x")
	e.converge("svc", 4)
	if st, _ := e.gh.Repo(testOrg, "svc"); st.DefaultBranch != "trunk" {
		t.Errorf("default branch = %q once trunk exists", st.DefaultBranch)
	}
}
