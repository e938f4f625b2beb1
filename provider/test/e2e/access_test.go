//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/branch"
	"github.com/paved-dev/paved/test/ghtest"
)

// checkBranchesAndTeamAccess runs Branches and a TeamRepository of the
// Ready Repository repo through bin/provider: a protected release branch
// created from main's head, a team's push access, and their deletion,
// which deletes the release branch (still at its creation commit) but
// keeps a branch someone pushed to, and removes the access it granted.
func checkBranchesAndTeamAccess(ctx context.Context, t *testing.T, c client.Client, gh *ghtest.Server, owner, repo string) {
	t.Helper()
	gh.AddTeam(owner, "payments-team")
	ref := &xpv2.Reference{Name: repo}
	release := &ghv1alpha1.Branch{
		ObjectMeta: metav1.ObjectMeta{Name: repo + "-release"},
		Spec: ghv1alpha1.BranchSpec{ForProvider: ghv1alpha1.BranchParameters{
			RepositoryRef: ref, Branch: "release",
			Protection: &ghv1alpha1.BranchProtection{DismissStaleReviews: true, EnforceAdmins: true},
		}},
	}
	hotfix := &ghv1alpha1.Branch{
		ObjectMeta: metav1.ObjectMeta{Name: repo + "-hotfix"},
		Spec:       ghv1alpha1.BranchSpec{ForProvider: ghv1alpha1.BranchParameters{RepositoryRef: ref, Branch: "hotfix"}},
	}
	team := &ghv1alpha1.TeamRepository{
		ObjectMeta: metav1.ObjectMeta{Name: repo + "-payments-team"},
		Spec:       ghv1alpha1.TeamRepositorySpec{ForProvider: ghv1alpha1.TeamRepositoryParameters{RepositoryRef: ref, Team: "payments-team"}},
	}
	for _, o := range []client.Object{release, hotfix, team} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// CRD defaults: one approving review, push access.
	if err := c.Get(ctx, client.ObjectKeyFromObject(team), team); err != nil {
		t.Fatal(err)
	}
	if team.Spec.ForProvider.Permission != ghv1alpha1.PermissionPush {
		t.Errorf("TeamRepository permission default = %q, want push", team.Spec.ForProvider.Permission)
	}
	for _, o := range []interface {
		client.Object
		GetCondition(xpv2.ConditionType) xpv2.Condition
	}{release, hotfix, team} {
		eventually(t, 60*time.Second, o.GetName()+" Ready", ready(c, o))
	}

	head := gh.Head(owner, repo, "release")
	if a := release.GetAnnotations()[branch.AnnotationCreated]; head == "" || !strings.HasSuffix(a, ":"+head) {
		t.Errorf("release head %q, %s = %q", head, branch.AnnotationCreated, a)
	}
	if p, ok := gh.Protection(owner, repo, "release"); !ok || p.RequiredReviews != 1 || !p.EnforceAdmins {
		t.Errorf("release protection = %+v (protected %t), want 1 review enforced on admins", p, ok)
	}
	if got := gh.TeamPermission(owner, "payments-team", owner, repo); got != "push" || team.Status.AtProvider.RoleName != "write" {
		t.Errorf("team permission %q, roleName %q, want push and write", got, team.Status.AtProvider.RoleName)
	}
	// The branch's name is immutable (CEL rule in the CRD).
	release.Spec.ForProvider.Branch = "main"
	if err := c.Update(ctx, release); err == nil || !strings.Contains(err.Error(), "branch is immutable") {
		t.Errorf("changing branch: err = %v, want the CRD's immutability rule", err)
	}

	gh.SetFile(owner, repo, "hotfix", "FIX.md", "a commit the provider did not make\n")
	for _, o := range []client.Object{release, hotfix, team} {
		if err := c.Delete(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []client.Object{release, hotfix, team} {
		eventually(t, 60*time.Second, o.GetName()+" gone", func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(o), o); err == nil {
				return fmt.Errorf("still there")
			}
			return nil
		})
	}
	branches := strings.Join(gh.Branches(owner, repo), ",")
	if strings.Contains(branches, "release") {
		t.Errorf("release, still at its creation commit, was not deleted: %s", branches)
	}
	if !strings.Contains(branches, "hotfix") {
		t.Errorf("hotfix, with a commit the provider did not make, was deleted: %s", branches)
	}
	if got := gh.TeamPermission(owner, "payments-team", owner, repo); got != "" {
		t.Errorf("the access the TeamRepository granted was not removed: %q", got)
	}
}
