package repository

import (
	"context"
	"slices"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/test/ghtest"
)

func ptr[T any](v T) *T { return &v }

func fullSpec(r *v1alpha1.Repository) {
	p := &r.Spec.ForProvider
	p.Description = ptr("payments service")
	p.Topics = &[]string{"payments", "go", "team-a"}
	p.AutoInit = ptr(true)
	p.MergeOptions = &v1alpha1.MergeOptions{AllowMergeCommit: ptr(false), AllowRebaseMerge: ptr(false)}
	p.DeleteBranchOnMerge = ptr(true)
	p.BranchProtection = &v1alpha1.BranchProtection{
		RequiredApprovingReviewCount: ptr(2),
		DismissStaleReviews:          true,
		EnforceAdmins:                true,
		RequiredStatusChecks:         &v1alpha1.RequiredStatusChecks{Strict: true, Contexts: []string{"ci/test", "ci/lint"}},
	}
}

func TestCreateConvergesAndSteadyStateIsFree(t *testing.T) {
	e := newEnv(t)
	e.create("payments", fullSpec)
	n := e.converge("payments", 6)
	t.Logf("converged after %d reconciles", n)

	st, ok := e.gh.Repo(testOrg, "payments")
	if !ok {
		t.Fatal("repository not created on GitHub")
	}
	if st.Description != "payments service" || st.Visibility != "private" || st.AllowMergeCommit || st.AllowRebaseMerge ||
		!st.AllowSquashMerge || !st.DeleteBranchOnMerge {
		t.Errorf("settings not applied: %+v", st)
	}
	if !sameSet(st.Topics, []string{"payments", "go", "team-a"}) {
		t.Errorf("topics = %v", st.Topics)
	}
	if !st.Protected || st.RequiredReviews != 2 || !sameSet(st.CheckContexts, []string{"ci/lint", "ci/test"}) {
		t.Errorf("protection not applied: %+v", st)
	}
	r := e.get("payments")
	if meta.GetExternalName(r) != "payments" {
		t.Errorf("external name = %q", meta.GetExternalName(r))
	}
	ap := r.Status.AtProvider
	if ap.FullName != "acme/payments" || ap.HTMLURL != "https://github.com/acme/payments" || ap.DefaultBranch != "main" ||
		ap.CloneURL == "" || ap.SSHURL == "" || ap.ID != st.ID {
		t.Errorf("status.atProvider = %+v", ap)
	}
	if s := e.gh.Stats(); s.RepoCreates != 1 {
		t.Errorf("repository creates = %d, want 1", s.RepoCreates)
	}

	before := e.gh.Stats()
	const k = 10
	for range k {
		e.reconcile("payments")
	}
	after := e.gh.Stats()
	counted := after.Counted - before.Counted
	t.Logf("steady state: %d reconciles sent %d requests, %d answered 304, %d counted against the rate limit",
		k, after.Requests-before.Requests, after.NotModified-before.NotModified, counted)
	if counted != 0 {
		t.Errorf("steady-state reconciles used %d counted requests, want 0 (%v)", counted, after.ByRoute)
	}
	if after.NotModified-before.NotModified == 0 {
		t.Error("steady-state reconciles sent no conditional request")
	}
}

func TestNameTakenIsNotAdopted(t *testing.T) {
	e := newEnv(t)
	e.gh.CreateOutOfBand(testOrg, "legacy")
	before, _ := e.gh.Repo(testOrg, "legacy")
	e.create("legacy", fullSpec)
	for range 4 {
		e.reconcile("legacy")
	}
	r := e.get("legacy")
	c := synced(r)
	if c.Status != "False" || !strings.Contains(c.Message, "not created by this resource") {
		t.Errorf("Synced = %s %q, want a clear refusal", c.Status, c.Message)
	}
	if meta.GetExternalName(r) != "" {
		t.Errorf("external name set to %q on a repository that is not ours", meta.GetExternalName(r))
	}
	after, _ := e.gh.Repo(testOrg, "legacy")
	if after.Description != before.Description || len(after.Topics) != 0 || after.Protected {
		t.Errorf("repository that is not ours was modified: %+v", after)
	}
	if s := e.gh.Stats(); s.RepoCreates != 0 || s.ByRoute["PATCH /repos/{owner}/{repo}"] != 0 {
		t.Errorf("unexpected writes: %+v", s.ByRoute)
	}

	// Deleting the refused resource finishes and leaves the repository
	// alone (not archived, not deleted), also when it carries the managed
	// finalizer (as after losing a create race to someone else).
	r = e.get("legacy")
	meta.AddFinalizer(r, managed.FinalizerName)
	if err := e.kube.Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	deleteMR(t, e, "legacy")
	after, ok := e.gh.Repo(testOrg, "legacy")
	if !ok || after.Archived {
		t.Errorf("repository that is not ours was touched on delete: exists=%v archived=%v", ok, after.Archived)
	}
	if s := e.gh.Stats(); s.RepoDeletes != 0 || s.ByRoute["PATCH /repos/{owner}/{repo}"] != 0 {
		t.Errorf("unexpected writes on delete: %+v", s.ByRoute)
	}
}

