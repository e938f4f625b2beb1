package ghtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v85/github"
)

const token = "ghp_fidelity"

var validator *Validator

func TestMain(m *testing.M) {
	v, err := LoadValidator()
	if err != nil {
		fmt.Fprintln(os.Stderr, "GitHub OpenAPI description unavailable:", err)
		os.Exit(1)
	}
	validator = v
	os.Exit(m.Run())
}

type bearer struct{}

func (bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return http.DefaultTransport.RoundTrip(r)
}

// newServer starts a stand-in with organisation acme and a client of user
// octo; the test fails on any OpenAPI violation.
func newServer(t *testing.T) (*Server, *gh.Client) {
	t.Helper()
	s := NewServer(validator)
	t.Cleanup(s.Close)
	s.AddOrg("acme")
	s.AddToken(token, "octo")
	c := gh.NewClient(&http.Client{Transport: bearer{}})
	u, err := url.Parse(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL, c.UploadURL = u, u
	t.Cleanup(func() {
		for _, v := range s.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	})
	return s, c
}

func statusOf(err error) int {
	if er, ok := errors.AsType[*gh.ErrorResponse](err); ok {
		return er.Response.StatusCode
	}
	return 0
}

func TestGenerateOnlyFromTemplates(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "plain")
	req := &gh.TemplateRepoRequest{Name: gh.Ptr("svc"), Owner: gh.Ptr("acme"), Private: gh.Ptr(true)}
	if _, _, err := c.Repositories.CreateFromTemplate(ctx, "acme", "plain", req); statusOf(err) != http.StatusUnprocessableEntity {
		t.Fatalf("generate from a repository that is not a template: err = %v, want 422", err)
	}
	if s.RepoCount() != 1 {
		t.Errorf("%d repositories after a refused generate, want 1", s.RepoCount())
	}
	s.Mutate("acme", "plain", func(r *RepoState) { r.IsTemplate = true })
	r, _, err := c.Repositories.CreateFromTemplate(ctx, "acme", "plain", req)
	if err != nil || r.GetName() != "svc" {
		t.Fatalf("generate from a template: %v %v", r, err)
	}
	if tr, _, err := c.Repositories.Get(ctx, "acme", "plain"); err != nil || !tr.GetIsTemplate() {
		t.Errorf("template repository reports is_template=%v (%v)", tr.GetIsTemplate(), err)
	}
}

// A repository generated from a template has the template's files from its
// default branch, and records where it came from.
func TestGenerateCopiesTheTemplate(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "tmpl")
	s.Mutate("acme", "tmpl", func(r *RepoState) { r.IsTemplate = true })
	s.SetFile("acme", "tmpl", "main", "k8s/overlays/staging/kustomization.yaml", "resources: [../../base]\n")
	s.SetGenerateLag(0)
	req := &gh.TemplateRepoRequest{Name: gh.Ptr("svc"), Owner: gh.Ptr("acme"), Private: gh.Ptr(true)}
	if _, _, err := c.Repositories.CreateFromTemplate(ctx, "acme", "tmpl", req); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Repo("acme", "svc")
	if st.Template != "acme/tmpl" || st.Files["main:k8s/overlays/staging/kustomization.yaml"] != "resources: [../../base]\n" || st.Files["main:README.md"] != "# tmpl\n" {
		t.Errorf("generated repository: template %q, files %v", st.Template, st.Files)
	}
	// The template keeps its own files.
	if tst, _ := s.Repo("acme", "tmpl"); len(tst.Files) != 2 {
		t.Errorf("template files %v", tst.Files)
	}
}

// Backstage's GitHub URL reader asks for a catalog file's raw bytes
// (Accept: application/vnd.github.v3.raw); the JSON answer is what is
// validated, and conditional requests work as for JSON.
func TestContentsRawMediaType(t *testing.T) {
	s, _ := newServer(t)
	s.CreateOutOfBand("acme", "svc")
	s.SetFile("acme", "svc", "main", "catalog-info.yaml", "kind: Component\n")
	get := func(accept, etag string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/repos/acme/svc/contents/catalog-info.yaml?ref=main", nil)
		req.Header.Set("Authorization", "token "+token)
		req.Header.Set("Accept", accept)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return rsp
	}
	for _, accept := range []string{"application/vnd.github.v3.raw", "application/vnd.github.raw+json"} {
		rsp := get(accept, "")
		b, _ := io.ReadAll(rsp.Body)
		_ = rsp.Body.Close()
		if rsp.StatusCode != http.StatusOK || string(b) != "kind: Component\n" || !strings.HasPrefix(rsp.Header.Get("Content-Type"), "application/vnd.github.raw") {
			t.Errorf("Accept %s: %d %q %q", accept, rsp.StatusCode, rsp.Header.Get("Content-Type"), b)
		}
		again := get(accept, rsp.Header.Get("ETag"))
		_ = again.Body.Close()
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("Accept %s with If-None-Match: %d, want 304", accept, again.StatusCode)
		}
	}
	rsp := get("application/vnd.github+json", "")
	b, _ := io.ReadAll(rsp.Body)
	_ = rsp.Body.Close()
	if !strings.Contains(string(b), `"encoding":"base64"`) {
		t.Errorf("JSON media type answered %s", b)
	}
	// Two of them were answered 304, which GitHub does not count.
	if st := s.Stats(); st.ByLogin["octo"] != 5 || st.CountedByLogin["octo"] != 3 {
		t.Errorf("requests by octo = %d, counted %d, want 5 and 3", st.ByLogin["octo"], st.CountedByLogin["octo"])
	}
}

