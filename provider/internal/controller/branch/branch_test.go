package branch

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/test/ghtest"
)

// A Branch creates its branch at the default branch's head, protects it in
// the same reconcile, is Ready on the next, costs no counted request at
// steady state, and deleting it deletes the branch it created.
func TestBranchLifecycle(t *testing.T) {
	e := newEnv(t)
	main := e.gh.Head(testOrg, testRepo, "main")
	e.create("release", nil)
	e.reconcile("release", 1)

	if got := e.gh.Head(testOrg, testRepo, "release"); got != main {
		t.Fatalf("release head = %q, want main's head %q", got, main)
	}
	p, ok := e.gh.Protection(testOrg, testRepo, "release")
	if !ok {
		t.Fatal("release is not protected after the reconcile that created it")
	}
	if diff := cmp.Diff(ghtest.BranchProtection{RequiredReviews: 1, EnforceAdmins: true}, p); diff != "" {
		t.Errorf("protection (-want +got):\n%s", diff)
	}
	if got := e.get("release").GetAnnotations()[AnnotationCreated]; !strings.HasSuffix(got, ":"+main) {
		t.Errorf("%s = %q, want <repository id>:%s", AnnotationCreated, got, main)
	}

	e.reconcile("release", 1)
	b := e.get("release")
	if !isReady(b) {
		t.Fatalf("not Ready and Synced: %+v", b.Status.Conditions)
	}
	if b.Status.AtProvider.HeadSHA != main || !b.Status.AtProvider.Protected {
		t.Errorf("atProvider = %+v, want head %s, protected", b.Status.AtProvider, main)
	}

	before := e.gh.Stats()
	e.reconcile("release", 3)
	after := e.gh.Stats()
	if n := after.Counted - before.Counted; n != 0 {
		t.Errorf("steady state: %d counted requests, want 0 (%v)", n, after.ByRoute)
	}

	e.remove("release")
	if e.exists("release") {
		t.Fatal("Branch still exists after deletion")
	}
	if e.hasBranch("release") {
		t.Error("the branch this Branch created, still at its creation commit, was not deleted")
	}
	if !e.hasBranch("main") {
		t.Error("main is gone")
	}
}

// sourceBranch names the branch whose head the new branch starts at.
func TestBranchFromSourceBranch(t *testing.T) {
	e := newEnv(t)
	e.gh.SetFile(testOrg, testRepo, "develop", "NOTES.md", "work in progress\n")
	develop := e.gh.Head(testOrg, testRepo, "develop")
	e.create("release", func(b *v1alpha1.Branch) {
		b.Spec.ForProvider.SourceBranch = ptr("develop")
		b.Spec.ForProvider.Protection = nil
	})
	e.reconcile("release", 2)
	if got := e.gh.Head(testOrg, testRepo, "release"); got != develop {
		t.Errorf("release head = %q, want develop's head %q", got, develop)
	}
	if _, ok := e.gh.Protection(testOrg, testRepo, "release"); ok {
		t.Error("release was protected although the spec does not manage protection")
	}
	if !isReady(e.get("release")) {
		t.Errorf("not Ready: %+v", e.get("release").Status.Conditions)
	}
}

// Deleting a Branch never deletes a branch with commits the provider did
// not make: once someone pushed to it, the branch and its protection stay.
func TestDeleteKeepsABranchWithOtherCommits(t *testing.T) {
	e := newEnv(t)
	e.create("release", nil)
	e.reconcile("release", 2)
	e.gh.SetFile(testOrg, testRepo, "release", "CHANGELOG.md", "1.0.0\n") // a push by someone

	e.remove("release")
	if e.exists("release") {
		t.Fatal("Branch still exists after deletion")
	}
	if !e.hasBranch("release") {
		t.Fatal("a branch with a commit the provider did not make was deleted")
	}
	if _, ok := e.gh.Protection(testOrg, testRepo, "release"); !ok {
		t.Error("the protection of the branch left in place was removed")
	}
}

