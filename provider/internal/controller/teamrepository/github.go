package teamrepository

import (
	"context"

	gh "github.com/google/go-github/v85/github"
)

// GitHub is the part of GitHub's REST API the TeamRepository controller
// uses. Paths are those of GitHub's OpenAPI description (npm
// @octokit/openapi, api.github.com.json).
type GitHub interface {
	// GetRepository reads a repository: GET /repos/{owner}/{repo}.
	GetRepository(ctx context.Context, owner, repo string) (*gh.Repository, error)
	// TeamAccess reads the team's access to the repository:
	// GET /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo} with the
	// repository media type, which answers 200 with the team's
	// permissions and role_name, or 404 when the team has no access.
	TeamAccess(ctx context.Context, org, team, owner, repo string) (*gh.Repository, error)
	// GrantTeam adds or updates the team's permission on the repository:
	// PUT /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}.
	GrantTeam(ctx context.Context, org, team, owner, repo, permission string) error
	// RevokeTeam removes the repository from the team:
	// DELETE /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}.
	RevokeTeam(ctx context.Context, org, team, owner, repo string) error
}

// apiClient is GitHub through go-github, whose transport (the pooled client
// of clients/github) carries the ETag cache, rate limits and write pacing
// of the identity.
type apiClient struct{ c *gh.Client }

func (a apiClient) GetRepository(ctx context.Context, owner, repo string) (*gh.Repository, error) {
	r, _, err := a.c.Repositories.Get(ctx, owner, repo)
	return r, err
}

func (a apiClient) TeamAccess(ctx context.Context, org, team, owner, repo string) (*gh.Repository, error) {
	// go-github asks for application/vnd.github.v3.repository+json.
	r, _, err := a.c.Teams.IsTeamRepoBySlug(ctx, org, team, owner, repo)
	return r, err
}

func (a apiClient) GrantTeam(ctx context.Context, org, team, owner, repo, permission string) error {
	_, err := a.c.Teams.AddTeamRepoBySlug(ctx, org, team, owner, repo, &gh.TeamAddTeamRepoOptions{Permission: permission})
	return err
}

func (a apiClient) RevokeTeam(ctx context.Context, org, team, owner, repo string) error {
	_, err := a.c.Teams.RemoveTeamRepoBySlug(ctx, org, team, owner, repo)
	return err
}