// GitHub answers the generate request before it has copied the template:
// the repository exists, its contents and branches do not yet.
func TestGenerateIsAsynchronous(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "tmpl")
	s.Mutate("acme", "tmpl", func(r *RepoState) { r.IsTemplate = true })
	s.SetGenerateLag(2)
	req := &gh.TemplateRepoRequest{Name: gh.Ptr("svc"), Owner: gh.Ptr("acme"), Private: gh.Ptr(true)}
	if _, _, err := c.Repositories.CreateFromTemplate(ctx, "acme", "tmpl", req); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Repositories.Get(ctx, "acme", "svc"); err != nil {
		t.Fatalf("generated repository does not exist at once: %v", err)
	}
	_, _, _, err := c.Repositories.GetContents(ctx, "acme", "svc", "README.md", nil)
	if statusOf(err) != http.StatusNotFound || !strings.Contains(err.Error(), "This repository is empty") {
		t.Errorf("contents right after generate: err = %v, want 404 This repository is empty.", err)
	}
	_, _, err = c.Repositories.CreateFile(ctx, "acme", "svc", "x.txt", &gh.RepositoryContentFileOptions{
		Message: gh.Ptr("x"), Content: []byte("x"),
	})
	if statusOf(err) != http.StatusNotFound || !strings.Contains(err.Error(), "This repository is empty") {
		t.Errorf("write right after generate: err = %v, want 404 This repository is empty.", err)
	}
	f, _, _, err := c.Repositories.GetContents(ctx, "acme", "svc", "README.md", nil)
	if err != nil || f == nil {
		t.Fatalf("contents once generated: %v", err)
	}
}

func TestRenameRedirects(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "old")
	st, _ := s.Repo("acme", "old")
	r, _, err := c.Repositories.Edit(ctx, "acme", "old", &gh.Repository{Name: gh.Ptr("new")})
	if err != nil || r.GetName() != "new" || r.GetID() != st.ID {
		t.Fatalf("rename: %v %v", r, err)
	}

	// The raw answer for the old name: 301 to /repositories/{id}.
	hc := &http.Client{Transport: bearer{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rsp, err := hc.Get(s.URL + "/repos/acme/old")
	if err != nil {
		t.Fatal(err)
	}
	_ = rsp.Body.Close()
	if want := fmt.Sprintf("%s/repositories/%d", s.URL, st.ID); rsp.StatusCode != http.StatusMovedPermanently || rsp.Header.Get("Location") != want {
		t.Errorf("GET old name: %d Location %q, want 301 %q", rsp.StatusCode, rsp.Header.Get("Location"), want)
	}
	// A client that follows redirects gets the renamed repository.
	r, _, err = c.Repositories.Get(ctx, "acme", "old")
	if err != nil || r.GetName() != "new" {
		t.Errorf("GET old name, following the redirect: %v %v", r.GetFullName(), err)
	}
	if r, _, err := c.Repositories.GetByID(ctx, st.ID); err != nil || r.GetName() != "new" {
		t.Errorf("GET /repositories/{id}: %v %v", r.GetFullName(), err)
	}
	// Taking the old name ends the redirect.
	s.CreateOutOfBand("acme", "old")
	if r, _, err := c.Repositories.Get(ctx, "acme", "old"); err != nil || r.GetID() == st.ID {
		t.Errorf("old name after a new repository took it: id %d (%v), want a new id", r.GetID(), err)
	}
	// Renaming onto a taken name is refused.
	if _, _, err := c.Repositories.Edit(ctx, "acme", "new", &gh.Repository{Name: gh.Ptr("old")}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("rename onto a taken name: %v, want 422", err)
	}
}

func TestBranchProtectionIsPlanGated(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "private")
	s.CreateOutOfBand("acme", "public")
	s.Mutate("acme", "public", func(r *RepoState) { r.Visibility = "public" })
	s.SetFreePlan("acme", true)
	req := &gh.ProtectionRequest{RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{RequiredApprovingReviewCount: 1}}
	for _, name := range []string{"private", "public"} {
		_, _, gerr := c.Repositories.GetBranchProtection(ctx, "acme", name, "main")
		_, _, perr := c.Repositories.UpdateBranchProtection(ctx, "acme", name, "main", req)
		want := 0
		if name == "private" {
			want = http.StatusForbidden
		}
		if statusOf(perr) != want {
			t.Errorf("%s: PUT protection on a free plan: %v, want status %d", name, perr, want)
		}
		if want != 0 && statusOf(gerr) != want {
			t.Errorf("%s: GET protection on a free plan: %v, want 403", name, gerr)
		}
	}
	s.SetFreePlan("acme", false)
	if _, _, err := c.Repositories.UpdateBranchProtection(ctx, "acme", "private", "main", req); err != nil {
		t.Errorf("PUT protection on a paid plan: %v", err)
	}
}