func TestCreateRaceNameTakenIsAClearError(t *testing.T) {
	e := newEnv(t)
	e.create("racy")
	// Someone creates the name between our Observe (404) and our POST.
	cr := e.get("racy")
	ext := e.external(t, "racy")
	if _, err := ext.Observe(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	e.gh.CreateOutOfBand(testOrg, "racy")
	_, err := ext.Create(context.Background(), cr)
	if err == nil || !strings.Contains(err.Error(), "already taken") {
		t.Fatalf("Create error = %v, want name taken", err)
	}
	if meta.GetExternalName(cr) != "" {
		t.Error("Create set the external name after a 422")
	}
}

func TestExplicitExternalNameAdopts(t *testing.T) {
	e := newEnv(t)
	e.gh.CreateOutOfBand(testOrg, "legacy")
	e.create("legacy-mr", func(r *v1alpha1.Repository) {
		meta.SetExternalName(r, "legacy")
		r.Spec.ForProvider.Description = ptr("adopted")
		r.Spec.ForProvider.Topics = &[]string{"adopted"}
	})
	e.converge("legacy-mr", 6)
	st, _ := e.gh.Repo(testOrg, "legacy")
	if st.Description != "adopted" || !slices.Equal(st.Topics, []string{"adopted"}) {
		t.Errorf("adopted repository not updated: %+v", st)
	}
	if s := e.gh.Stats(); s.RepoCreates != 0 {
		t.Errorf("creates = %d, want 0", s.RepoCreates)
	}
}

func TestObserveOnlyAdoptsWithoutWriting(t *testing.T) {
	e := newEnv(t)
	e.gh.CreateOutOfBand(testOrg, "watched")
	e.create("watched", func(r *v1alpha1.Repository) {
		r.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
		r.Spec.ForProvider.Description = ptr("would change")
	})
	for range 3 {
		e.reconcile("watched")
	}
	r := e.get("watched")
	if r.Status.AtProvider.FullName != "acme/watched" {
		t.Errorf("status not observed: %+v (%v)", r.Status.AtProvider, r.Status.Conditions)
	}
	st, _ := e.gh.Repo(testOrg, "watched")
	if st.Description != "" {
		t.Errorf("Observe-only resource wrote to GitHub: %+v", st)
	}
	if s := e.gh.Stats(); s.Counted != s.ByRoute["GET /repos/{owner}/{repo}"] {
		t.Errorf("Observe-only sent writes: %v", s.ByRoute)
	}
}

func TestDriftIsCorrected(t *testing.T) {
	e := newEnv(t)
	e.create("drifty", fullSpec)
	e.converge("drifty", 6)

	// Same topics in another order: no drift, no write.
	e.gh.Mutate(testOrg, "drifty", func(r *ghtestRepo) { r.Topics = []string{"team-a", "payments", "go"} })
	before := e.gh.Stats()
	e.reconcile("drifty")
	if d := e.gh.Stats().ByRoute["PUT /repos/{owner}/{repo}/topics"] - before.ByRoute["PUT /repos/{owner}/{repo}/topics"]; d != 0 {
		t.Errorf("reordered topics were rewritten %d times", d)
	}

	e.gh.Mutate(testOrg, "drifty", func(r *ghtestRepo) {
		r.Description = "changed by hand"
		r.Topics = []string{"payments"}
		r.DeleteBranchOnMerge = false
		r.RequiredReviews = 0
		r.CheckContexts = []string{"ci/test"}
	})
	e.converge("drifty", 4)
	st, _ := e.gh.Repo(testOrg, "drifty")
	if st.Description != "payments service" || !st.DeleteBranchOnMerge || !sameSet(st.Topics, []string{"payments", "go", "team-a"}) ||
		st.RequiredReviews != 2 || !sameSet(st.CheckContexts, []string{"ci/test", "ci/lint"}) {
		t.Errorf("drift not corrected: %+v", st)
	}

	e.gh.Mutate(testOrg, "drifty", func(r *ghtestRepo) { r.Archived = true })
	e.converge("drifty", 4)
	if st, _ := e.gh.Repo(testOrg, "drifty"); st.Archived {
		t.Error("repository archived out of band was not unarchived")
	}
}

func deleteMR(t *testing.T, e *env, name string) {
	t.Helper()
	e.age(name)
	if err := e.kube.Delete(context.Background(), e.get(name)); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e.reconcile(name)
		if !e.exists(name) {
			return
		}
	}
	t.Fatalf("%s still exists after deletion: %+v", name, e.get(name).Status.Conditions)
}

