package repositoryfile

import (
	"context"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/test/ghtest"
)

func (e *env) pulls() []ghtest.PullRequest { return e.gh.PullRequests(testOrg, "svc") }

func (e *env) setContent(name, content string) {
	e.t.Helper()
	f := e.get(name)
	f.Spec.ForProvider.Content = content
	if err := e.kube.Update(context.Background(), f); err != nil {
		e.t.Fatal(err)
	}
}

func pendingPR(t *testing.T, f *v1alpha1.RepositoryFile, number int) {
	t.Helper()
	r, s := f.GetCondition(xpv2.TypeReady), f.GetCondition(xpv2.TypeSynced)
	if r.Status != corev1.ConditionFalse || r.Reason != reasonPullRequestOpen || !strings.Contains(r.Message, f.Status.AtProvider.PullRequestURL) ||
		s.Status != corev1.ConditionTrue {
		t.Errorf("conditions = %+v, want Ready=False (%s) naming the pull request, Synced=True", f.Status.Conditions, reasonPullRequestOpen)
	}
	if f.Status.AtProvider.PullRequestNumber != number || !strings.HasSuffix(f.Status.AtProvider.PullRequestURL, "/pull/"+itoa(number)) {
		t.Errorf("status pull request = %d %q, want #%d", f.Status.AtProvider.PullRequestNumber, f.Status.AtProvider.PullRequestURL, number)
	}
}

// The shipped example's situation: the file was committed, then the
// branch was protected with a required review and enforceAdmins. GitHub
// refuses direct commits (the stand-in answers 409 like GitHub); a content
// change is proposed in a pull request, and converges when a reviewer
// merges it.
func TestChangeAfterProtectionArrivesByPullRequest(t *testing.T) {
	e := newEnv(t)
	e.create("catalog", nil)
	e.reconcile("catalog", 3)
	if !isReady(e.get("catalog")) {
		t.Fatalf("not ready: %+v", e.get("catalog").Status.Conditions)
	}
	e.gh.ProtectBranch(testOrg, "svc", "main", 1, true)
	old, _ := e.file("catalog-info.yaml")

	e.setContent("catalog", old+"spec:\n  owner: team-b\n")
	e.reconcile("catalog", 2)
	if content, _ := e.file("catalog-info.yaml"); content != old {
		t.Fatalf("protected branch changed without review: %q", content)
	}
	prs := e.pulls()
	if len(prs) != 1 || prs[0].Head != "paved/catalog" || prs[0].Base != "main" || prs[0].State != "open" {
		t.Fatalf("pull requests = %+v", prs)
	}
	f := e.get("catalog")
	pendingPR(t, f, 1)
	st, _ := e.gh.Repo(testOrg, "svc")
	if st.Files["paved/catalog:catalog-info.yaml"] != f.Spec.ForProvider.Content {
		t.Errorf("pull request branch holds %q", st.Files["paved/catalog:catalog-info.yaml"])
	}

	// Waiting for review costs nothing and opens nothing more.
	e.reconcile("catalog", 2)
	before := e.gh.Stats()
	e.reconcile("catalog", 5)
	if d := e.gh.Stats().Counted - before.Counted; d != 0 || len(e.pulls()) != 1 {
		t.Errorf("waiting for review: %d counted requests, %d pull requests", d, len(e.pulls()))
	}

	// A reviewer merges it: the file converges.
	if !e.gh.MergePullRequest(testOrg, "svc", 1) {
		t.Fatal("merge failed")
	}
	e.reconcile("catalog", 2)
	f = e.get("catalog")
	if content, _ := e.file("catalog-info.yaml"); content != f.Spec.ForProvider.Content || !isReady(f) {
		t.Fatalf("after merge: %q, %+v", content, f.Status.Conditions)
	}
	if f.Status.AtProvider.PullRequestURL != "" || f.Status.AtProvider.CommitSHA == "" {
		t.Errorf("status after merge: %+v", f.Status.AtProvider)
	}

	// A second change gets a new pull request from the same branch.
	e.setContent("catalog", f.Spec.ForProvider.Content+"# v3\n")
	e.reconcile("catalog", 2)
	if prs := e.pulls(); len(prs) != 2 || prs[1].State != "open" {
		t.Fatalf("pull requests = %+v", prs)
	}
	pendingPR(t, e.get("catalog"), 2)
}

