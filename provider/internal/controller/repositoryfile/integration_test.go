package repositoryfile

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/test/ghtest"
)

// These tests run the real managed reconciler against the GitHub stand-in.

// A file someone else committed is never written or deleted without
// overwriteOnCreate; the condition names path, branch and blob.
func TestExistingFileIsLeftAlone(t *testing.T) {
	e := newEnv(t)
	const theirs = "owner: someone-else\n"
	e.gh.SetFile(testOrg, "svc", "main", "catalog-info.yaml", theirs)
	_, commits := e.file("catalog-info.yaml")
	e.create("catalog", nil)
	e.reconcile("catalog", 3)
	c := e.get("catalog").GetCondition(xpv2.TypeSynced)
	for _, s := range []string{"catalog-info.yaml", "branch main", blobOf(theirs), "overwriteOnCreate"} {
		if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, s) {
			t.Errorf("Synced = %s %q, want False naming %q", c.Status, c.Message, s)
		}
	}
	if content, n := e.file("catalog-info.yaml"); content != theirs || n != commits {
		t.Errorf("file changed: %q, %d commits", content, n-commits)
	}

	e.age("catalog")
	if err := e.kube.Delete(context.Background(), e.get("catalog")); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 3)
	if e.exists("catalog") {
		t.Fatalf("RepositoryFile still exists: %+v", e.get("catalog").Status.Conditions)
	}
	if content, _ := e.file("catalog-info.yaml"); content != theirs {
		t.Errorf("someone else's file was deleted or changed: %q", content)
	}
}

// overwriteOnCreate takes the file over in the first write (with the blob
// SHA Observe saw: a `"sha": ""` would be answered 422), and the file is
// then the resource's to delete.
func TestOverwriteOnCreate(t *testing.T) {
	e := newEnv(t)
	e.gh.SetFile(testOrg, "svc", "main", "catalog-info.yaml", "old\n")
	e.create("catalog", func(f *v1alpha1.RepositoryFile) { f.Spec.ForProvider.OverwriteOnCreate = true })
	before := e.gh.Stats()
	e.reconcile("catalog", 1)
	f := e.get("catalog")
	if content, _ := e.file("catalog-info.yaml"); content != f.Spec.ForProvider.Content {
		t.Fatalf("not overwritten in the first reconcile: %q; %+v", content, f.Status.Conditions)
	}
	if d := e.gh.Stats().ByRoute["PUT /repos/{owner}/{repo}/contents/{path}"] - before.ByRoute["PUT /repos/{owner}/{repo}/contents/{path}"]; d != 1 {
		t.Errorf("%d PUTs, want 1", d)
	}
	if got := f.GetAnnotations()[AnnotationOwner]; got != ownerOverwritten {
		t.Errorf("%s = %q", AnnotationOwner, got)
	}
	e.reconcile("catalog", 2)
	if !isReady(e.get("catalog")) {
		t.Fatalf("not ready: %+v", e.get("catalog").Status.Conditions)
	}
	e.age("catalog")
	if err := e.kube.Delete(context.Background(), e.get("catalog")); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 3)
	if content, _ := e.file("catalog-info.yaml"); content != "" || e.exists("catalog") {
		t.Errorf("taken-over file not deleted: %q", content)
	}
}

// status.atProvider.commitSHA is known after the first successful create,
// through the managed reconciler (which discards status set in Create),
// and follows later commits: the refreshKey recipe of CatalogLocation
// depends on it.
func TestCommitSHAFromFirstCreate(t *testing.T) {
	e := newEnv(t)
	e.create("catalog", nil)
	e.reconcile("catalog", 1) // Observe (absent), Create
	f := e.get("catalog")
	created := f.GetAnnotations()[AnnotationCommit]
	if created == "" || f.GetAnnotations()[AnnotationOwner] != ownerCreated {
		t.Fatalf("Create recorded %v", f.GetAnnotations())
	}
	if head := e.gh.Head(testOrg, "svc", "main"); created != head {
		t.Errorf("recorded commit %s, branch head %s", created, head)
	}
	e.reconcile("catalog", 1)
	f = e.get("catalog")
	if f.Status.AtProvider.CommitSHA != created || !isReady(f) {
		t.Fatalf("after the next reconcile commitSHA = %q (want %s), conditions %+v", f.Status.AtProvider.CommitSHA, created, f.Status.Conditions)
	}

	f.Spec.ForProvider.Content += "# v2\n"
	if err := e.kube.Update(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 1)
	updated := e.get("catalog").Status.AtProvider.CommitSHA
	if updated == created || updated != e.gh.Head(testOrg, "svc", "main") {
		t.Errorf("commitSHA after update = %q (created %s, head %s)", updated, created, e.gh.Head(testOrg, "svc", "main"))
	}
	e.reconcile("catalog", 2)
	if got := e.get("catalog").Status.AtProvider.CommitSHA; got != updated {
		t.Errorf("commitSHA drifted to %q, want %s", got, updated)
	}
}

