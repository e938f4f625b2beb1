// Package ghtest is a stateful stand-in for the part of GitHub's REST API the
// paved provider uses. It follows GitHub's documented semantics (404 for a
// missing repository, 422 when a name is taken, ETag/If-None-Match answered
// 304 without counting against the rate limit, 401 for bad credentials,
// X-RateLimit-* headers, 403/429 with Retry-After for secondary limits) and
// validates every request it receives and every response it sends against
// GitHub's official OpenAPI description (npm @octokit/openapi).
package ghtest

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type account struct {
	login string
	id    int64
	kind  string // User or Organization
}

type file struct {
	content []byte
	sha     string
}

type protection struct {
	pullRequests  bool // required_pull_request_reviews is set: changes arrive by pull request
	reviews       int
	dismissStale  bool
	codeOwners    bool
	enforceAdmins bool
	checks        bool
	strict        bool
	checkContexts []string
	// checkApps binds a required check to the GitHub App that must set
	// it (a context absent from it, or 0, is accepted from any app).
	checkApps map[string]int64
	// Settings the provider does not manage, which a PUT replaces too.
	linearHistory    bool
	allowForcePushes bool
	allowDeletions   bool
	lastPushApproval bool
	restricted       bool
	pushUsers        []string
}

type repo struct {
	id                                                     int64
	owner                                                  account
	name, description, visibility, defaultBranch, template string
	topics                                                 []string
	archived                                               bool
	allowMergeCommit, allowSquashMerge, allowRebaseMerge   bool
	deleteBranchOnMerge                                    bool
	created, updated                                       time.Time
	branches                                               map[string]bool
	protection                                             map[string]*protection
	files                                                  map[string]map[string]*file // branch -> path -> file
	commits                                                int
	// dated is when each commit (a head, see head) was made: what GET
	// /repos/{owner}/{repo}/commits/{ref} answers as its date.
	dated      map[string]time.Time
	pulls      []*pull
	forkPoints map[string]map[string]*file // branch -> base files when it was created
	isTemplate bool
	// checkSetBy is the GitHub App that recently set each check context.
	checkSetBy map[string]int64
	// gitPending counts the git-data requests (contents, branch
	// protection) still answered as if the repository were empty: GitHub
	// generates a repository from a template asynchronously.
	gitPending int
}

// A Fault is an injected failure. It matches requests by method and path
// prefix and applies Times times (0 means once).
type Fault struct {
	// Name labels the fault in Stats.FaultsByName (optional).
	Name       string
	Method     string
	PathPrefix string
	// Status answered instead of the real response, with a basic-error body.
	// With AfterHandling the real handler runs first (the change happens),
	// then the fault's status is answered: a lost response. Status 0 with
	// AfterHandling keeps the real response (use with Delay).
	Status        int
	RetryAfter    int  // seconds, sets Retry-After
	RateLimited   bool // sets X-RateLimit-Remaining: 0 (primary limit)
	AfterHandling bool
	// Delay stalls the response (after handling) to provoke client timeouts.
	Delay time.Duration
	// RaceCreate creates this repository (in the request's owner or
	// organisation) out of band just before the request is handled, as a
	// person winning a race for the name would.
	RaceCreate string
	Times      int
}

// Stats count what the stand-in has served.
type Stats struct {
	Requests           int // all requests
	Counted            int // requests GitHub counts against the primary rate limit
	NotModified        int // 304 answers to conditional requests (not counted)
	ByRoute            map[string]int
	ByLogin            map[string]int // authenticated requests (304s included) by the token's account
	CountedByLogin     map[string]int // requests counted against the rate limit, by the token's account
	RepoCreates        int
	RepoDeletes        int
	Unauthorized       int
	FaultsInjected     int
	FaultsByName       map[string]int // injected faults by Fault.Name
	InstallationTokens int            // GitHub App installation tokens issued
	// PrimaryLimited and SecondaryLimited count requests refused by the
	// primary rate limit (403, X-RateLimit-Remaining: 0) and by a secondary
	// limit on content creation (403 with Retry-After).
	PrimaryLimited   int
	SecondaryLimited int
	// Writes counts content-creating requests GitHub processed (POST,
	// PATCH, PUT, DELETE; not GitHub App token requests).
	Writes int
	// PeakCountedPerWindow is the most requests any identity had counted
	// in one primary-limit window (an hour, scaled): what GitHub's
	// X-RateLimit-Used reached at its highest.
	PeakCountedPerWindow int
	// PeakWritesPerHour is the most content-creating requests any
	// identity sent within an hour (scaled), while secondary limits are on.
	PeakWritesPerHour int
}

