package repositoryfile

import (
	"context"
	"encoding/base64"
	"net/http"

	gh "github.com/google/go-github/v85/github"
)

// fakeGitHub is an in-memory GitHub for tests of the controller's
// decisions: one repository with files on branches. It answers like
// GitHub's contents API (404 for a missing file, 409 for a stale blob,
// 422 for a replacement without one) and records every write.
type fakeGitHub struct {
	id            int64
	repoReads     int
	defaultBranch string
	archived      bool
	files         map[string]string // "branch:path" -> content
	writes        []fakeWrite
}

type fakeWrite struct {
	method, branch, path string
	sha                  *string
}

func newFake(files map[string]string) *fakeGitHub {
	if files == nil {
		files = map[string]string{}
	}
	return &fakeGitHub{id: 42, defaultBranch: "main", files: files}
}

func ghErr(status int, msg string) error {
	return &gh.ErrorResponse{Response: &http.Response{StatusCode: status, Request: &http.Request{Method: http.MethodGet}}, Message: msg}
}

func (f *fakeGitHub) branch(b string) string {
	if b == "" {
		return f.defaultBranch
	}
	return b
}

func (f *fakeGitHub) GetRepository(context.Context, string, string) (*gh.Repository, error) {
	f.repoReads++
	return &gh.Repository{ID: gh.Ptr(f.id), DefaultBranch: gh.Ptr(f.defaultBranch), Archived: gh.Ptr(f.archived)}, nil
}

func (f *fakeGitHub) GetFile(_ context.Context, _, _, path, ref string) (*gh.RepositoryContent, error) {
	c, ok := f.files[f.branch(ref)+":"+path]
	if !ok {
		return nil, ghErr(http.StatusNotFound, "Not Found")
	}
	return &gh.RepositoryContent{Type: gh.Ptr("file"), Encoding: gh.Ptr("base64"), SHA: gh.Ptr(blobSHA(c)),
		Content: gh.Ptr(base64.StdEncoding.EncodeToString([]byte(c)))}, nil
}

func (f *fakeGitHub) PutFile(_ context.Context, _, _, path string, o *gh.RepositoryContentFileOptions) (*gh.RepositoryContentResponse, error) {
	b := f.branch(o.GetBranch())
	f.writes = append(f.writes, fakeWrite{method: "PUT", branch: b, path: path, sha: o.SHA})
	cur, exists := f.files[b+":"+path]
	switch {
	case exists && o.GetSHA() == "":
		return nil, ghErr(http.StatusUnprocessableEntity, `Invalid request. "sha" wasn't supplied.`)
	case exists && o.GetSHA() != blobSHA(cur):
		return nil, ghErr(http.StatusConflict, path+" does not match "+o.GetSHA())
	}
	f.files[b+":"+path] = string(o.Content)
	sha := blobSHA(string(o.Content))
	return &gh.RepositoryContentResponse{Content: &gh.RepositoryContent{SHA: gh.Ptr(sha)}, Commit: gh.Commit{SHA: gh.Ptr("c-" + sha)}}, nil
}

func (f *fakeGitHub) DeleteFile(_ context.Context, _, _, path string, o *gh.RepositoryContentFileOptions) (*gh.RepositoryContentResponse, error) {
	b := f.branch(o.GetBranch())
	f.writes = append(f.writes, fakeWrite{method: "DELETE", branch: b, path: path, sha: o.SHA})
	cur, exists := f.files[b+":"+path]
	if !exists {
		return nil, ghErr(http.StatusNotFound, "Not Found")
	}
	if o.GetSHA() != blobSHA(cur) {
		return nil, ghErr(http.StatusConflict, path+" does not match")
	}
	delete(f.files, b+":"+path)
	return &gh.RepositoryContentResponse{Commit: gh.Commit{SHA: gh.Ptr("c-delete")}}, nil
}

func (f *fakeGitHub) GetBranchHead(context.Context, string, string, string) (string, error) {
	return "", ghErr(http.StatusNotFound, "Not Found")
}

func (f *fakeGitHub) CreateBranch(context.Context, string, string, string, string) error {
	return ghErr(http.StatusNotImplemented, "not in the fake")
}

func (f *fakeGitHub) ResetBranch(context.Context, string, string, string, string) error {
	return ghErr(http.StatusNotImplemented, "not in the fake")
}

func (f *fakeGitHub) ListPullRequests(context.Context, string, string, string, string) ([]*gh.PullRequest, error) {
	return nil, nil
}

func (f *fakeGitHub) CreatePullRequest(context.Context, string, string, *gh.NewPullRequest) (*gh.PullRequest, error) {
	return nil, ghErr(http.StatusNotImplemented, "not in the fake")
}