// A create whose answer is lost after GitHub committed is recognised as
// ours: no refusal, no second commit.
func TestLostCreateAnswer(t *testing.T) {
	e := newEnv(t)
	e.gh.Inject(ghtest.Fault{Method: "PUT", PathPrefix: "/repos/acme/svc/contents/", Status: 502, AfterHandling: true})
	e.create("catalog", nil)
	e.reconcile("catalog", 4)
	f := e.get("catalog")
	if !isReady(f) || f.GetAnnotations()[AnnotationOwner] != ownerCreated {
		t.Fatalf("conditions %+v, annotations %v", f.Status.Conditions, f.GetAnnotations())
	}
	if n := e.gh.Stats().ByRoute["PUT /repos/{owner}/{repo}/contents/{path}"]; n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
}

func blobOf(s string) string { return blobSHA(s) }

// A path with directories reaches GitHub's contents operation (the
// stand-in's OpenAPI router matches {path} across slashes).
func TestNestedPath(t *testing.T) {
	e := newEnv(t)
	e.create("codeowners", func(f *v1alpha1.RepositoryFile) { f.Spec.ForProvider.Path = ".github/CODEOWNERS" })
	e.reconcile("codeowners", 3)
	if content, _ := e.file(".github/CODEOWNERS"); content == "" || !isReady(e.get("codeowners")) {
		t.Errorf("content %q, conditions %+v", content, e.get("codeowners").Status.Conditions)
	}
}

// Pointing an owned RepositoryFile at another branch owns nothing there: a
// file someone else keeps on that branch is refused, and the file on the
// old branch is neither changed nor deleted.
func TestChangedBranchOwnsNothingThere(t *testing.T) {
	e := newEnv(t)
	e.create("catalog", nil)
	e.reconcile("catalog", 3)
	if got := e.get("catalog").GetAnnotations()[AnnotationOwnedFile]; got == "" || strings.HasSuffix(got, ":main") {
		t.Fatalf("%s = %q, want <id>: (the default branch)", AnnotationOwnedFile, got)
	}
	ours, _ := e.file("catalog-info.yaml")
	e.gh.SetFile(testOrg, "svc", "dev", "catalog-info.yaml", "dev's own\n")
	f := e.get("catalog")
	f.Spec.ForProvider.Branch = ptr("dev")
	f.Spec.ForProvider.Content += "# changed\n"
	if err := e.kube.Update(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 2)
	c := e.get("catalog").GetCondition(xpv2.TypeSynced)
	if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "branch dev") {
		t.Errorf("Synced = %s %q", c.Status, c.Message)
	}
	st, _ := e.gh.Repo(testOrg, "svc")
	if st.Files["dev:catalog-info.yaml"] != "dev's own\n" || st.Files["main:catalog-info.yaml"] != ours {
		t.Errorf("files changed: %v", st.Files)
	}
	e.age("catalog")
	if err := e.kube.Delete(context.Background(), e.get("catalog")); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 3)
	st, _ = e.gh.Repo(testOrg, "svc")
	if e.exists("catalog") || st.Files["dev:catalog-info.yaml"] != "dev's own\n" || st.Files["main:catalog-info.yaml"] != ours {
		t.Errorf("after delete: exists=%v files %v", e.exists("catalog"), st.Files)
	}
}