// Server is the stand-in. Create it with NewServer.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	v        *Validator
	tokens   map[string]account
	accounts map[string]account
	repos    map[string]*repo
	nextID   int64
	limit    int
	// Rate limits (limits.go): primary-limit windows and content-creating
	// requests per identity, when each answer's content was first seen,
	// and which tokens are installation tokens, until when.
	windows                        map[string]*limitWindow
	writes                         map[string]writeLog
	writesPerMinute, writesPerHour int
	timeScale                      float64
	modified                       map[string]modifiedAt
	tokenInstallation              map[string]int64
	tokenExpiry                    map[string]time.Time
	faults                         []*Fault
	mix                            *faultMix
	window                         *faultWindow
	stats                          Stats
	violations                     []string
	now                            func() time.Time
	apps                           map[int64]*app
	// freePlan lists owners on GitHub Free: no branch protection for
	// their private repositories.
	freePlan map[string]bool
	// redirects maps a renamed repository's old owner/name to its id.
	redirects   map[string]int64
	generateLag int
	// teams by organisation and slug.
	teams map[string]map[string]*team
	// writeLatency is how long a content write takes between reading the
	// branch head and moving the branch (see contentWriteBase).
	writeLatency time.Duration
	// notAdmin lists accounts whose tokens lack admin on repositories.
	notAdmin map[string]bool
}

// Start loads GitHub's OpenAPI description (LoadValidator) and starts a
// stand-in on 127.0.0.1 that validates its traffic against it. Close it
// when done.
func Start() (*Server, error) {
	v, err := LoadValidator()
	if err != nil {
		return nil, err
	}
	return NewServer(v), nil
}

// NewServer starts a stand-in on 127.0.0.1 that validates traffic with v.
func NewServer(v *Validator) *Server {
	s := &Server{
		v: v, tokens: map[string]account{}, accounts: map[string]account{},
		repos: map[string]*repo{}, apps: map[int64]*app{}, nextID: 1000, limit: 5000,
		windows: map[string]*limitWindow{}, writes: map[string]writeLog{}, timeScale: 1, modified: map[string]modifiedAt{},
		tokenInstallation: map[string]int64{}, tokenExpiry: map[string]time.Time{}, now: time.Now,
		freePlan: map[string]bool{}, redirects: map[string]int64{}, generateLag: DefaultGenerateLag,
		teams:        map[string]map[string]*team{},
		writeLatency: DefaultContentWriteLatency,
		notAdmin:     map[string]bool{},
	}
	s.stats.ByRoute, s.stats.FaultsByName, s.stats.ByLogin, s.stats.CountedByLogin = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddOrg registers an organisation.
func (s *Server) AddOrg(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.accounts[lower(login)] = account{login: login, id: s.nextID, kind: "Organization"}
}

// AddToken registers a token that authenticates as user login.
func (s *Server) AddToken(token, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[lower(login)]
	if !ok {
		s.nextID++
		a = account{login: login, id: s.nextID, kind: "User"}
		s.accounts[lower(login)] = a
	}
	s.tokens[token] = a
}

// AddInstallationToken registers token as an installation token of
// installation id on the account login that never expires: a GitHub App
// installation token given to a client as a plain token. Its requests count
// against the installation.
func (s *Server) AddInstallationToken(token string, id int64, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[lower(login)]
	if !ok {
		s.nextID++
		a = account{login: login, id: s.nextID, kind: "Organization"}
		s.accounts[lower(login)] = a
	}
	s.tokens[token], s.tokenInstallation[token] = a, id
}

// AccountID returns the id of the user or organisation login (0 if none).
func (s *Server) AccountID(login string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accounts[lower(login)].id
}

// DefaultGenerateLag is how many git-data requests to a repository
// generated from a template are answered as if it were empty.
const DefaultGenerateLag = 2

// SetGenerateLag sets how many git-data requests (contents, branch
// protection) to a repository generated from a template are answered as if
// the repository were still empty, as GitHub does while it copies the
// template in the background (POST .../generate answers 201 before the
// contents exist).
func (s *Server) SetGenerateLag(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.generateLag = n
}

// DefaultContentWriteLatency is how long a content write of the stand-in
// takes from reading the branch head to moving the branch: long enough that
// writes to one branch sent in parallel overlap, as GitHub's do.
const DefaultContentWriteLatency = 20 * time.Millisecond

// SetContentWriteLatency sets how long a content write (PUT or DELETE
// /repos/{owner}/{repo}/contents/{path}) takes from reading the head of
// its branch to moving the branch. A write that finds the branch moved by
// another write in the meantime is refused, as GitHub refuses it (see
// contentWriteBase).
func (s *Server) SetContentWriteLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeLatency = d
}

