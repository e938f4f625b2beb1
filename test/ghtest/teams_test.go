package ghtest

import (
	"context"
	"net/http"
	"testing"

	gh "github.com/google/go-github/v85/github"
)

// The stand-in answers a team's access to a repository as GitHub's
// description says: 204 without the repository media type, 200 with the
// team's permissions and role_name with it, 404 without access; a PUT
// without a permission grants the team's permission attribute (pull); a
// repository of another owner is refused with 422.
func TestTeamRepositoryAccess(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "svc")
	s.CreateOutOfBand("octo", "dotfiles")
	s.AddTeam("acme", "payments")

	if _, _, err := c.Teams.IsTeamRepoBySlug(ctx, "acme", "payments", "acme", "svc"); statusOf(err) != http.StatusNotFound {
		t.Fatalf("no access yet: err = %v, want 404", err)
	}
	if _, err := c.Teams.AddTeamRepoBySlug(ctx, "acme", "payments", "acme", "svc", &gh.TeamAddTeamRepoOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := s.TeamPermission("acme", "payments", "acme", "svc"); got != "pull" {
		t.Errorf("PUT without permission granted %q, want the team's default pull", got)
	}
	if _, err := c.Teams.AddTeamRepoBySlug(ctx, "acme", "payments", "acme", "svc", &gh.TeamAddTeamRepoOptions{Permission: "push"}); err != nil {
		t.Fatal(err)
	}
	r, _, err := c.Teams.IsTeamRepoBySlug(ctx, "acme", "payments", "acme", "svc")
	if err != nil {
		t.Fatal(err)
	}
	if r.GetRoleName() != "write" || !r.GetPermissions().GetPush() || r.GetPermissions().GetAdmin() {
		t.Errorf("role %q permissions %+v, want write with push and without admin", r.GetRoleName(), r.GetPermissions())
	}
	req, err := c.NewRequest(http.MethodGet, "orgs/acme/teams/payments/repos/acme/svc", nil)
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := c.Do(ctx, req, nil)
	if err != nil || rsp.StatusCode != http.StatusNoContent {
		t.Errorf("without the repository media type: %v %v, want 204", rsp, err)
	}
	if _, err := c.Teams.AddTeamRepoBySlug(ctx, "acme", "payments", "octo", "dotfiles", &gh.TeamAddTeamRepoOptions{Permission: "push"}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("a repository the organisation does not own: err = %v, want 422", err)
	}
	if _, err := c.Teams.RemoveTeamRepoBySlug(ctx, "acme", "payments", "acme", "svc"); err != nil {
		t.Fatal(err)
	}
	if got := s.TeamPermission("acme", "payments", "acme", "svc"); got != "" {
		t.Errorf("after DELETE the team has %q", got)
	}
}

// Deleting a branch: the default branch and a protected branch (without
// allow_deletions) are refused with 422, any other branch goes.
func TestDeleteRef(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "svc")
	s.SetFile("acme", "svc", "release", "README.md", "x\n")
	s.SetFile("acme", "svc", "feature/x", "README.md", "y\n")
	s.ProtectBranch("acme", "svc", "release", 1, true)

	if _, err := c.Git.DeleteRef(ctx, "acme", "svc", "heads/main"); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("deleting the default branch: err = %v, want 422", err)
	}
	if _, err := c.Git.DeleteRef(ctx, "acme", "svc", "heads/release"); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("deleting a protected branch: err = %v, want 422", err)
	}
	if _, err := c.Git.DeleteRef(ctx, "acme", "svc", "heads/feature/x"); err != nil {
		t.Errorf("deleting a branch: %v", err)
	}
	if _, err := c.Git.DeleteRef(ctx, "acme", "svc", "heads/feature/x"); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("deleting a missing branch: err = %v, want 422", err)
	}
	if _, err := c.Repositories.RemoveBranchProtection(ctx, "acme", "svc", "release"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Git.DeleteRef(ctx, "acme", "svc", "heads/release"); err != nil {
		t.Errorf("deleting an unprotected branch: %v", err)
	}
	if got := s.Branches("acme", "svc"); len(got) != 1 || got[0] != "main" {
		t.Errorf("branches %v, want [main]", got)
	}
}
