package ghtest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// head is the commit id at the tip of a branch. The stand-in does not keep
// commit objects: a branch's head is derived from the files it holds, so it
// changes with every commit that changes them, and a new branch created
// from another starts at the same head, as in git.
func (r *repo) head(branch string) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s/%s\x00", r.owner.login, r.name)
	fs := r.files[branch]
	for _, p := range slices.Sorted(maps.Keys(fs)) {
		fmt.Fprintf(h, "%s\x00%s\x00", p, fs[p].sha)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// commitAt records that the head of branch was committed at t, unless
// that commit is known already (a head that returns to an earlier tree is
// that earlier commit here).
func (r *repo) commitAt(branch string, t time.Time) {
	if r.dated == nil {
		r.dated = map[string]time.Time{}
	}
	if h := r.head(branch); r.dated[h].IsZero() {
		r.dated[h] = t
	}
}

// commitOp answers GET /repos/{owner}/{repo}/commits/{ref}
// (https://docs.github.com/en/rest/commits/commits#get-a-commit) for a
// commit sha or a branch: the commit with its author and committer dates.
// An unknown sha is 422 "No commit found for SHA: <ref>", as GitHub answers
// it (the operation's documented 422; GitHub's message).
func (s *Server) commitOp(owner, name, ref string) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	if gitEmpty(rp) {
		return reply(http.StatusConflict, basicError(409, "Git Repository is empty."))
	}
	sha := ref
	if rp.branches[ref] {
		sha = rp.head(ref)
	}
	at, ok := rp.dated[sha]
	if !ok {
		return reply(http.StatusUnprocessableEntity, basicError(422, "No commit found for SHA: "+ref))
	}
	api := apiHost + "/repos/" + rp.owner.login + "/" + rp.name
	html := "https://github.com/" + rp.owner.login + "/" + rp.name + "/commit/" + sha
	person := map[string]any{"date": ts(at), "name": "paved", "email": "paved@example.com"}
	return reply(http.StatusOK, map[string]any{
		"url": api + "/commits/" + sha, "sha": sha, "node_id": "C_" + sha[:10], "html_url": html,
		"comments_url": api + "/commits/" + sha + "/comments",
		"commit": map[string]any{
			"url": api + "/git/commits/" + sha, "author": person, "committer": person, "message": "commit " + sha[:7],
			"comment_count": 0, "tree": map[string]any{"sha": sha, "url": api + "/git/trees/" + sha},
			"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
		},
		"author": nil, "committer": nil, "parents": []any{},
	})
}

// refuseProtected answers a content write to a protected branch as GitHub
// does: a branch protection rule that requires pull requests (or status
// checks) refuses direct commits with 409 "Changes must be made through a
// pull request" (seen from the contents API, e.g.
// https://github.com/BobAnkh/auto-generate-changelog/issues/78). Admins
// bypass the rule unless enforce_admins is set
// (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches#do-not-allow-bypassing-the-above-settings);
// every caller of the stand-in is an admin of the repositories it reaches
// (their bodies say permissions.admin: true).
func refuseProtected(rp *repo, branch string, creating bool) (response, bool) {
	p, ok := rp.protection[branch]
	if !ok || !p.enforceAdmins || (!p.pullRequests && !p.checks) {
		return response{}, false
	}
	verb := "update"
	if creating {
		verb = "create"
	}
	msg := "Could not " + verb + " file: "
	if p.pullRequests && p.reviews > 0 {
		msg += fmt.Sprintf("At least %d approving review is required by reviewers with write access. ", p.reviews)
	}
	if p.checks && len(p.checkContexts) > 0 {
		msg += fmt.Sprintf("%d of %d required status checks are expected. ", len(p.checkContexts), len(p.checkContexts))
	}
	msg += "Changes must be made through a pull request."
	b := basicError(http.StatusConflict, msg)
	b["documentation_url"] = "https://docs.github.com/articles/about-protected-branches"
	return reply(http.StatusConflict, b), true
}

func refBody(rp *repo, branch string) map[string]any {
	api := apiHost + "/repos/" + rp.owner.login + "/" + rp.name
	sha := rp.head(branch)
	return map[string]any{
		"ref": "refs/heads/" + branch, "node_id": "REF_" + sha[:10], "url": api + "/git/refs/heads/" + branch,
		"object": map[string]any{"type": "commit", "sha": sha, "url": api + "/git/commits/" + sha},
	}
}

