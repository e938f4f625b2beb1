package repositoryfile

import (
	"context"

	gh "github.com/google/go-github/v85/github"
)

// GitHub is the part of GitHub's REST API the RepositoryFile controller
// uses. Tests give the controller a fake; in production it is go-github
// through apiClient.
type GitHub interface {
	// GetRepository reads a repository (GET /repos/{owner}/{repo}).
	GetRepository(ctx context.Context, owner, repo string) (*gh.Repository, error)
	// GetFile reads a file on a branch (GET /repos/{o}/{r}/contents/{path}?ref=);
	// an empty ref means the default branch.
	GetFile(ctx context.Context, owner, repo, path, ref string) (*gh.RepositoryContent, error)
	// PutFile creates (opts.SHA nil) or replaces (opts.SHA the current blob)
	// a file (PUT /repos/{o}/{r}/contents/{path}).
	PutFile(ctx context.Context, owner, repo, path string, opts *gh.RepositoryContentFileOptions) (*gh.RepositoryContentResponse, error)
	// DeleteFile removes a file (DELETE /repos/{o}/{r}/contents/{path}).
	DeleteFile(ctx context.Context, owner, repo, path string, opts *gh.RepositoryContentFileOptions) (*gh.RepositoryContentResponse, error)
	// GetBranchHead reads a branch's head commit (GET /repos/{o}/{r}/git/ref/heads/{branch}).
	GetBranchHead(ctx context.Context, owner, repo, branch string) (string, error)
	// CreateBranch creates a branch at a commit (POST /repos/{o}/{r}/git/refs).
	CreateBranch(ctx context.Context, owner, repo, branch, sha string) error
	// ResetBranch moves a branch to a commit, discarding what it held
	// (PATCH /repos/{o}/{r}/git/refs/heads/{branch} with force).
	ResetBranch(ctx context.Context, owner, repo, branch, sha string) error
	// ListPullRequests lists the pull requests from head into base, newest
	// first (GET /repos/{o}/{r}/pulls?head=owner:head&base=&state=all).
	ListPullRequests(ctx context.Context, owner, repo, head, base string) ([]*gh.PullRequest, error)
	// CreatePullRequest opens a pull request (POST /repos/{o}/{r}/pulls).
	CreatePullRequest(ctx context.Context, owner, repo string, pr *gh.NewPullRequest) (*gh.PullRequest, error)
}

// apiClient is GitHub through go-github.
type apiClient struct{ c *gh.Client }

func (a apiClient) GetRepository(ctx context.Context, owner, repo string) (*gh.Repository, error) {
	r, _, err := a.c.Repositories.Get(ctx, owner, repo)
	return r, err
}

func (a apiClient) GetFile(ctx context.Context, owner, repo, path, ref string) (*gh.RepositoryContent, error) {
	var opts *gh.RepositoryContentGetOptions
	if ref != "" {
		opts = &gh.RepositoryContentGetOptions{Ref: ref}
	}
	f, _, _, err := a.c.Repositories.GetContents(ctx, owner, repo, path, opts)
	return f, err
}

func (a apiClient) PutFile(ctx context.Context, owner, repo, path string, opts *gh.RepositoryContentFileOptions) (*gh.RepositoryContentResponse, error) {
	if opts.SHA == nil {
		r, _, err := a.c.Repositories.CreateFile(ctx, owner, repo, path, opts)
		return r, err
	}
	r, _, err := a.c.Repositories.UpdateFile(ctx, owner, repo, path, opts)
	return r, err
}

func (a apiClient) DeleteFile(ctx context.Context, owner, repo, path string, opts *gh.RepositoryContentFileOptions) (*gh.RepositoryContentResponse, error) {
	r, _, err := a.c.Repositories.DeleteFile(ctx, owner, repo, path, opts)
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

func (a apiClient) ResetBranch(ctx context.Context, owner, repo, branch, sha string) error {
	_, _, err := a.c.Git.UpdateRef(ctx, owner, repo, "heads/"+branch, gh.UpdateRef{SHA: sha, Force: gh.Ptr(true)})
	return err
}

func (a apiClient) ListPullRequests(ctx context.Context, owner, repo, head, base string) ([]*gh.PullRequest, error) {
	prs, _, err := a.c.PullRequests.List(ctx, owner, repo, &gh.PullRequestListOptions{
		State: "all", Head: owner + ":" + head, Base: base, Sort: "created", Direction: "desc",
	})
	return prs, err
}

func (a apiClient) CreatePullRequest(ctx context.Context, owner, repo string, pr *gh.NewPullRequest) (*gh.PullRequest, error) {
	p, _, err := a.c.PullRequests.Create(ctx, owner, repo, pr)
	return p, err
}

// commitSHA is the SHA of the commit a content write made.
func commitSHA(rsp *gh.RepositoryContentResponse) string {
	if rsp == nil {
		return ""
	}
	return rsp.Commit.GetSHA()
}