// SetFreePlan puts owner on GitHub Free (or takes it off): "Protected
// branches are available in public repositories with GitHub Free and GitHub
// Free for organizations, and in public and private repositories with
// GitHub Pro, GitHub Team, GitHub Enterprise Cloud, and GitHub Enterprise
// Server" (GitHub's description of PUT
// /repos/{owner}/{repo}/branches/{branch}/protection). GitHub answers 403
// for the protection of a private repository of a free owner.
func (s *Server) SetFreePlan(owner string, free bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.freePlan[lower(owner)] = free
}

// SetRateLimit sets the primary rate limit per identity (user or App
// installation) and hour.
func (s *Server) SetRateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = n
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// tokenOf returns the token of r's Authorization header.
func tokenOf(r *http.Request) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "token "))
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	c.ByRoute, c.FaultsByName = maps.Clone(s.stats.ByRoute), maps.Clone(s.stats.FaultsByName)
	c.ByLogin, c.CountedByLogin = maps.Clone(s.stats.ByLogin), maps.Clone(s.stats.CountedByLogin)
	return c
}

// Violations returns every OpenAPI violation seen so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.violations...)
}

// RepoState is a test's view of a repository.
type RepoState struct {
	ID                                                   int64
	Name                                                 string
	IsTemplate                                           bool
	Template                                             string // owner/name of the template it was generated from
	Description, Visibility, DefaultBranch               string
	Topics                                               []string
	Archived                                             bool
	AllowMergeCommit, AllowSquashMerge, AllowRebaseMerge bool
	DeleteBranchOnMerge                                  bool
	Created                                              time.Time
	Files                                                map[string]string // "branch:path" -> content
	Commits                                              int
	Protected                                            bool
	EnforceAdmins                                        bool
	RequiredReviews                                      int
	CheckContexts                                        []string
	// CheckApps are the GitHub Apps required checks are bound to, by
	// context; a context not in it is accepted from any app.
	CheckApps map[string]int64
	// Protection settings the provider does not manage.
	LinearHistory, AllowForcePushes, LastPushApproval bool
	PushUsers                                         []string // push restrictions, nil when none
}

// Repo returns a repository's state, if it exists.
func (s *Server) Repo(owner, name string) (RepoState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return RepoState{}, false
	}
	return r.state(), true
}

// HeadCommit returns the commit at the tip of a repository's branch and
// when it was committed, as GET /repos/{owner}/{repo}/commits/{branch}
// answers.
func (s *Server) HeadCommit(owner, name, branch string) (sha string, committed time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[lower(owner+"/"+name)]
	if !ok || !r.branches[branch] {
		return "", time.Time{}, false
	}
	sha = r.head(branch)
	committed, ok = r.dated[sha]
	return sha, committed, ok
}

// RepoByID returns the state of the repository with this id, if it exists.
func (s *Server) RepoByID(id int64) (RepoState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoByID(id)
	if r == nil {
		return RepoState{}, false
	}
	return r.state(), true
}

func (s *Server) repoByID(id int64) *repo {
	for _, r := range s.repos {
		if r.id == id {
			return r
		}
	}
	return nil
}

func (r *repo) state() RepoState {
	st := RepoState{
		ID: r.id, Name: r.name, IsTemplate: r.isTemplate, Template: r.template, Description: r.description, Visibility: r.visibility, DefaultBranch: r.defaultBranch,
		Topics: append([]string{}, r.topics...), Archived: r.archived, AllowMergeCommit: r.allowMergeCommit,
		AllowSquashMerge: r.allowSquashMerge, AllowRebaseMerge: r.allowRebaseMerge,
		DeleteBranchOnMerge: r.deleteBranchOnMerge, Created: r.created, Files: map[string]string{}, Commits: r.commits,
	}
	for b, fs := range r.files {
		for p, f := range fs {
			st.Files[b+":"+p] = string(f.content)
		}
	}
	if p, ok := r.protection[r.defaultBranch]; ok {
		st.Protected, st.RequiredReviews, st.CheckContexts = true, p.reviews, append([]string{}, p.checkContexts...)
		st.CheckApps = maps.Clone(p.checkApps)
		st.LinearHistory, st.AllowForcePushes, st.LastPushApproval = p.linearHistory, p.allowForcePushes, p.lastPushApproval
		st.EnforceAdmins = p.enforceAdmins
		if p.restricted {
			st.PushUsers = append([]string{}, p.pushUsers...)
		}
	}
	return st
}