// An existing branch is neither protected nor deleted by a Branch that did
// not create it; the refusal names the branch and its head.
func TestExistingBranchIsLeftAlone(t *testing.T) {
	e := newEnv(t)
	e.gh.SetFile(testOrg, testRepo, "release", "CHANGELOG.md", "0.9.0\n")
	head := e.gh.Head(testOrg, testRepo, "release")
	e.create("release", nil)
	e.reconcile("release", 2)

	b := e.get("release")
	c := b.GetCondition(xpv2.TypeSynced)
	if c.Status != "False" || !strings.Contains(c.Message, "already exists") || !strings.Contains(c.Message, head) {
		t.Errorf("Synced = %s %q, want False naming the existing branch's head %s", c.Status, c.Message, head)
	}
	if _, ok := e.gh.Protection(testOrg, testRepo, "release"); ok {
		t.Error("an existing branch was protected without adoptExisting")
	}
	e.remove("release")
	if e.exists("release") {
		t.Fatal("Branch still exists after deletion")
	}
	if !e.hasBranch("release") || e.gh.Head(testOrg, testRepo, "release") != head {
		t.Error("deleting a Branch changed a branch it did not create")
	}
}

// adoptExisting manages an existing branch's protection; the adopted
// branch is never deleted, not even when still at its head.
func TestAdoptExistingBranch(t *testing.T) {
	e := newEnv(t)
	e.gh.SetFile(testOrg, testRepo, "release", "CHANGELOG.md", "0.9.0\n")
	e.create("release", func(b *v1alpha1.Branch) { b.Spec.ForProvider.AdoptExisting = true })
	e.reconcile("release", 3)
	if !isReady(e.get("release")) {
		t.Fatalf("not Ready: %+v", e.get("release").Status.Conditions)
	}
	if p, ok := e.gh.Protection(testOrg, testRepo, "release"); !ok || p.RequiredReviews != 1 {
		t.Errorf("adopted branch protection = %+v (protected %t), want 1 required review", p, ok)
	}
	e.remove("release")
	if !e.hasBranch("release") {
		t.Error("an adopted branch was deleted")
	}
}

// A create whose answer was lost is recognised (the branch is at the
// source's head) and the branch is this Branch's: no refusal, and deleting
// it deletes the branch.
func TestLostCreateAnswer(t *testing.T) {
	e := newEnv(t)
	e.gh.Inject(ghtest.Fault{Method: http.MethodPost, PathPrefix: "/repos/" + testOrg + "/" + testRepo + "/git/refs", Status: http.StatusBadGateway, AfterHandling: true})
	e.create("release", nil)
	e.reconcile("release", 3)
	b := e.get("release")
	if !isReady(b) {
		t.Fatalf("not Ready after a lost create answer: %+v", b.Status.Conditions)
	}
	if b.GetAnnotations()[AnnotationCreated] == "" {
		t.Errorf("the recovered branch is not recorded as created: %v", b.GetAnnotations())
	}
	e.remove("release")
	if e.hasBranch("release") {
		t.Error("the branch created by the lost request was not deleted")
	}
}

// A repository re-created under the same name (another id) is refused, and
// deleting the Branch touches nothing in it.
func TestAnotherRepositoryUnderTheNameIsRefused(t *testing.T) {
	e := newEnv(t)
	e.create("release", nil)
	e.reconcile("release", 2)
	e.gh.DeleteOutOfBand(testOrg, testRepo)
	e.gh.CreateOutOfBand(testOrg, testRepo)
	e.gh.SetFile(testOrg, testRepo, "release", "README.md", "# svc\n") // their release, at main's head
	e.reconcile("release", 1)
	if c := e.get("release").GetCondition(xpv2.TypeSynced); c.Status != "False" || !strings.Contains(c.Message, "refusing") {
		t.Errorf("Synced = %s %q, want False refusing the other repository", c.Status, c.Message)
	}
	e.remove("release")
	if !e.hasBranch("release") {
		t.Error("deleting the Branch deleted a branch of another repository")
	}
}

