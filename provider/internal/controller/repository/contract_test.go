package repository

import (
	"strings"
	"testing"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// Every new repository is private unless the spec says otherwise, for a
// user and an organisation owner, plain and from a template, whatever each
// endpoint ignores (the stand-in ignores what GitHub's description does not
// give an endpoint: `visibility` on POST /user/repos, fluxcd/go-git-providers#44),
// and stays private: a repository made public on GitHub is made private
// again, not recorded as public.
func TestNewRepositoriesArePrivateForEveryOwner(t *testing.T) {
	template := func(r *v1alpha1.Repository) {
		r.Spec.ForProvider.Template = &v1alpha1.RepositoryTemplate{Owner: testOrg, Repository: "service-template"}
	}
	cases := map[string]struct {
		owner      string
		visibility string
		opts       []repoOption
	}{
		"User":                 {owner: testUser},
		"UserSaysPrivate":      {owner: testUser, visibility: v1alpha1.VisibilityPrivate},
		"UserTemplate":         {owner: testUser, opts: []repoOption{template}},
		"Organisation":         {owner: testOrg},
		"OrganisationPrivate":  {owner: testOrg, visibility: v1alpha1.VisibilityPrivate},
		"OrganisationTemplate": {owner: testOrg, opts: []repoOption{template}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.gh.CreateOutOfBand(testOrg, "service-template")
			e.gh.Mutate(testOrg, "service-template", func(r *ghtestRepo) { r.IsTemplate, r.Visibility = true, "public" })
			opts := append([]repoOption{func(r *v1alpha1.Repository) {
				r.Spec.ForProvider.Owner = tc.owner
				r.Spec.ForProvider.Visibility = tc.visibility
				r.Spec.ForProvider.DefaultBranch = ""
				r.Spec.ForProvider.AutoInit = ptr(true)
			}}, tc.opts...)
			e.create("svc", opts...)
			e.converge("svc", 8)
			check := func(when string) {
				t.Helper()
				st, ok := e.gh.Repo(tc.owner, "svc")
				if !ok || st.Visibility != v1alpha1.VisibilityPrivate {
					t.Errorf("%s: repository on GitHub: exists=%v visibility %q, want private", when, ok, st.Visibility)
				}
				if v := e.get("svc").Spec.ForProvider.Visibility; v != v1alpha1.VisibilityPrivate {
					t.Errorf("%s: spec.forProvider.visibility = %q, want private", when, v)
				}
			}
			check("created")
			e.gh.Mutate(tc.owner, "svc", func(r *ghtestRepo) { r.Visibility = "public" })
			e.converge("svc", 4)
			check("made public on GitHub")
		})
	}
}

// Deleting a Repository whose repository was transferred to another owner
// finishes, and leaves the repository in its new home as it is.
func TestDeleteAfterTransferLeavesTheRepository(t *testing.T) {
	for _, archive := range []bool{true, false} {
		name := "Archive"
		if !archive {
			name = "Delete"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.gh.AddOrg("elsewhere")
			e.create("svc", func(r *v1alpha1.Repository) {
				r.Spec.ForProvider.AutoInit = ptr(true)
				r.Spec.ForProvider.ArchiveOnDelete = ptr(archive)
			})
			e.converge("svc", 6)
			if !e.gh.TransferOutOfBand(testOrg, "svc", "elsewhere") {
				t.Fatal("transfer refused")
			}
			e.reconcile("svc")
			if c := synced(e.get("svc")); c.Status != "False" || !strings.Contains(c.Message, "transferred") {
				t.Errorf("Synced after the transfer = %s %q, want a refusal naming the transfer", c.Status, c.Message)
			}
			before := writes(e)
			deleteMR(t, e, "svc")
			if e.exists("svc") {
				t.Fatalf("Repository not deleted: %+v", e.get("svc").Status.Conditions)
			}
			st, ok := e.gh.Repo("elsewhere", "svc")
			if !ok || st.Archived {
				t.Errorf("transferred repository: exists=%v archived=%v, want it as it was", ok, st.Archived)
			}
			if n := writes(e) - before; n != 0 {
				t.Errorf("deleting wrote %d times: %v", n, e.gh.Stats().ByRoute)
			}
		})
	}
}