func TestDefaultBranchMustExist(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "svc")
	if _, _, err := c.Repositories.Edit(ctx, "acme", "svc", &gh.Repository{DefaultBranch: gh.Ptr("trunk")}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Fatalf("default branch that does not exist: %v, want 422", err)
	}
	s.SetFile("acme", "svc", "trunk", "README.md", "x")
	r, _, err := c.Repositories.Edit(ctx, "acme", "svc", &gh.Repository{DefaultBranch: gh.Ptr("trunk")})
	if err != nil || r.GetDefaultBranch() != "trunk" {
		t.Fatalf("default branch that exists: %v %v", r.GetDefaultBranch(), err)
	}
	if st, _ := s.Repo("acme", "svc"); st.DefaultBranch != "trunk" {
		t.Errorf("default branch = %q", st.DefaultBranch)
	}
}

// A PUT replaces the whole protection: settings it leaves out are off.
func TestProtectionPutReplaces(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "svc")
	s.Mutate("acme", "svc", func(r *RepoState) {
		r.Protected, r.LinearHistory, r.PushUsers = true, true, []string{"octo"}
	})
	p, _, err := c.Repositories.GetBranchProtection(ctx, "acme", "svc", "main")
	if err != nil || !p.GetRequireLinearHistory().Enabled || p.GetRestrictions() == nil || len(p.GetRestrictions().Users) != 1 {
		t.Fatalf("protection set out of band not reported: %+v %v", p, err)
	}
	req := &gh.ProtectionRequest{RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{RequiredApprovingReviewCount: 1}}
	if _, _, err := c.Repositories.UpdateBranchProtection(ctx, "acme", "svc", "main", req); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Repo("acme", "svc"); st.LinearHistory || st.PushUsers != nil {
		t.Errorf("PUT without them kept linear history / push restrictions: %+v", st)
	}
}