// Deleting a Branch of an archived repository finishes without touching it.
func TestDeleteInArchivedRepositoryFinishes(t *testing.T) {
	e := newEnv(t)
	e.create("release", nil)
	e.reconcile("release", 2)
	e.gh.Mutate(testOrg, testRepo, func(r *ghtest.RepoState) { r.Archived = true })
	e.remove("release")
	if e.exists("release") {
		t.Fatal("Branch of an archived repository still exists after deletion")
	}
	if !e.hasBranch("release") {
		t.Error("a branch of an archived repository was deleted")
	}
}

// Protection changed on GitHub is put back, without a new branch.
func TestProtectionDriftIsCorrected(t *testing.T) {
	e := newEnv(t)
	e.create("release", nil)
	e.reconcile("release", 2)
	e.gh.ProtectBranch(testOrg, testRepo, "release", 0, false)
	e.reconcile("release", 2)
	p, _ := e.gh.Protection(testOrg, testRepo, "release")
	if p.RequiredReviews != 1 || !p.EnforceAdmins {
		t.Errorf("protection = %+v, want 1 review enforced on admins again", p)
	}
	if !isReady(e.get("release")) {
		t.Errorf("not Ready: %+v", e.get("release").Status.Conditions)
	}
}

// With the management policies [Observe] an existing branch is read and
// never owned, protected or deleted.
func TestObserveOnly(t *testing.T) {
	e := newEnv(t)
	e.gh.SetFile(testOrg, testRepo, "release", "CHANGELOG.md", "0.9.0\n")
	e.create("release", func(b *v1alpha1.Branch) {
		b.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
	})
	e.reconcile("release", 2)
	b := e.get("release")
	if b.Status.AtProvider.HeadSHA != e.gh.Head(testOrg, testRepo, "release") {
		t.Errorf("headSHA = %q", b.Status.AtProvider.HeadSHA)
	}
	if _, ok := e.gh.Protection(testOrg, testRepo, "release"); ok {
		t.Error("an observed branch was protected")
	}
	if !meta.GetExternalCreatePending(b).IsZero() || b.GetAnnotations()[AnnotationAdopted] != "" {
		t.Errorf("an observed branch was created or adopted: %v", b.GetAnnotations())
	}
}

// A Branch that names its Repository by reference changes only the
// repository whose id that Repository reports: a repository that took the
// name after a rename is refused, and the Branch follows once the id
// matches.
func TestWritesOnlyToTheReferencedRepository(t *testing.T) {
	e := newEnv(t)
	st, _ := e.gh.Repo(testOrg, testRepo)
	repo := &v1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Name: testRepo},
		Spec:       v1alpha1.RepositorySpec{ForProvider: v1alpha1.RepositoryParameters{Owner: testOrg}},
		Status: v1alpha1.RepositoryStatus{AtProvider: v1alpha1.RepositoryObservation{
			ID: st.ID + 1000, FullName: testOrg + "/" + testRepo,
		}},
	}
	if err := e.kube.Create(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	e.create("release", func(b *v1alpha1.Branch) {
		b.Spec.ForProvider.Repository = nil
		b.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: testRepo}
	})
	e.reconcile("release", 2)
	if c := e.get("release").GetCondition(xpv2.TypeSynced); c.Status != "False" || !strings.Contains(c.Message, "not the id") {
		t.Errorf("Synced = %s %q, want False: not the referenced Repository's repository", c.Status, c.Message)
	}
	if e.hasBranch("release") {
		t.Fatal("a branch was created in a repository that is not the referenced Repository's")
	}

	repo.Status.AtProvider.ID = st.ID
	if err := e.kube.Update(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	e.reconcile("release", 2)
	if !e.hasBranch("release") || !isReady(e.get("release")) {
		t.Errorf("branch %t, conditions %+v: want the branch once the ids match", e.hasBranch("release"), e.get("release").Status.Conditions)
	}
}
