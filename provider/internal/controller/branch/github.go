package branch

import (
	"context"

	gh "github.com/google/go-github/v85/github"
)

// GitHub is the part of GitHub's REST API the Branch controller uses. Tests
// give the controller a fake; in production it is go-github through
// apiClient. Paths are those of GitHub's OpenAPI description (npm
// @octokit/openapi, api.github.com.json).
type GitHub interface {
	// GetRepository reads a repository: GET /repos/{owner}/{repo}.
	GetRepository(ctx context.Context, owner, repo string) (*gh.Repository, error)
	// GetBranchHead reads a branch's head commit:
	// GET /repos/{owner}/{repo}/git/ref/{ref} with ref heads/<branch>.
	GetBranchHead(ctx context.Context, owner, repo, branch string) (string, error)
	// CreateBranch creates a branch at a commit:
	// POST /repos/{owner}/{repo}/git/refs.
	CreateBranch(ctx context.Context, owner, repo, branch, sha string) error
	// DeleteBranch deletes a branch:
	// DELETE /repos/{owner}/{repo}/git/refs/{ref} with ref heads/<branch>.
	DeleteBranch(ctx context.Context, owner, repo, branch string) error
	// GetProtection reads a branch's protection:
	// GET /repos/{owner}/{repo}/branches/{branch}/protection.
	GetProtection(ctx context.Context, owner, repo, branch string) (*gh.Protection, error)
	// UpdateProtection replaces a branch's protection:
	// PUT /repos/{owner}/{repo}/branches/{branch}/protection.
	UpdateProtection(ctx context.Context, owner, repo, branch string, req *gh.ProtectionRequest) error
	// DeleteProtection removes a branch's protection:
	// DELETE /repos/{owner}/{repo}/branches/{branch}/protection.
	DeleteProtection(ctx context.Context, owner, repo, branch string) error
}

// apiClient is GitHub through go-github, whose transport (the pooled client
// of clients/github) carries the ETag cache, rate limits and write pacing
// of the identity.
type apiClient struct{ c *gh.Client }

func (a apiClient) GetRepository(ctx context.Context, owner, repo string) (*gh.Repository, error) {
	r, _, err := a.c.Repositories.Get(ctx, owner, repo)
	return r, err
}

func (a apiClient) GetBranchHead(ctx context.Context, owner, repo, branch string) (string, error) {
	ref, _, err := a.c.Git.GetRef(ctx, owner, repo, "heads/"+branch)
	return ref.GetObject().GetSHA(), err
}

func (a apiClient) CreateBranch(ctx context.Context, owner, repo, branch, sha string) error {
	_, _, err := a.c.Git.CreateRef(ctx, owner, repo, gh.CreateRef{Ref: "refs/heads/" + branch, SHA: sha})
	return err
}

func (a apiClient) DeleteBranch(ctx context.Context, owner, repo, branch string) error {
	_, err := a.c.Git.DeleteRef(ctx, owner, repo, "heads/"+branch)
	return err
}

func (a apiClient) GetProtection(ctx context.Context, owner, repo, branch string) (*gh.Protection, error) {
	p, _, err := a.c.Repositories.GetBranchProtection(ctx, owner, repo, branch)
	return p, err
}

func (a apiClient) UpdateProtection(ctx context.Context, owner, repo, branch string, req *gh.ProtectionRequest) error {
	_, _, err := a.c.Repositories.UpdateBranchProtection(ctx, owner, repo, branch, req)
	return err
}

func (a apiClient) DeleteProtection(ctx context.Context, owner, repo, branch string) error {
	_, err := a.c.Repositories.RemoveBranchProtection(ctx, owner, repo, branch)
	return err
}
