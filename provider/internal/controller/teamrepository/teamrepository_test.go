package teamrepository

import (
	"context"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/test/ghtest"
)

// A TeamRepository grants the team its permission, reports GitHub's role,
// costs no counted request at steady state, puts a changed permission back
// and, deleted, removes the access it granted.
func TestTeamRepositoryLifecycle(t *testing.T) {
	e := newEnv(t)
	e.create("svc-payments", nil)
	e.reconcile("svc-payments", 2)
	if got := e.permission(); got != "push" {
		t.Fatalf("team permission = %q, want push", got)
	}
	tr := e.get("svc-payments")
	if !isReady(tr) || tr.Status.AtProvider.RoleName != "write" {
		t.Fatalf("Ready/roleName: %+v %q, want Ready and write", tr.Status.Conditions, tr.Status.AtProvider.RoleName)
	}

	before := e.gh.Stats()
	e.reconcile("svc-payments", 3)
	if n := e.gh.Stats().Counted - before.Counted; n != 0 {
		t.Errorf("steady state: %d counted requests, want 0", n)
	}

	e.gh.GrantTeamOutOfBand(testOrg, testTeam, testOrg, testRepo, "admin")
	e.reconcile("svc-payments", 2)
	if got := e.permission(); got != "push" {
		t.Errorf("after drift, team permission = %q, want push again", got)
	}

	e.remove("svc-payments")
	if e.exists("svc-payments") {
		t.Fatal("TeamRepository still exists after deletion")
	}
	if got := e.permission(); got != "" {
		t.Errorf("access this TeamRepository granted was not removed: %q", got)
	}
}

// Access the team already has is neither changed nor removed by a
// TeamRepository that did not grant it; the refusal names the role.
func TestExistingAccessIsLeftAlone(t *testing.T) {
	e := newEnv(t)
	e.gh.GrantTeamOutOfBand(testOrg, testTeam, testOrg, testRepo, "pull")
	e.create("svc-payments", nil)
	e.reconcile("svc-payments", 2)
	c := e.get("svc-payments").GetCondition(xpv2.TypeSynced)
	if c.Status != "False" || !strings.Contains(c.Message, "read") || !strings.Contains(c.Message, "did not grant") {
		t.Errorf("Synced = %s %q, want False naming the team's role read", c.Status, c.Message)
	}
	if got := e.permission(); got != "pull" {
		t.Errorf("existing access changed to %q", got)
	}
	e.remove("svc-payments")
	if e.exists("svc-payments") {
		t.Fatal("TeamRepository still exists after deletion")
	}
	if got := e.permission(); got != "pull" {
		t.Errorf("deleting removed or changed access it did not grant: %q", got)
	}
}

// adoptExisting manages the existing access; deleting never removes it.
func TestAdoptExistingAccess(t *testing.T) {
	e := newEnv(t)
	e.gh.GrantTeamOutOfBand(testOrg, testTeam, testOrg, testRepo, "pull")
	e.create("svc-payments", func(tr *v1alpha1.TeamRepository) { tr.Spec.ForProvider.AdoptExisting = true })
	e.reconcile("svc-payments", 3)
	if got := e.permission(); got != "push" {
		t.Errorf("adopted access = %q, want push", got)
	}
	e.remove("svc-payments")
	if got := e.permission(); got == "" {
		t.Error("deleting removed adopted access")
	}
}

// A grant whose answer was lost is recognised: no refusal, and the access
// is this resource's to remove.
func TestLostGrantAnswer(t *testing.T) {
	e := newEnv(t)
	e.gh.Inject(ghtest.Fault{Method: http.MethodPut, PathPrefix: "/orgs/" + testOrg + "/teams/", Status: http.StatusBadGateway, AfterHandling: true})
	e.create("svc-payments", nil)
	e.reconcile("svc-payments", 3)
	tr := e.get("svc-payments")
	if !isReady(tr) || tr.GetAnnotations()[AnnotationGranted] == "" {
		t.Fatalf("after a lost grant answer: %+v %v", tr.Status.Conditions, tr.GetAnnotations())
	}
	e.remove("svc-payments")
	if got := e.permission(); got != "" {
		t.Errorf("access granted by the lost request was not removed: %q", got)
	}
}

// A team the organisation does not have is reported.
func TestUnknownTeam(t *testing.T) {
	e := newEnv(t)
	e.create("svc-nobody", func(tr *v1alpha1.TeamRepository) { tr.Spec.ForProvider.Team = "nobody" })
	e.reconcile("svc-nobody", 2)
	if c := e.get("svc-nobody").GetCondition(xpv2.TypeSynced); c.Status != "False" || !strings.Contains(c.Message, errGrant) {
		t.Errorf("Synced = %s %q, want False: %s", c.Status, c.Message, errGrant)
	}
}

// A repository of a user account has no teams.
func TestUserRepositoryIsRefused(t *testing.T) {
	e := newEnv(t)
	e.gh.CreateOutOfBand("octo", "dotfiles")
	e.create("dotfiles-payments", func(tr *v1alpha1.TeamRepository) { tr.Spec.ForProvider.Repository = ptr("octo/dotfiles") })
	e.reconcile("dotfiles-payments", 2)
	if c := e.get("dotfiles-payments").GetCondition(xpv2.TypeSynced); c.Status != "False" || !strings.Contains(c.Message, "user") {
		t.Errorf("Synced = %s %q, want False: a user's repository", c.Status, c.Message)
	}
}

// A TeamRepository that names its Repository by reference grants access
// only to the repository whose id that Repository reports.
func TestGrantsOnlyOnTheReferencedRepository(t *testing.T) {
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
	e.create("svc-payments", func(tr *v1alpha1.TeamRepository) {
		tr.Spec.ForProvider.Repository = nil
		tr.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: testRepo}
	})
	e.reconcile("svc-payments", 2)
	if c := e.get("svc-payments").GetCondition(xpv2.TypeSynced); c.Status != "False" || !strings.Contains(c.Message, "not the id") {
		t.Errorf("Synced = %s %q, want False: not the referenced Repository's repository", c.Status, c.Message)
	}
	if got := e.permission(); got != "" {
		t.Fatalf("access %q granted on a repository that is not the referenced Repository's", got)
	}
}
