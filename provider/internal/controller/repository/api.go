package repository

import (
	"context"

	gh "github.com/google/go-github/v85/github"
)

// RepositoriesAPI is the part of go-github's RepositoriesService this
// controller uses. *github.RepositoriesService implements it; unit tests
// implement it without an HTTP server.
type RepositoriesAPI interface {
	Get(ctx context.Context, owner, repo string) (*gh.Repository, *gh.Response, error)
	GetByID(ctx context.Context, id int64) (*gh.Repository, *gh.Response, error)
	Create(ctx context.Context, org string, repo *gh.Repository) (*gh.Repository, *gh.Response, error)
	CreateFromTemplate(ctx context.Context, templateOwner, templateRepo string, req *gh.TemplateRepoRequest) (*gh.Repository, *gh.Response, error)
	Edit(ctx context.Context, owner, repo string, repository *gh.Repository) (*gh.Repository, *gh.Response, error)
	Delete(ctx context.Context, owner, repo string) (*gh.Response, error)
	ReplaceAllTopics(ctx context.Context, owner, repo string, topics []string) ([]string, *gh.Response, error)
	GetBranchProtection(ctx context.Context, owner, repo, branch string) (*gh.Protection, *gh.Response, error)
	UpdateBranchProtection(ctx context.Context, owner, repo, branch string, req *gh.ProtectionRequest) (*gh.Protection, *gh.Response, error)
}

// UsersAPI is the part of go-github's UsersService this controller uses.
type UsersAPI interface {
	Get(ctx context.Context, user string) (*gh.User, *gh.Response, error)
}

var (
	_ RepositoriesAPI = (*gh.RepositoriesService)(nil)
	_ UsersAPI        = (*gh.UsersService)(nil)
)