// refOp serves GET /repos/{o}/{r}/git/ref/heads/{branch}
// (https://docs.github.com/en/rest/git/refs#get-a-reference) and PATCH
// /repos/{o}/{r}/git/refs/heads/{branch}
// (https://docs.github.com/en/rest/git/refs#update-a-reference).
func (s *Server) refOp(m, owner, name, ref string, body []byte) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	branch, isHead := strings.CutPrefix(ref, "heads/")
	if !isHead || !rp.branches[branch] {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	switch m {
	case http.MethodGet:
		return reply(http.StatusOK, refBody(rp, branch))
	case http.MethodPatch:
		return s.updateRef(rp, branch, body)
	}
	return reply(http.StatusNotFound, basicError(404, "Not Found"))
}

// updateRef points a branch at another commit. The stand-in keeps no
// commit graph, so it cannot tell a fast-forward: like GitHub for a
// non-fast-forward, it refuses an update without force ("Update is not a
// fast forward", 422) unless the branch is already there. The commit must
// be the head of a branch.
func (s *Server) updateRef(rp *repo, branch string, body []byte) response {
	var q struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if err := decode(body, &q); err != nil {
		return reply(http.StatusUnprocessableEntity, validationError("invalid body", "Reference", "", "invalid"))
	}
	if q.SHA == rp.head(branch) {
		return reply(http.StatusOK, refBody(rp, branch))
	}
	if !q.Force {
		return reply(http.StatusUnprocessableEntity, basicError(422, "Update is not a fast forward"))
	}
	from := ""
	for _, b := range slices.Sorted(maps.Keys(rp.branches)) {
		if rp.head(b) == q.SHA {
			from = b
			break
		}
	}
	if from == "" {
		return reply(http.StatusUnprocessableEntity, basicError(422, "Object does not exist"))
	}
	rp.files[branch] = maps.Clone(rp.files[from])
	if rp.forkPoints == nil {
		rp.forkPoints = map[string]map[string]*file{}
	}
	rp.forkPoints[branch] = maps.Clone(rp.files[from])
	return reply(http.StatusOK, refBody(rp, branch))
}

// createRef serves POST /repos/{o}/{r}/git/refs: a new branch at an
// existing commit (https://docs.github.com/en/rest/git/refs#create-a-reference).
func (s *Server) createRef(owner, name string, body []byte) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	var q struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if err := decode(body, &q); err != nil {
		return reply(http.StatusUnprocessableEntity, validationError("invalid body", "Reference", "", "invalid"))
	}
	branch, ok := strings.CutPrefix(q.Ref, "refs/heads/")
	if !ok || branch == "" {
		return reply(http.StatusUnprocessableEntity, basicError(422, "Reference name must start with 'refs/' and have at least two slashes."))
	}
	if rp.branches[branch] {
		return reply(http.StatusUnprocessableEntity, basicError(422, "Reference already exists"))
	}
	from := ""
	for _, b := range slices.Sorted(maps.Keys(rp.branches)) {
		if rp.head(b) == q.SHA {
			from = b
			break
		}
	}
	if from == "" {
		return reply(http.StatusUnprocessableEntity, basicError(422, "Object does not exist"))
	}
	rp.branches[branch] = true
	rp.files[branch] = maps.Clone(rp.files[from])
	if rp.forkPoints == nil {
		rp.forkPoints = map[string]map[string]*file{}
	}
	rp.forkPoints[branch] = maps.Clone(rp.files[from])
	res := reply(http.StatusCreated, refBody(rp, branch))
	res.header = http.Header{"Location": {apiHost + "/repos/" + owner + "/" + name + "/git/refs/heads/" + branch}}
	return res
}

type pull struct {
	number                  int
	title, body, head, base string
	state                   string // open or closed
	merged                  bool
	user                    account
	created, updated        string
}