// A file created after protection applies is proposed the same way, and
// the pull request is opened once even when its answer is lost.
func TestCreateOnProtectedBranch(t *testing.T) {
	e := newEnv(t)
	e.gh.ProtectBranch(testOrg, "svc", "main", 1, true)
	e.gh.Inject(ghtest.Fault{Method: "POST", PathPrefix: "/repos/acme/svc/pulls", Status: 502, AfterHandling: true})
	e.create("catalog", nil)
	e.reconcile("catalog", 4)
	if prs := e.pulls(); len(prs) != 1 || prs[0].State != "open" {
		t.Fatalf("pull requests = %+v", prs)
	}
	f := e.get("catalog")
	pendingPR(t, f, 1)
	if f.GetAnnotations()[AnnotationOwner] != ownerCreated {
		t.Errorf("annotations = %v", f.GetAnnotations())
	}
	if content, _ := e.file("catalog-info.yaml"); content != "" {
		t.Errorf("committed to a protected branch: %q", content)
	}
	e.gh.MergePullRequest(testOrg, "svc", 1)
	e.reconcile("catalog", 2)
	if content, _ := e.file("catalog-info.yaml"); content != f.Spec.ForProvider.Content || !isReady(e.get("catalog")) {
		t.Fatalf("after merge: %q, %+v", content, e.get("catalog").Status.Conditions)
	}
}

// A pull request a reviewer closes without merging is a refusal: Synced
// is False and nothing is re-proposed until the content changes.
func TestClosedPullRequestIsARefusal(t *testing.T) {
	e := newEnv(t)
	e.gh.ProtectBranch(testOrg, "svc", "main", 1, true)
	e.create("catalog", nil)
	e.reconcile("catalog", 2)
	if !e.gh.ClosePullRequest(testOrg, "svc", 1) {
		t.Fatal("close failed")
	}
	e.reconcile("catalog", 3)
	c := e.get("catalog").GetCondition(xpv2.TypeSynced)
	if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "closed without being merged") {
		t.Errorf("Synced = %s %q", c.Status, c.Message)
	}
	if n := len(e.pulls()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
	e.age("catalog") // past the creation grace period
	e.setContent("catalog", "kind: Component\n")
	e.reconcile("catalog", 2)
	if prs := e.pulls(); len(prs) != 2 || prs[1].State != "open" {
		t.Errorf("pull requests = %+v", prs)
	}
}

// Deleting a RepositoryFile whose branch requires pull requests proposes
// the removal and finishes; the file goes when a reviewer merges.
func TestDeleteOnProtectedBranch(t *testing.T) {
	e := newEnv(t)
	e.create("catalog", nil)
	e.reconcile("catalog", 3)
	e.gh.ProtectBranch(testOrg, "svc", "main", 1, true)
	e.age("catalog")
	if err := e.kube.Delete(context.Background(), e.get("catalog")); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 3)
	if e.exists("catalog") {
		t.Fatalf("RepositoryFile still exists: %+v", e.get("catalog").Status.Conditions)
	}
	prs := e.pulls()
	if len(prs) != 1 || prs[0].Title != "Remove catalog-info.yaml" || prs[0].State != "open" {
		t.Fatalf("pull requests = %+v", prs)
	}
	e.gh.MergePullRequest(testOrg, "svc", 1)
	if content, _ := e.file("catalog-info.yaml"); content != "" {
		t.Errorf("file still there after merging the removal: %q", content)
	}
}