// RepoCount is the number of repositories that exist.
func (s *Server) RepoCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.repos)
}

// Mutate changes a repository out of band, as a person on github.com would.
func (s *Server) Mutate(owner, name string, fn func(r *RepoState)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return false
	}
	st := r.state()
	fn(&st)
	r.description, r.visibility, r.topics, r.archived = st.Description, st.Visibility, st.Topics, st.Archived
	r.allowMergeCommit, r.allowSquashMerge, r.allowRebaseMerge = st.AllowMergeCommit, st.AllowSquashMerge, st.AllowRebaseMerge
	r.deleteBranchOnMerge, r.isTemplate = st.DeleteBranchOnMerge, st.IsTemplate
	if st.DefaultBranch != "" && st.DefaultBranch != r.defaultBranch {
		// As a push of that branch and a switch of the default would.
		if !r.branches[st.DefaultBranch] {
			r.branches[st.DefaultBranch] = true
			r.files[st.DefaultBranch] = map[string]*file{}
			maps.Copy(r.files[st.DefaultBranch], r.files[r.defaultBranch])
		}
		r.defaultBranch = st.DefaultBranch
	}
	if !st.Protected {
		delete(r.protection, r.defaultBranch)
	} else {
		p, ok := r.protection[r.defaultBranch]
		if !ok {
			p = &protection{}
			r.protection[r.defaultBranch] = p
		}
		p.reviews, p.checkContexts, p.checks = st.RequiredReviews, st.CheckContexts, p.checks || st.CheckContexts != nil
		p.checkApps = maps.Clone(st.CheckApps)
		p.linearHistory, p.allowForcePushes, p.lastPushApproval = st.LinearHistory, st.AllowForcePushes, st.LastPushApproval
		p.restricted, p.pushUsers = st.PushUsers != nil, st.PushUsers
	}
	r.updated = s.now()
	return true
}

// CreateOutOfBand creates a repository as someone else would.
func (s *Server) CreateOutOfBand(owner, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[lower(owner)]
	s.newRepo(a, name, "private", "", true)
}

// RenameOutOfBand renames a repository as its owner would on github.com.
func (s *Server) RenameOutOfBand(owner, name, newName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return false
	}
	return s.rename(r, newName)
}

// rename renames r and redirects its old name to it. "If you create a new
// repository under your repository's old name, redirects to the renamed
// repository will break"
// (https://docs.github.com/en/repositories/creating-and-managing-repositories/renaming-a-repository):
// newRepo drops the redirect of a name it takes.
func (s *Server) rename(r *repo, newName string) bool {
	if _, taken := s.repos[lower(r.owner.login+"/"+newName)]; taken {
		return false
	}
	old := lower(r.owner.login + "/" + r.name)
	delete(s.repos, old)
	s.redirects[old] = r.id
	r.name = newName
	s.repos[lower(r.owner.login+"/"+newName)] = r
	delete(s.redirects, lower(r.owner.login+"/"+newName))
	r.updated = s.now()
	return true
}

// ReportCheck records that GitHub App appID set the check context on the
// repository, as a CI app reporting a check run would: a protection that
// requires the context without naming an app binds it to that app
// (GitHub's description of PUT .../branches/{branch}/protection).
func (s *Server) ReportCheck(owner, name, context string, appID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return false
	}
	if r.checkSetBy == nil {
		r.checkSetBy = map[string]int64{}
	}
	r.checkSetBy[context] = appID
	return true
}

// DeleteOutOfBand deletes a repository as someone else would.
func (s *Server) DeleteOutOfBand(owner, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.repos, lower(owner+"/"+name))
}