// pullsOp serves GET and POST /repos/{o}/{r}/pulls
// (https://docs.github.com/en/rest/pulls/pulls#list-pull-requests,
// https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request).
func (s *Server) pullsOp(ctx context.Context, r *http.Request, owner, name string, body []byte) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		state := q.Get("state")
		if state == "" {
			state = "open"
		}
		// Newest first unless direction=asc: "Default: desc when sort is
		// created or sort is not specified" (list pull requests).
		pulls := slices.Clone(rp.pulls)
		if q.Get("direction") != "asc" {
			slices.Reverse(pulls)
		}
		out := []any{}
		for _, p := range pulls {
			if (state != "all" && p.state != state) || (q.Get("base") != "" && q.Get("base") != p.base) {
				continue
			}
			// head filters by "user:ref-name".
			if h := q.Get("head"); h != "" && !strings.EqualFold(h, rp.owner.login+":"+p.head) {
				continue
			}
			out = append(out, pullBody(rp, p, false))
		}
		return reply(http.StatusOK, out)
	case http.MethodPost:
		var q struct {
			Title string `json:"title"`
			Head  string `json:"head"`
			Base  string `json:"base"`
			Body  string `json:"body"`
		}
		if err := decode(body, &q); err != nil {
			return reply(http.StatusUnprocessableEntity, validationError("invalid body", "PullRequest", "", "invalid"))
		}
		head := q.Head
		if o, b, ok := strings.Cut(head, ":"); ok && strings.EqualFold(o, rp.owner.login) {
			head = b
		}
		if !rp.branches[head] || !rp.branches[q.Base] {
			return reply(http.StatusUnprocessableEntity, pullError("head", "invalid", ""))
		}
		for _, p := range rp.pulls {
			if p.state == "open" && p.head == head && p.base == q.Base {
				return reply(http.StatusUnprocessableEntity, pullError("", "custom", "A pull request already exists for "+rp.owner.login+":"+head+"."))
			}
		}
		if rp.head(head) == rp.head(q.Base) {
			return reply(http.StatusUnprocessableEntity, pullError("", "custom", "No commits between "+q.Base+" and "+head))
		}
		now := ts(s.now())
		p := &pull{number: len(rp.pulls) + 1, title: q.Title, body: q.Body, head: head, base: q.Base, state: "open",
			user: acctOf(ctx), created: now, updated: now}
		rp.pulls = append(rp.pulls, p)
		res := reply(http.StatusCreated, pullBody(rp, p, true))
		res.header = http.Header{"Location": {apiHost + "/repos/" + owner + "/" + name + "/pulls/" + fmt.Sprint(p.number)}}
		return res
	}
	return reply(http.StatusNotFound, basicError(404, "Not Found"))
}

func pullError(field, code, msg string) map[string]any {
	e := map[string]any{"resource": "PullRequest", "code": code}
	if field != "" {
		e["field"] = field
	}
	if msg != "" {
		e["message"] = msg
	}
	return map[string]any{
		"message":           "Validation Failed",
		"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
		"errors":            []any{e},
	}
}

// pullBody renders GitHub's pull-request-simple schema, or pull-request
// when full.
func pullBody(rp *repo, p *pull, full bool) map[string]any {
	api := apiHost + "/repos/" + rp.owner.login + "/" + rp.name
	u := fmt.Sprintf("%s/pulls/%d", api, p.number)
	html := fmt.Sprintf("https://github.com/%s/%s/pull/%d", rp.owner.login, rp.name, p.number)
	issue := fmt.Sprintf("%s/issues/%d", api, p.number)
	sha := rp.head(p.head)
	owner := userBody(rp.owner.login, rp.owner.id, rp.owner.kind)
	side := func(branch string) map[string]any {
		return map[string]any{"label": rp.owner.login + ":" + branch, "ref": branch, "sha": rp.head(branch), "repo": rp.body(), "user": owner}
	}
	link := func(h string) map[string]any { return map[string]any{"href": h} }
	var closed, merged any
	if p.state == "closed" {
		closed = p.updated
	}
	if p.merged {
		merged = p.updated
	}
	b := map[string]any{
		"url": u, "id": rp.id*1000 + int64(p.number), "node_id": fmt.Sprintf("PR_%d_%d", rp.id, p.number),
		"html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue,
		"commits_url": u + "/commits", "review_comments_url": u + "/comments",
		"review_comment_url": api + "/pulls/comments{/number}", "comments_url": issue + "/comments",
		"statuses_url": api + "/statuses/" + sha, "number": p.number, "state": p.state, "locked": false,
		"title": p.title, "user": userBody(p.user.login, p.user.id, p.user.kind), "body": nullable(p.body),
		"labels": []any{}, "milestone": nil, "active_lock_reason": nil, "created_at": p.created,
		"updated_at": p.updated, "closed_at": closed, "merged_at": merged, "merge_commit_sha": nil,
		"assignee": nil, "assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"head": side(p.head), "base": side(p.base), "author_association": "MEMBER", "auto_merge": nil, "draft": false,
		"_links": map[string]any{
			"self": link(u), "html": link(html), "issue": link(issue), "comments": link(issue + "/comments"),
			"review_comments": link(u + "/comments"), "review_comment": link(api + "/pulls/comments{/number}"),
			"commits": link(u + "/commits"), "statuses": link(api + "/statuses/" + sha),
		},
	}
	if full {
		maps.Copy(b, map[string]any{
			"merged": p.merged, "mergeable": true, "rebaseable": true, "mergeable_state": "blocked", "merged_by": nil,
			"comments": 0, "review_comments": 0, "maintainer_can_modify": false, "commits": 1,
			"additions": 1, "deletions": 0, "changed_files": 1,
		})
	}
	return b
}

// PullRequest is a test's view of a pull request.
type PullRequest struct {
	Number     int
	Title      string
	Head, Base string
	State      string
	Merged     bool
}