// Every operation under a renamed repository's old name is redirected to
// /repositories/{id}/... (301 for GET, 307 for writes, which a client
// repeats with its body), until a repository is created under the old
// name: from then on the old name is that repository's.
func TestRenameRedirectsEveryOperation(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "old")
	st, _ := s.Repo("acme", "old")
	if !s.RenameOutOfBand("acme", "old", "new") {
		t.Fatal("rename")
	}
	hc := &http.Client{Transport: bearer{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rsp, err := hc.Get(s.URL + "/repos/acme/old/contents/README.md?ref=main")
	if err != nil {
		t.Fatal(err)
	}
	_ = rsp.Body.Close()
	if want := fmt.Sprintf("%s/repositories/%d/contents/README.md?ref=main", s.URL, st.ID); rsp.StatusCode != http.StatusMovedPermanently || rsp.Header.Get("Location") != want {
		t.Errorf("GET contents under the old name: %d Location %q, want 301 %q", rsp.StatusCode, rsp.Header.Get("Location"), want)
	}
	req, _ := http.NewRequest(http.MethodPut, s.URL+"/repos/acme/old/contents/a.txt", strings.NewReader(`{"message":"m","content":"YQ=="}`))
	req.Header.Set("Content-Type", "application/json")
	if rsp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	_ = rsp.Body.Close()
	if rsp.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("PUT contents under the old name: %d, want 307", rsp.StatusCode)
	}

	// A client that follows redirects reads and writes the renamed repository.
	if f, _, _, err := c.Repositories.GetContents(ctx, "acme", "old", "README.md", nil); err != nil || f == nil {
		t.Errorf("GET contents under the old name, following the redirect: %v", err)
	}
	if _, _, err := c.Repositories.CreateFile(ctx, "acme", "old", "a.txt", &gh.RepositoryContentFileOptions{
		Message: gh.Ptr("m"), Content: []byte("a"),
	}); err != nil {
		t.Fatalf("PUT contents under the old name, following the redirect: %v", err)
	}
	if got, _ := s.Repo("acme", "new"); got.Files["main:a.txt"] != "a" {
		t.Errorf("the renamed repository holds %v, want main:a.txt", got.Files)
	}
	if r, _, err := c.Repositories.GetByID(ctx, st.ID); err != nil || r.GetFullName() != "acme/new" {
		t.Errorf("GET /repositories/{id}: %q %v", r.GetFullName(), err)
	}

	// A repository created under the old name ends the redirect: a write
	// by the old name reaches the unrelated repository.
	s.CreateOutOfBand("acme", "old")
	if _, _, err := c.Repositories.CreateFile(ctx, "acme", "old", "b.txt", &gh.RepositoryContentFileOptions{
		Message: gh.Ptr("m"), Content: []byte("b"),
	}); err != nil {
		t.Fatal(err)
	}
	other, _ := s.Repo("acme", "old")
	if renamed, _ := s.Repo("acme", "new"); other.ID == st.ID || other.Files["main:b.txt"] != "b" || renamed.Files["main:b.txt"] != "" {
		t.Errorf("after the old name was taken: old id %d files %v; renamed %v", other.ID, other.Files, renamed.Files)
	}
	if r, _, err := c.Repositories.GetByID(ctx, st.ID); err != nil || r.GetFullName() != "acme/new" {
		t.Errorf("GET /repositories/{id} after the old name was taken: %q %v", r.GetFullName(), err)
	}
}

// Content writes to one branch sent in parallel conflict: GitHub documents
// that they must be sent serially. Writes to different repositories do not.
func TestParallelContentWritesConflict(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "one")
	s.CreateOutOfBand("acme", "two")
	// Long enough that two requests started together overlap.
	s.SetContentWriteLatency(300 * time.Millisecond)
	put := func(repo, path string) error {
		_, _, err := c.Repositories.CreateFile(ctx, "acme", repo, path, &gh.RepositoryContentFileOptions{Message: gh.Ptr("m"), Content: []byte(path)})
		return err
	}
	parallel := func(a, b func() error) []error {
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, f := range []func() error{a, b} {
			wg.Go(func() { ; errs[i] = f() })
		}
		wg.Wait()
		return errs
	}

	errs := parallel(func() error { return put("one", "a.txt") }, func() error { return put("one", "b.txt") })
	var conflicts int
	for _, err := range errs {
		if err == nil {
			continue
		}
		if statusOf(err) != http.StatusConflict || !strings.Contains(err.Error(), "but expected") {
			t.Errorf("parallel write: %v, want 409 is at ... but expected ...", err)
		}
		conflicts++
	}
	if conflicts != 1 {
		t.Errorf("%d of 2 parallel writes to one branch conflicted, want 1: %v", conflicts, errs)
	}
	// Sent serially, the refused write succeeds.
	if err := put("one", "c.txt"); err != nil {
		t.Errorf("serial write: %v", err)
	}

	errs = parallel(func() error { return put("one", "d.txt") }, func() error { return put("two", "d.txt") })
	for _, err := range errs {
		if err != nil {
			t.Errorf("parallel writes to two repositories: %v", err)
		}
	}
}

// PATCH git/refs/heads/{branch} with force moves a branch to another
// branch's head; without force a move is refused as not a fast forward.
func TestUpdateRef(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "svc")
	main := s.Head("acme", "svc", "main")
	if _, _, err := c.Git.CreateRef(ctx, "acme", "svc", gh.CreateRef{Ref: "refs/heads/topic", SHA: main}); err != nil {
		t.Fatal(err)
	}
	s.SetFile("acme", "svc", "topic", "x.txt", "x")
	if _, _, err := c.Git.UpdateRef(ctx, "acme", "svc", "heads/topic", gh.UpdateRef{SHA: main}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("update without force: %v, want 422", err)
	}
	ref, _, err := c.Git.UpdateRef(ctx, "acme", "svc", "heads/topic", gh.UpdateRef{SHA: main, Force: gh.Ptr(true)})
	if err != nil || ref.GetObject().GetSHA() != main {
		t.Fatalf("forced update: %v %v", ref, err)
	}
	if st, _ := s.Repo("acme", "svc"); st.Files["topic:x.txt"] != "" {
		t.Errorf("topic still holds x.txt: %v", st.Files)
	}
}