// Without admin on the repository GitHub answers 404 for its branch
// protection; the condition says so rather than "does not exist yet".
func TestProtectionWithoutAdminSaysSo(t *testing.T) {
	e := newEnv(t)
	e.create("svc", func(r *v1alpha1.Repository) {
		r.Spec.ForProvider.AutoInit = ptr(true)
		r.Spec.ForProvider.BranchProtection = &v1alpha1.BranchProtection{}
	})
	e.converge("svc", 6)
	e.gh.SetAdmin(testUser, false)
	e.gh.Mutate(testOrg, "svc", func(r *ghtestRepo) { r.RequiredReviews = 0 })
	for range 3 {
		e.reconcile("svc")
	}
	c := synced(e.get("svc"))
	if c.Status != "False" || !strings.Contains(c.Message, "lack admin") || strings.Contains(c.Message, "does not exist yet") {
		t.Errorf("Synced = %s %q, want the missing admin named", c.Status, c.Message)
	}
	if st, _ := e.gh.Repo(testOrg, "svc"); st.RequiredReviews != 0 || !st.Protected {
		t.Errorf("protection changed without admin: %+v", st)
	}
}

// Required checks keep the GitHub App they are bound to: protection the
// provider sends back (here after a review-count drift, with
// requiredStatusChecks unset, then with checks named in the spec) binds
// each check to the same App, or to the one the spec names.
func TestProtectionKeepsCheckApps(t *testing.T) {
	e := newEnv(t)
	e.create("svc", func(r *v1alpha1.Repository) {
		r.Spec.ForProvider.AutoInit = ptr(true)
		r.Spec.ForProvider.BranchProtection = &v1alpha1.BranchProtection{}
	})
	e.converge("svc", 6)
	// ci/build was set most recently by another App (7): a protection
	// sent as contexts would bind it to 7.
	e.gh.ReportCheck(testOrg, "svc", "ci/build", 7)
	e.gh.Mutate(testOrg, "svc", func(r *ghtestRepo) {
		r.RequiredReviews = 0
		r.CheckContexts = []string{"ci/build", "ci/any"}
		r.CheckApps = map[string]int64{"ci/build": 42}
	})
	e.converge("svc", 4)
	st, _ := e.gh.Repo(testOrg, "svc")
	if st.RequiredReviews != 1 || !sameSet(st.CheckContexts, []string{"ci/build", "ci/any"}) || st.CheckApps["ci/build"] != 42 || st.CheckApps["ci/any"] != 0 {
		t.Errorf("after the protection update: reviews %d, checks %v bound to %v; want ci/build bound to 42, ci/any to any App", st.RequiredReviews, st.CheckContexts, st.CheckApps)
	}

	// The spec binds ci/build to App 99, requires ci/lint from any App and
	// ci/any by name.
	r := e.get("svc")
	r.Spec.ForProvider.BranchProtection.RequiredStatusChecks = &v1alpha1.RequiredStatusChecks{
		Contexts: []string{"ci/any"},
		Checks:   []v1alpha1.StatusCheck{{Context: "ci/build", AppID: ptr(int64(99))}, {Context: "ci/lint", AppID: ptr(v1alpha1.AnyApp)}},
	}
	if err := e.kube.Update(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	e.converge("svc", 4)
	st, _ = e.gh.Repo(testOrg, "svc")
	if !sameSet(st.CheckContexts, []string{"ci/build", "ci/any", "ci/lint"}) || st.CheckApps["ci/build"] != 99 || st.CheckApps["ci/lint"] != 0 || st.CheckApps["ci/any"] != 0 {
		t.Errorf("spec checks: %v bound to %v, want ci/build to 99, ci/lint and ci/any to any App", st.CheckContexts, st.CheckApps)
	}
	// Bound to another App on GitHub: drift, put back.
	e.gh.Mutate(testOrg, "svc", func(r *ghtestRepo) { r.CheckApps = map[string]int64{"ci/build": 7} })
	e.converge("svc", 4)
	if st, _ = e.gh.Repo(testOrg, "svc"); st.CheckApps["ci/build"] != 99 {
		t.Errorf("ci/build rebound on GitHub not put back: %v", st.CheckApps)
	}
}