func (s *Server) newRepo(owner account, name, visibility, description string, autoInit bool) *repo {
	s.nextID++
	now := s.now()
	r := &repo{
		id: s.nextID, owner: owner, name: name, visibility: visibility, description: description,
		defaultBranch: "main", allowMergeCommit: true, allowSquashMerge: true, allowRebaseMerge: true,
		created: now, updated: now, branches: map[string]bool{}, protection: map[string]*protection{},
		files: map[string]map[string]*file{}, topics: []string{},
	}
	if autoInit {
		r.branches["main"] = true
		r.files["main"] = map[string]*file{"README.md": {content: []byte("# " + name + "\n"), sha: blobSHA([]byte("# " + name + "\n"))}}
		r.commits = 1
		r.commitAt("main", now)
	}
	s.repos[lower(owner.login+"/"+name)] = r
	delete(s.redirects, lower(owner.login+"/"+name))
	return r
}

func blobSHA(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// response is what a handler produces.
type response struct {
	status int
	body   any
	header http.Header
	// raw, when set, is sent instead of body (a raw media type): body is
	// what the JSON media type would answer, and is what is validated.
	raw []byte
}

func reply(status int, body any) response { return response{status: status, body: body} }

type ctxKey struct{}

// writeBaseKey carries the branch head a content write started from.
type writeBaseKey struct{}

// contentWriteBase starts a content write (PUT or DELETE of
// /repos/{owner}/{repo}/contents/{path}, or of the same under
// /repositories/{id}): it reads the head of the branch written to, then
// lets the write take the stand-in's write latency without holding the
// server's lock. contentsOp commits only if the branch is still at that
// head, and otherwise answers 409 "is at <head> but expected <base>" as
// GitHub does. GitHub: "If you use this endpoint and the "Delete a file"
// endpoint in parallel, the concurrent requests will conflict and you will
// receive errors. You must use these endpoints serially instead."
// (https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents
// and #delete-a-file; the 409 message as users report it:
// integrations/terraform-provider-github#2909, PyGithub/PyGithub#1787).
func (s *Server) contentWriteBase(r *http.Request, body []byte) (string, bool) {
	if r.Method != http.MethodPut && r.Method != http.MethodDelete {
		return "", false
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 4 || (parts[0] != "repos" && parts[0] != "repositories") {
		return "", false
	}
	s.mu.Lock()
	var rp *repo
	switch {
	case parts[0] == "repos" && len(parts) >= 5 && parts[3] == "contents":
		rp = s.repos[lower(parts[1]+"/"+parts[2])]
	case parts[0] == "repositories" && parts[2] == "contents":
		if id, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
			rp = s.repoByID(id)
		}
	}
	if rp == nil {
		s.mu.Unlock()
		return "", false
	}
	var q struct {
		Branch *string `json:"branch"`
	}
	_ = decode(body, &q)
	branch := rp.defaultBranch
	if q.Branch != nil && *q.Branch != "" {
		branch = *q.Branch
	}
	base, latency := rp.head(branch), s.writeLatency
	s.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
		}
	}
	return base, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// Like GitHub Enterprise Server, the stand-in also answers under
	// /api/v3 (https://docs.github.com/en/enterprise-server@latest/rest/enterprise-admin,
	// "Endpoint URLs"), where a base URL naming only the host leads.
	if p, ok := strings.CutPrefix(r.URL.Path, "/api/v3/"); ok {
		r.URL.Path = "/" + p
		r.URL.RawPath = ""
	}
	reqBody, _ := io.ReadAll(r.Body)
	ctx := context.Background()
	in, verr := s.v.ValidateRequest(ctx, s.validationRequest(r), reqBody)
	// Handlers see only the fields the operation's description has:
	// GitHub ignores the others.
	reqBody = Documented(in, reqBody)
	hctx := r.Context()
	if base, ok := s.contentWriteBase(r, reqBody); ok {
		hctx = context.WithValue(hctx, writeBaseKey{}, base)
	}

	s.mu.Lock()
	s.stats.Requests++
	if verr != nil {
		s.violations = append(s.violations, verr.Error())
	}
	// Authentication.
	tok := tokenOf(r)
	acct, authed := s.tokens[tok]
	now := s.now()
	if exp, ok := s.tokenExpiry[tok]; ok && !now.Before(exp) {
		// An expired installation token is refused like any bad token.
		authed = false
	}
	if !authed && strings.HasPrefix(r.URL.Path, "/app/") {
		// GitHub App endpoints authenticate with the App's JWT, checked by
		// the handler; they have their own rate limit.
		acct, authed = account{login: "app", kind: "Bot"}, true
	}
	var res response
	var fault *Fault
	for _, f := range s.faults {
		if f.Times > 0 && (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			fault = f
			f.Times--
			break
		}
	}
	if fault == nil && authed && !strings.HasPrefix(r.URL.Path, "/app/") {
		fault = s.window.match(r.Method)
	}
	if fault == nil && authed && !strings.HasPrefix(r.URL.Path, "/app/") {
		fault = s.mix.draw()
	}
	if fault != nil {
		s.stats.FaultsInjected++
		if fault.Name != "" {
			s.stats.FaultsByName[fault.Name]++
		}
	}
	appRoute := strings.HasPrefix(r.URL.Path, "/app/")
	var win *limitWindow
	key := s.limitKey(tok, acct)
	rem := s.limit
	if authed && !appRoute {
		win = s.primaryWindow(key, now)
		rem = s.limit - win.used
	}
	switch {
	case !authed:
		s.stats.Unauthorized++
		res = reply(http.StatusUnauthorized, basicError(401, "Bad credentials"))
	case rem <= 0:
		s.stats.PrimaryLimited++
		res = reply(http.StatusForbidden, basicError(403, "API rate limit exceeded for user ID "+strconv.FormatInt(acct.id, 10)+"."))
		res.header = http.Header{"X-Ratelimit-Remaining": {"0"}}
	case !appRoute && s.secondaryLimited(key, r.Method, now):
		s.stats.SecondaryLimited++
		res = s.secondaryLimitResponse()
	case fault != nil && !fault.AfterHandling && fault.Status != 0:
		res = s.faultResponse(fault)
	default:
		if fault != nil && fault.RaceCreate != "" {
			owner := acct
			if parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/"); len(parts) == 3 && parts[0] == "orgs" {
				owner = s.accounts[lower(parts[1])]
			}
			s.newRepo(owner, fault.RaceCreate, "private", "", true)
		}
		res = s.handle(context.WithValue(hctx, ctxKey{}, acct), r, reqBody)
		if !appRoute && r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.stats.Writes++
		}
		if fault != nil && fault.Status != 0 {
			res = s.faultResponse(fault)
		}
	}

	var out []byte
	if res.body != nil {
		out, _ = json.Marshal(res.body)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	maps.Copy(h, res.header)
	status := res.status
	if authed && r.Method == http.MethodGet && status == http.StatusOK {
		body := out
		if res.raw != nil {
			body = res.raw
		}
		etag := etagFor(tok, body)
		modified := s.lastModified(r.Header.Get("Accept")+" "+r.URL.String(), body, now)
		h.Set("ETag", etag)
		h.Set("Last-Modified", modified.Format(http.TimeFormat))
		h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		if conditional(r, etag, modified) {
			status, out = http.StatusNotModified, nil
		}
	}
	counted := authed && status != http.StatusNotModified && rem > 0
	if counted {
		rem--
		s.stats.Counted++
		s.stats.ByRoute[r.Method+" "+routeOf(r.URL.Path)]++
		s.stats.CountedByLogin[acct.login]++
	}
	if authed {
		s.stats.ByLogin[acct.login]++
	}
	if status == http.StatusNotModified {
		s.stats.NotModified++
	}
	if win != nil {
		win.used = s.limit - rem
		s.stats.PeakCountedPerWindow = max(s.stats.PeakCountedPerWindow, win.used)
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(rem))
		h.Set("X-RateLimit-Used", strconv.Itoa(s.limit-rem))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(win.reset.Unix(), 10))
		h.Set("X-RateLimit-Resource", "core")
	}
	var delay time.Duration
	if fault != nil {
		delay = fault.Delay
	}
	s.mu.Unlock()

	if in != nil {
		if err := s.checkResponse(ctx, in, status, h, out); err != nil {
			s.mu.Lock()
			s.violations = append(s.violations, err.Error())
			s.mu.Unlock()
		}
	}
	if res.raw != nil && status == http.StatusOK {
		// The description lists only the JSON media types; the JSON
		// answer was validated, the raw one is its content.
		h.Set("Content-Type", "application/vnd.github.raw; charset=utf-8")
		out = res.raw
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// genericStatuses are answers GitHub documents for every operation (the
// REST guide: conditional requests, authentication, rate limits, server
// errors) that the OpenAPI description does not list per operation.
var genericStatuses = []int{http.StatusNotModified, http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests,
	http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}

// undocumentedStatuses are answers GitHub gives for an operation that its
// OpenAPI description does not list: generating from a repository that is
// not a template is refused with 422, like every other invalid request.
var undocumentedStatuses = map[string][]int{
	"/repos/{template_owner}/{template_repo}/generate": {http.StatusUnprocessableEntity},
	// "You will get a 422 Unprocessable Entity status if you attempt to
	// add a repository to a team that is not owned by the organization"
	// (the operation's own description, which lists only 204).
	"/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}": {http.StatusUnprocessableEntity},
}

func (s *Server) checkResponse(ctx context.Context, in *openapiInput, status int, h http.Header, body []byte) error {
	if _, ok := in.Route.Operation.Responses.Map()[strconv.Itoa(status)]; !ok &&
		(slices.Contains(genericStatuses, status) || slices.Contains(undocumentedStatuses[in.Route.Path], status)) {
		return s.v.ValidateGeneric(status, body)
	}
	if status >= 400 && oneOfBasicError(in, status) {
		return s.v.ValidateGeneric(status, body)
	}
	return s.v.ValidateResponse(ctx, in, status, h, body)
}

func (s *Server) faultResponse(f *Fault) response {
	res := reply(f.Status, basicError(f.Status, http.StatusText(f.Status)))
	res.header = http.Header{}
	if f.RetryAfter > 0 {
		res.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
		res.body = basicError(f.Status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
	}
	if f.RateLimited {
		res.header.Set("X-RateLimit-Remaining", "0")
	}
	return res
}

// validationRequest is r, or for /repositories/{id}/... (where GitHub's
// rename redirects point, https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#follow-redirects;
// the OpenAPI description does not list it) the same operation on
// /repos/{owner}/{repo}/..., whose contract GitHub serves there.
func (s *Server) validationRequest(r *http.Request) *http.Request {
	id, rest, ok := repositoryID(r.URL.EscapedPath())
	if !ok {
		return r
	}
	s.mu.Lock()
	path := "/repos/id/" + strconv.FormatInt(id, 10) // no such repository: answered 404
	if rp := s.repoByID(id); rp != nil {
		path = "/repos/" + rp.owner.login + "/" + rp.name
	}
	s.mu.Unlock()
	c := r.Clone(r.Context())
	u, err := url.Parse(path + rest)
	if err != nil {
		return r
	}
	u.RawQuery = r.URL.RawQuery
	c.URL = u
	return c
}

// repositoryID parses /repositories/{id}<rest>.
func repositoryID(p string) (id int64, rest string, ok bool) {
	tail, found := strings.CutPrefix(p, "/repositories/")
	if !found {
		return 0, "", false
	}
	n, rest, _ := strings.Cut(tail, "/")
	if rest != "" {
		rest = "/" + rest
	}
	id, err := strconv.ParseInt(n, 10, 64)
	return id, rest, err == nil
}

func routeOf(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "repos":
		return "/repos/{owner}/{repo}"
	case len(parts) > 3 && parts[0] == "repos":
		if parts[3] == "contents" {
			return "/repos/{owner}/{repo}/contents/{path}"
		}
		if parts[3] == "branches" {
			return "/repos/{owner}/{repo}/branches/{branch}/" + strings.Join(parts[5:], "/")
		}
		return "/repos/{owner}/{repo}/" + strings.Join(parts[3:], "/")
	case len(parts) == 7 && parts[0] == "orgs" && parts[2] == "teams":
		return "/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}"
	case len(parts) == 3 && parts[0] == "orgs":
		return "/orgs/{org}/repos"
	case len(parts) == 2 && parts[0] == "repositories":
		return "/repositories/{id}"
	case len(parts) > 2 && parts[0] == "repositories":
		if parts[2] == "contents" {
			return "/repositories/{id}/contents/{path}"
		}
		return "/repositories/{id}/" + strings.Join(parts[2:], "/")
	case len(parts) == 2 && parts[0] == "users":
		return "/users/{username}"
	}
	return p
}

func decode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	return d.Decode(v)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// SetFile writes a file out of band, as a push to the branch would.
func (s *Server) SetFile(owner, name, branch, path, content string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return false
	}
	if r.files[branch] == nil {
		r.files[branch] = map[string]*file{}
		r.branches[branch] = true
	}
	r.files[branch][path] = &file{content: []byte(content), sha: blobSHA([]byte(content))}
	r.commits++
	r.commitAt(branch, s.now())
	return true
}
