package repository

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

func TestCreateRecordsRepositoryID(t *testing.T) {
	e := newEnv(t)
	e.create("svc", func(r *v1alpha1.Repository) { r.Spec.ForProvider.AutoInit = ptr(true) })
	// One reconcile: Observe (404) and Create. The annotation set in Create
	// is persisted by the managed reconciler's critical-annotation update.
	e.reconcile("svc")
	st, ok := e.gh.Repo(testOrg, "svc")
	if !ok {
		t.Fatal("not created in the first reconcile")
	}
	if got := e.get("svc").GetAnnotations()[AnnotationRepositoryID]; got != strconv.FormatInt(st.ID, 10) {
		t.Errorf("after Create: annotation %s = %q, want %d", AnnotationRepositoryID, got, st.ID)
	}
	e.converge("svc", 6)
}

// Someone deletes the repository and creates another under its name: the
// resource refuses to touch it, and deleting the resource leaves it alone.
func TestAnotherRepositoryUnderTheNameIsRefused(t *testing.T) {
	e := newEnv(t)
	e.create("svc", fullSpec)
	e.converge("svc", 6)
	e.age("svc")
	e.gh.DeleteOutOfBand(testOrg, "svc")
	e.gh.CreateOutOfBand(testOrg, "svc")
	other, _ := e.gh.Repo(testOrg, "svc")
	before := writes(e)
	for range 3 {
		e.reconcile("svc")
	}
	c := synced(e.get("svc"))
	if c.Status != "False" || !strings.Contains(c.Message, "another one took its name") || !strings.Contains(c.Message, strconv.FormatInt(other.ID, 10)) {
		t.Errorf("Synced = %s %q, want a refusal naming the other id", c.Status, c.Message)
	}
	if n := writes(e) - before; n != 0 {
		t.Errorf("%d writes to someone else's repository: %v", n, e.gh.Stats().ByRoute)
	}
	deleteMR(t, e, "svc")
	if st, ok := e.gh.Repo(testOrg, "svc"); !ok || st.Archived || st.ID != other.ID {
		t.Errorf("someone else's repository touched on delete: exists=%v %+v", ok, st)
	}
}

// Changing the external name renames the repository (same id) instead of
// creating a second one.
func TestNewExternalNameRenames(t *testing.T) {
	e := newEnv(t)
	e.create("svc", fullSpec)
	e.converge("svc", 6)
	old, _ := e.gh.Repo(testOrg, "svc")
	r := e.get("svc")
	meta.SetExternalName(r, "svc-v2")
	if err := e.kube.Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	e.converge("svc", 4)
	st, ok := e.gh.Repo(testOrg, "svc-v2")
	if !ok || st.ID != old.ID {
		t.Fatalf("repository not renamed: exists=%v id %d, want %d", ok, st.ID, old.ID)
	}
	if _, ok := e.gh.Repo(testOrg, "svc"); ok {
		t.Error("old name still exists")
	}
	if s := e.gh.Stats(); s.RepoCreates != 1 || e.gh.RepoCount() != 1 {
		t.Errorf("creates = %d, repositories = %d; want 1 and 1", s.RepoCreates, e.gh.RepoCount())
	}
	if got := e.get("svc").Status.AtProvider.FullName; got != "acme/svc-v2" {
		t.Errorf("status fullName = %q", got)
	}
}

// A repository renamed on GitHub is found through GitHub's redirect (301
// to /repositories/{id}) and renamed back to the external name.
func TestRenamedOnGitHubIsRenamedBack(t *testing.T) {
	e := newEnv(t)
	e.create("svc", fullSpec)
	e.converge("svc", 6)
	old, _ := e.gh.Repo(testOrg, "svc")
	e.gh.RenameOutOfBand(testOrg, "svc", "renamed-by-hand")
	e.converge("svc", 4)
	if st, ok := e.gh.Repo(testOrg, "svc"); !ok || st.ID != old.ID {
		t.Errorf("repository not renamed back: exists=%v %+v", ok, st)
	}
	if s := e.gh.Stats(); s.RepoCreates != 1 {
		t.Errorf("creates = %d, want 1", s.RepoCreates)
	}
}