func TestDeleteArchivesByDefault(t *testing.T) {
	e := newEnv(t)
	e.create("keep", func(r *v1alpha1.Repository) { r.Spec.ForProvider.AutoInit = ptr(true) })
	e.converge("keep", 6)
	deleteMR(t, e, "keep")
	st, ok := e.gh.Repo(testOrg, "keep")
	if !ok || !st.Archived {
		t.Errorf("repository should be archived and kept: exists=%v %+v", ok, st)
	}
	if s := e.gh.Stats(); s.RepoDeletes != 0 {
		t.Errorf("repository deleted %d times, want 0", s.RepoDeletes)
	}
}

func TestDeleteWhenArchiveOnDeleteFalse(t *testing.T) {
	e := newEnv(t)
	e.create("scratch", func(r *v1alpha1.Repository) { r.Spec.ForProvider.ArchiveOnDelete = ptr(false) })
	e.converge("scratch", 6)
	deleteMR(t, e, "scratch")
	if _, ok := e.gh.Repo(testOrg, "scratch"); ok {
		t.Error("repository still exists")
	}
	if s := e.gh.Stats(); s.RepoDeletes != 1 {
		t.Errorf("deletes = %d, want 1", s.RepoDeletes)
	}
}

func TestUserOwnedRepository(t *testing.T) {
	e := newEnv(t)
	e.create("dotfiles", func(r *v1alpha1.Repository) { r.Spec.ForProvider.Owner = testUser })
	e.converge("dotfiles", 6)
	if _, ok := e.gh.Repo(testUser, "dotfiles"); !ok {
		t.Fatal("user repository not created")
	}
}

func TestCreateFromTemplate(t *testing.T) {
	e := newEnv(t)
	e.gh.CreateOutOfBand(testOrg, "service-template")
	e.gh.Mutate(testOrg, "service-template", func(r *ghtestRepo) { r.IsTemplate = true })
	e.create("from-template", func(r *v1alpha1.Repository) {
		r.Spec.ForProvider.Template = &v1alpha1.RepositoryTemplate{Owner: testOrg, Repository: "service-template"}
		r.Spec.ForProvider.Description = ptr("generated")
		r.Spec.ForProvider.Topics = &[]string{"generated"}
	})
	e.converge("from-template", 6)
	st, ok := e.gh.Repo(testOrg, "from-template")
	if !ok || st.Description != "generated" || !slices.Equal(st.Topics, []string{"generated"}) || st.Visibility != "private" {
		t.Fatalf("repository from template: exists=%v %+v", ok, st)
	}
	if n := e.gh.Stats().ByRoute["POST /repos/{owner}/{repo}/generate"]; n != 1 {
		t.Errorf("generate calls = %d, want 1", n)
	}
}

func TestProtectionOfAMissingBranchIsAClearCondition(t *testing.T) {
	e := newEnv(t)
	e.create("empty", func(r *v1alpha1.Repository) {
		r.Spec.ForProvider.BranchProtection = &v1alpha1.BranchProtection{}
	})
	for range 4 {
		e.reconcile("empty")
	}
	c := synced(e.get("empty"))
	if c.Status != "False" || !strings.Contains(c.Message, "does not exist yet") {
		t.Errorf("Synced = %s %q", c.Status, c.Message)
	}
	if s := e.gh.Stats(); s.RepoCreates != 1 {
		t.Errorf("creates = %d, want 1", s.RepoCreates)
	}
}

// Someone else takes the name between our Observe (404) and our POST: the
// 422 is reported, and the repository that now exists (created moments
// after our create began) is still not taken over.
func TestLostCreateRaceIsNotAdopted(t *testing.T) {
	e := newEnv(t)
	e.gh.Inject(ghtest.Fault{Method: "POST", PathPrefix: "/orgs/", RaceCreate: "contested"})
	e.create("contested", fullSpec)
	for range 4 {
		e.reconcile("contested")
	}
	r := e.get("contested")
	if c := synced(r); c.Status != "False" || !strings.Contains(c.Message, "not created by this resource") {
		t.Errorf("Synced = %s %q, want a refusal", c.Status, c.Message)
	}
	if meta.GetExternalName(r) != "" {
		t.Errorf("external name %q set on a repository someone else created", meta.GetExternalName(r))
	}
	if st, _ := e.gh.Repo(testOrg, "contested"); len(st.Topics) != 0 || st.Protected {
		t.Errorf("repository someone else created was modified: %+v", st)
	}
	if s := e.gh.Stats(); s.FaultsInjected != 1 {
		t.Fatalf("race not staged: %+v", s)
	}
}