// PullRequests lists a repository's pull requests, oldest first.
func (s *Server) PullRequests(owner, name string) []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return nil
	}
	out := make([]PullRequest, 0, len(rp.pulls))
	for _, p := range rp.pulls {
		out = append(out, PullRequest{Number: p.number, Title: p.title, Head: p.head, Base: p.base, State: p.state, Merged: p.merged})
	}
	return out
}

// MergePullRequest merges an open pull request as a reviewer would after
// approving it: the changes its head branch made since it was created
// (files added, changed or removed) are committed to the base branch.
func (s *Server) MergePullRequest(owner, name string, number int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok || number < 1 || number > len(rp.pulls) || rp.pulls[number-1].state != "open" {
		return false
	}
	p := rp.pulls[number-1]
	from, head := rp.forkPoints[p.head], rp.files[p.head]
	base := rp.files[p.base]
	if base == nil {
		base = map[string]*file{}
		rp.files[p.base] = base
	}
	for path, f := range head {
		if old, ok := from[path]; !ok || old.sha != f.sha {
			base[path] = f
		}
	}
	for path := range from {
		if _, ok := head[path]; !ok {
			delete(base, path)
		}
	}
	rp.commits++
	rp.commitAt(p.base, s.now())
	p.state, p.merged, p.updated = "closed", true, ts(s.now())
	if rp.deleteBranchOnMerge {
		delete(rp.branches, p.head)
		delete(rp.files, p.head)
	}
	return true
}

// ProtectBranch protects a branch out of band, as an administrator on
// github.com would: pull requests with reviews approving reviews required,
// and enforceAdmins applying the rule to administrators too.
func (s *Server) ProtectBranch(owner, name, branch string, reviews int, enforceAdmins bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok || !rp.branches[branch] {
		return false
	}
	rp.protection[branch] = &protection{pullRequests: true, reviews: reviews, enforceAdmins: enforceAdmins}
	return true
}

// Head is the commit at the tip of a branch, as GET git/ref reports it.
func (s *Server) Head(owner, name, branch string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok || !rp.branches[branch] {
		return ""
	}
	return rp.head(branch)
}

// ClosePullRequest closes an open pull request without merging it, as a
// reviewer refusing it would.
func (s *Server) ClosePullRequest(owner, name string, number int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok || number < 1 || number > len(rp.pulls) || rp.pulls[number-1].state != "open" {
		return false
	}
	p := rp.pulls[number-1]
	p.state, p.updated = "closed", ts(s.now())
	return true
}

// deleteRef serves DELETE /repos/{o}/{r}/git/refs/{ref} for branches
// (https://docs.github.com/en/rest/git/refs#delete-a-reference). GitHub's
// description answers 422 for "Validation failed, an attempt was made to
// delete the default branch"; a missing reference is refused the same
// way ("Reference does not exist"), and so is a protected branch whose
// protection does not allow deletions: "By default, you cannot delete a
// protected branch"
// (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches#allow-deletions).
func (s *Server) deleteRef(owner, name, ref string) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	if rp.archived {
		return reply(http.StatusForbidden, basicError(403, "Repository was archived so is read-only."))
	}
	branch, isHead := strings.CutPrefix(ref, "heads/")
	switch {
	case !isHead || !rp.branches[branch]:
		return reply(http.StatusUnprocessableEntity, basicError(422, "Reference does not exist"))
	case branch == rp.defaultBranch:
		return reply(http.StatusUnprocessableEntity, basicError(422, "Cannot delete the default branch"))
	}
	if p, ok := rp.protection[branch]; ok && !p.allowDeletions {
		return reply(http.StatusUnprocessableEntity, basicError(422, "Cannot delete this protected branch"))
	}
	delete(rp.branches, branch)
	delete(rp.files, branch)
	delete(rp.forkPoints, branch)
	delete(rp.protection, branch)
	return response{status: http.StatusNoContent}
}

// Branches lists a repository's branches, sorted.
func (s *Server) Branches(owner, name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(rp.branches))
}

// BranchProtection is a test's view of a branch's protection.
type BranchProtection struct {
	RequiredReviews int
	EnforceAdmins   bool
	CheckContexts   []string
	LinearHistory   bool
}

// Protection returns a branch's protection, if it has one.
func (s *Server) Protection(owner, name, branch string) (BranchProtection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return BranchProtection{}, false
	}
	p, ok := rp.protection[branch]
	if !ok {
		return BranchProtection{}, false
	}
	return BranchProtection{RequiredReviews: p.reviews, EnforceAdmins: p.enforceAdmins,
		CheckContexts: slices.Clone(p.checkContexts), LinearHistory: p.linearHistory}, true
}