// Without enforceAdmins an administrator's commits bypass the rule, as on
// GitHub: no pull request.
func TestProtectionWithoutEnforceAdminsLetsAdminsCommit(t *testing.T) {
	e := newEnv(t)
	e.gh.ProtectBranch(testOrg, "svc", "main", 1, false)
	e.create("catalog", nil)
	e.reconcile("catalog", 3)
	if !isReady(e.get("catalog")) || len(e.pulls()) != 0 {
		t.Errorf("conditions %+v, pull requests %+v", e.get("catalog").Status.Conditions, e.pulls())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A change while the pull request is still open updates that pull
// request's branch; no second pull request.
func TestChangeWhilePullRequestOpenUpdatesIt(t *testing.T) {
	e := newEnv(t)
	e.gh.ProtectBranch(testOrg, "svc", "main", 1, true)
	e.create("catalog", nil)
	e.reconcile("catalog", 2)
	e.age("catalog")
	e.setContent("catalog", "kind: Component\nspec:\n  owner: team-c\n")
	e.reconcile("catalog", 2)
	if prs := e.pulls(); len(prs) != 1 || prs[0].State != "open" {
		t.Fatalf("pull requests = %+v", prs)
	}
	st, _ := e.gh.Repo(testOrg, "svc")
	if got := st.Files["paved/catalog:catalog-info.yaml"]; got != "kind: Component\nspec:\n  owner: team-c\n" {
		t.Errorf("pull request branch holds %q", got)
	}
	pendingPR(t, e.get("catalog"), 1)
	e.gh.MergePullRequest(testOrg, "svc", 1)
	e.reconcile("catalog", 2)
	if content, _ := e.file("catalog-info.yaml"); content != "kind: Component\nspec:\n  owner: team-c\n" || !isReady(e.get("catalog")) {
		t.Errorf("after merge: %q, %+v", content, e.get("catalog").Status.Conditions)
	}
}

// A proposal branch left over from a refused pull request is reset to the
// target branch's head before it proposes again: the new pull request
// holds this change on top of the current main, not the leftover commits.
func TestReusedProposalBranchIsResetToTheBaseHead(t *testing.T) {
	e := newEnv(t)
	e.create("catalog", nil)
	e.reconcile("catalog", 3)
	e.gh.ProtectBranch(testOrg, "svc", "main", 1, true)
	old, _ := e.file("catalog-info.yaml")
	e.setContent("catalog", old+"spec:\n  owner: team-b\n")
	e.reconcile("catalog", 2)
	pendingPR(t, e.get("catalog"), 1)
	if !e.gh.ClosePullRequest(testOrg, "svc", 1) {
		t.Fatalf("cannot close #1: %+v", e.pulls())
	}
	// A leftover commit on the branch, and main moves on.
	e.gh.SetFile(testOrg, "svc", "paved/catalog", "leftover.txt", "from the refused proposal\n")
	e.gh.SetFile(testOrg, "svc", "main", "other.txt", "committed to main since\n")

	e.setContent("catalog", old+"spec:\n  owner: team-c\n")
	e.reconcile("catalog", 2)
	f := e.get("catalog")
	pendingPR(t, f, 2)
	st, _ := e.gh.Repo(testOrg, "svc")
	want := map[string]string{
		"catalog-info.yaml": f.Spec.ForProvider.Content, "README.md": st.Files["main:README.md"], "other.txt": "committed to main since\n",
	}
	got := map[string]string{}
	for k, v := range st.Files {
		if p, ok := strings.CutPrefix(k, "paved/catalog:"); ok {
			got[p] = v
		}
	}
	if len(got) != len(want) || got["leftover.txt"] != "" {
		t.Errorf("proposal branch holds %v, want main's files and the change: %v", got, want)
	}
	for p, c := range want {
		if got[p] != c {
			t.Errorf("proposal branch %s = %q, want %q", p, got[p], c)
		}
	}
}
