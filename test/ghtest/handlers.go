package ghtest

import (
	"context"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

func acctOf(ctx context.Context) account {
	a, _ := ctx.Value(ctxKey{}).(account)
	return a
}

// handle dispatches to the operation. s.mu is held.
func (s *Server) handle(ctx context.Context, r *http.Request, body []byte) response {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i := range parts {
		parts[i], _ = url.PathUnescape(parts[i])
	}
	m := r.Method
	switch {
	case m == http.MethodPost && len(parts) == 4 && parts[0] == "app" && parts[1] == "installations" && parts[3] == "access_tokens":
		return s.installationToken(r, parts[2])
	case m == http.MethodGet && len(parts) == 3 && parts[0] == "app" && parts[1] == "installations":
		return s.getInstallation(r, parts[2])
	case m == http.MethodGet && len(parts) == 1 && parts[0] == "user":
		if _, ok := s.tokenInstallation[tokenOf(r)]; ok {
			// "Get the authenticated user" is for users' tokens; GitHub
			// refuses an installation token (its answer as users report
			// it, e.g. actions/create-github-app-token#258).
			return reply(http.StatusForbidden, basicError(403, "Resource not accessible by integration"))
		}
		a := acctOf(ctx)
		return reply(http.StatusOK, s.privateUser(a))
	case m == http.MethodPost && len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos":
		org, ok := s.accounts[lower(parts[1])]
		if !ok || org.kind != "Organization" {
			return reply(http.StatusNotFound, basicError(404, "Not Found"))
		}
		return s.withPermissions(ctx, s.createRepo(org, body, ""))
	case m == http.MethodPost && len(parts) == 2 && parts[0] == "user" && parts[1] == "repos":
		return s.withPermissions(ctx, s.createRepo(acctOf(ctx), body, ""))
	case m == http.MethodGet && len(parts) == 2 && parts[0] == "users":
		a, ok := s.accounts[lower(parts[1])]
		if !ok {
			return reply(http.StatusNotFound, basicError(404, "Not Found"))
		}
		return reply(http.StatusOK, publicUser(a))
	}
	switch {
	case len(parts) >= 2 && parts[0] == "repositories":
		// Where GitHub's redirects for a renamed repository point: every
		// operation of /repos/{owner}/{repo}/... is served under
		// /repositories/{id}/... too.
		id, err := strconv.ParseInt(parts[1], 10, 64)
		rp := s.repoByID(id)
		if err != nil || rp == nil {
			return reply(http.StatusNotFound, basicError(404, "Not Found"))
		}
		parts = append([]string{"repos", rp.owner.login, rp.name}, parts[2:]...)
	case len(parts) >= 3 && parts[0] == "repos":
		if res, ok := s.redirect(r, parts[1], parts[2]); ok {
			return res
		}
	}
	switch {
	case len(parts) == 3 && parts[0] == "repos":
		return s.withPermissions(ctx, s.repoOp(m, parts[1], parts[2], body))
	case m == http.MethodPost && len(parts) == 4 && parts[0] == "repos" && parts[3] == "generate":
		return s.withPermissions(ctx, s.generate(parts[1], parts[2], body))
	case len(parts) == 4 && parts[0] == "repos" && parts[3] == "topics" && m == http.MethodPut:
		return s.replaceTopics(parts[1], parts[2], body)
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "branches" && parts[5] == "protection":
		if res, refused := s.refuseWithoutAdmin(ctx); refused {
			return res
		}
		return s.protectionOp(m, parts[1], parts[2], parts[4], body)
	case len(parts) >= 6 && parts[0] == "repos" && parts[3] == "git" && parts[4] == "refs" && m == http.MethodDelete:
		return s.deleteRef(parts[1], parts[2], strings.Join(parts[5:], "/"))
	case len(parts) >= 6 && parts[0] == "repos" && parts[3] == "git" && (parts[4] == "ref" || parts[4] == "refs" && m == http.MethodPatch):
		return s.refOp(m, parts[1], parts[2], strings.Join(parts[5:], "/"), body)
	case len(parts) == 7 && parts[0] == "orgs" && parts[2] == "teams" && parts[4] == "repos":
		return s.teamRepoOp(r, parts[1], parts[3], parts[5], parts[6], body)
	case len(parts) == 5 && parts[0] == "repos" && parts[3] == "git" && parts[4] == "refs" && m == http.MethodPost:
		return s.createRef(parts[1], parts[2], body)
	case len(parts) == 4 && parts[0] == "repos" && parts[3] == "pulls":
		return s.pullsOp(ctx, r, parts[1], parts[2], body)
	case len(parts) == 5 && parts[0] == "repos" && parts[3] == "commits" && m == http.MethodGet:
		return s.commitOp(parts[1], parts[2], parts[4])
	case len(parts) >= 5 && parts[0] == "repos" && parts[3] == "contents":
		return s.contentsOp(ctx, r, parts[1], parts[2], strings.Join(parts[4:], "/"), body)
	}
	return reply(http.StatusNotFound, basicError(404, "Not Found"))
}

// redirect answers a request for a renamed repository's old name, and
// for anything under it, as GitHub does: 301 for GET, 307 for other
// methods, to the same operation under /repositories/{id}
// (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#follow-redirects).
// The redirect lasts until a repository is created under the old name
// (https://docs.github.com/en/repositories/creating-and-managing-repositories/renaming-a-repository):
// newRepo drops it then.
func (s *Server) redirect(r *http.Request, owner, name string) (response, bool) {
	if _, ok := s.repos[lower(owner+"/"+name)]; ok {
		return response{}, false
	}
	id, ok := s.redirects[lower(owner+"/"+name)]
	if !ok || s.repoByID(id) == nil {
		return response{}, false
	}
	// The rest of the path, as the client escaped it: /repos/{o}/{r}<rest>.
	rest := r.URL.EscapedPath()
	for range 3 {
		if i := strings.Index(rest[1:], "/"); i >= 0 {
			rest = rest[i+1:]
		} else {
			rest = ""
		}
	}
	loc := "http://" + r.Host + "/repositories/" + strconv.FormatInt(id, 10) + rest
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	status, msg := http.StatusMovedPermanently, "Moved Permanently"
	if r.Method != http.MethodGet {
		status, msg = http.StatusTemporaryRedirect, "Temporary Redirect"
	}
	b := basicError(status, msg)
	b["url"] = loc
	res := reply(status, b)
	res.header = http.Header{"Location": {loc}}
	return res, true
}

// publicUser is GET /users/{username}'s public-user body.
func publicUser(a account) map[string]any {
	u := userBody(a.login, a.id, a.kind)
	maps.Copy(u, map[string]any{
		"name": nil, "company": nil, "blog": "", "location": nil, "email": nil, "hireable": nil, "bio": nil,
		"public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z", "user_view_type": "public",
	})
	return u
}

func (s *Server) privateUser(a account) map[string]any {
	u := userBody(a.login, a.id, a.kind)
	maps.Copy(u, map[string]any{
		"name": nil, "company": nil, "blog": "", "location": nil, "email": nil, "hireable": nil, "bio": nil,
		"public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
		"created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
		"private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0, "disk_usage": 0,
		"collaborators": 0, "two_factor_authentication": true, "user_view_type": "private",
	})
	return u
}

type createReq struct {
	Name                string  `json:"name"`
	Description         *string `json:"description"`
	Private             *bool   `json:"private"`
	Visibility          *string `json:"visibility"`
	AutoInit            *bool   `json:"auto_init"`
	AllowMergeCommit    *bool   `json:"allow_merge_commit"`
	AllowSquashMerge    *bool   `json:"allow_squash_merge"`
	AllowRebaseMerge    *bool   `json:"allow_rebase_merge"`
	DeleteBranchOnMerge *bool   `json:"delete_branch_on_merge"`
	Archived            *bool   `json:"archived"`
	DefaultBranch       *string `json:"default_branch"`
	Owner               string  `json:"owner"`
	IncludeAllBranches  bool    `json:"include_all_branches"`
}

func visibilityOf(c createReq, fallback string) string {
	switch {
	case c.Visibility != nil:
		return *c.Visibility
	case c.Private != nil && *c.Private:
		return "private"
	case c.Private != nil:
		return "public"
	}
	return fallback
}

func (s *Server) createRepo(owner account, body []byte, template string) response {
	var c createReq
	if err := decode(body, &c); err != nil || c.Name == "" {
		return reply(http.StatusUnprocessableEntity, validationError("name is missing", "Repository", "name", "missing_field"))
	}
	if _, ok := s.repos[lower(owner.login+"/"+c.Name)]; ok {
		return reply(http.StatusUnprocessableEntity, validationError("name already exists on this account", "Repository", "name", "custom"))
	}
	desc := ""
	if c.Description != nil {
		desc = *c.Description
	}
	rp := s.newRepo(owner, c.Name, visibilityOf(c, "public"), desc, (c.AutoInit != nil && *c.AutoInit) || template != "")
	rp.template = template
	s.applyEdit(rp, c)
	s.stats.RepoCreates++
	res := reply(http.StatusCreated, rp.body())
	res.header = http.Header{"Location": {apiHost + "/repos/" + owner.login + "/" + c.Name}}
	return res
}

func (s *Server) generate(tOwner, tRepo string, body []byte) response {
	t, ok := s.repos[lower(tOwner+"/"+tRepo)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	if !t.isTemplate {
		// Only a repository marked as a template can be generated from:
		// "To check if a repository is available to use as a template, get
		// the repository's information ... and check that the is_template
		// key is true"
		// (https://docs.github.com/en/rest/repos/repos#create-a-repository-using-a-template).
		// The description lists no error answer; GitHub refuses with 422.
		return reply(http.StatusUnprocessableEntity, basicError(422, tOwner+"/"+tRepo+" is not a template repository"))
	}
	var c createReq
	if err := decode(body, &c); err != nil {
		return reply(http.StatusUnprocessableEntity, validationError("invalid body", "Repository", "name", "invalid"))
	}
	owner, ok := s.accounts[lower(c.Owner)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	res := s.createRepo(owner, body, tOwner+"/"+tRepo)
	if rp := s.repos[lower(owner.login+"/"+c.Name)]; rp != nil && res.status == http.StatusCreated {
		// The new repository has the template's files and directories,
		// from its default branch only unless include_all_branches is set
		// (https://docs.github.com/en/rest/repos/repos#create-a-repository-using-a-template).
		// The stand-in copies the default branch; GitHub answers before it
		// has copied it.
		files := map[string]*file{}
		maps.Copy(files, t.files[t.defaultBranch])
		if len(files) > 0 {
			rp.files[rp.defaultBranch] = files
			rp.commitAt(rp.defaultBranch, s.now())
		}
		rp.gitPending = s.generateLag
	}
	return res
}

func (s *Server) applyEdit(rp *repo, c createReq) {
	if c.Description != nil {
		rp.description = *c.Description
	}
	if c.Visibility != nil || c.Private != nil {
		rp.visibility = visibilityOf(c, rp.visibility)
	}
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&rp.allowMergeCommit, c.AllowMergeCommit)
	set(&rp.allowSquashMerge, c.AllowSquashMerge)
	set(&rp.allowRebaseMerge, c.AllowRebaseMerge)
	set(&rp.deleteBranchOnMerge, c.DeleteBranchOnMerge)
	set(&rp.archived, c.Archived)
	rp.updated = s.now()
}

func (s *Server) repoOp(m, owner, name string, body []byte) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	switch m {
	case http.MethodGet:
		return reply(http.StatusOK, rp.body())
	case http.MethodDelete:
		delete(s.repos, lower(owner+"/"+name))
		s.stats.RepoDeletes++
		return response{status: http.StatusNoContent}
	case http.MethodPatch:
		var c createReq
		if err := decode(body, &c); err != nil {
			return reply(http.StatusUnprocessableEntity, validationError("invalid body", "Repository", "", "invalid"))
		}
		if rp.archived && (c.Archived == nil || *c.Archived) {
			return reply(http.StatusForbidden, basicError(403, "Repository was archived so is read-only."))
		}
		if c.Name != "" && c.Name != rp.name && !s.rename(rp, c.Name) {
			return reply(http.StatusUnprocessableEntity, validationError("name already exists on this account", "Repository", "name", "custom"))
		}
		if c.DefaultBranch != nil && *c.DefaultBranch != rp.defaultBranch {
			if !rp.branches[*c.DefaultBranch] {
				return reply(http.StatusUnprocessableEntity, validationError("The branch "+*c.DefaultBranch+" was not found.", "Repository", "default_branch", "invalid"))
			}
			rp.defaultBranch = *c.DefaultBranch
		}
		s.applyEdit(rp, c)
		return reply(http.StatusOK, rp.body())
	}
	return reply(http.StatusNotFound, basicError(404, "Not Found"))
}

func (s *Server) replaceTopics(owner, name string, body []byte) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	var t struct {
		Names []string `json:"names"`
	}
	if err := decode(body, &t); err != nil {
		return reply(http.StatusUnprocessableEntity, validationError("invalid body", "Repository", "names", "invalid"))
	}
	rp.topics = []string{}
	for _, n := range t.Names {
		n = lower(n)
		if !slices.Contains(rp.topics, n) {
			rp.topics = append(rp.topics, n)
		}
	}
	rp.updated = s.now()
	return reply(http.StatusOK, map[string]any{"names": rp.topics})
}

type protectionReq struct {
	RequiredStatusChecks *struct {
		Strict   bool     `json:"strict"`
		Contexts []string `json:"contexts"`
		Checks   []struct {
			Context string `json:"context"`
			AppID   *int64 `json:"app_id"`
		} `json:"checks"`
	} `json:"required_status_checks"`
	EnforceAdmins              *bool `json:"enforce_admins"`
	RequiredPullRequestReviews *struct {
		DismissStaleReviews          bool `json:"dismiss_stale_reviews"`
		RequireCodeOwnerReviews      bool `json:"require_code_owner_reviews"`
		RequiredApprovingReviewCount int  `json:"required_approving_review_count"`
		RequireLastPushApproval      bool `json:"require_last_push_approval"`
	} `json:"required_pull_request_reviews"`
	Restrictions *struct {
		Users []string `json:"users"`
	} `json:"restrictions"`
	RequiredLinearHistory bool `json:"required_linear_history"`
	AllowForcePushes      bool `json:"allow_force_pushes"`
	AllowDeletions        bool `json:"allow_deletions"`
}

// gitEmpty reports (and counts down) whether a repository still being
// generated from its template has no git data yet.
func gitEmpty(rp *repo) bool {
	if rp.gitPending > 0 {
		rp.gitPending--
		return true
	}
	return false
}

func (s *Server) protectionOp(m, owner, name, branch string, body []byte) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	if rp.visibility != "public" && s.freePlan[lower(rp.owner.login)] {
		// GitHub's answer for a private repository on GitHub Free.
		return reply(http.StatusForbidden, basicError(403, "Upgrade to GitHub Pro or make this repository public to enable this feature."))
	}
	if gitEmpty(rp) || !rp.branches[branch] {
		return reply(http.StatusNotFound, basicError(404, "Branch not found"))
	}
	switch m {
	case http.MethodGet:
		p, ok := rp.protection[branch]
		if !ok {
			return reply(http.StatusNotFound, basicError(404, "Branch not protected"))
		}
		return reply(http.StatusOK, protectionBody(owner, name, branch, p))
	case http.MethodDelete:
		if _, ok := rp.protection[branch]; !ok {
			return reply(http.StatusNotFound, basicError(404, "Branch not protected"))
		}
		delete(rp.protection, branch)
		return response{status: http.StatusNoContent}
	case http.MethodPut:
		if rp.archived {
			return reply(http.StatusForbidden, basicError(403, "Repository was archived so is read-only."))
		}
		var q protectionReq
		if err := decode(body, &q); err != nil {
			return reply(http.StatusUnprocessableEntity, validationError("invalid body", "Protection", "", "invalid"))
		}
		p := &protection{}
		if q.EnforceAdmins != nil {
			p.enforceAdmins = *q.EnforceAdmins
		}
		if rv := q.RequiredPullRequestReviews; rv != nil {
			p.pullRequests = true
			p.reviews, p.dismissStale, p.codeOwners = rv.RequiredApprovingReviewCount, rv.DismissStaleReviews, rv.RequireCodeOwnerReviews
			p.lastPushApproval = rv.RequireLastPushApproval
		}
		if rs := q.Restrictions; rs != nil {
			p.restricted, p.pushUsers = true, append([]string{}, rs.Users...)
		}
		// The PUT replaces the whole protection: what it leaves out is off.
		p.linearHistory, p.allowForcePushes, p.allowDeletions = q.RequiredLinearHistory, q.AllowForcePushes, q.AllowDeletions
		if c := q.RequiredStatusChecks; c != nil {
			if c.Contexts != nil && c.Checks != nil {
				// GitHub takes one of the two: "The GitHub API does not
				// allow you to pass both the contexts field and the checks
				// field together" (integrations/terraform-provider-github#1212:
				// 422 "More than one subschema in \"oneOf\" matched").
				return reply(http.StatusUnprocessableEntity, basicError(422, "Invalid request.\n\nMore than one subschema in \"oneOf\" matched."))
			}
			p.checks, p.strict, p.checkApps = true, c.Strict, map[string]int64{}
			// contexts (closing down): "If any of these checks have
			// recently been set by a particular GitHub App, they will be
			// required to come from that app in future"; app_id omitted:
			// the same; -1: any app (GitHub's description of
			// PUT /repos/{owner}/{repo}/branches/{branch}/protection).
			for _, ctx := range c.Contexts {
				p.checkContexts = append(p.checkContexts, ctx)
				if app := rp.checkSetBy[ctx]; app > 0 {
					p.checkApps[ctx] = app
				}
			}
			for _, ch := range c.Checks {
				p.checkContexts = append(p.checkContexts, ch.Context)
				switch {
				case ch.AppID == nil:
					if app := rp.checkSetBy[ch.Context]; app > 0 {
						p.checkApps[ch.Context] = app
					}
				case *ch.AppID > 0:
					p.checkApps[ch.Context] = *ch.AppID
				}
			}
			if p.checkContexts == nil {
				p.checkContexts = []string{}
			}
		}
		rp.protection[branch] = p
		return reply(http.StatusOK, protectionBody(owner, name, branch, p))
	}
	return reply(http.StatusNotFound, basicError(404, "Not Found"))
}

func protectionBody(owner, name, branch string, p *protection) map[string]any {
	u := apiHost + "/repos/" + owner + "/" + name + "/branches/" + branch + "/protection"
	b := map[string]any{
		"url":            u,
		"enforce_admins": map[string]any{"url": u + "/enforce_admins", "enabled": p.enforceAdmins},
		"required_pull_request_reviews": map[string]any{
			"url":                             u + "/required_pull_request_reviews",
			"dismiss_stale_reviews":           p.dismissStale,
			"require_code_owner_reviews":      p.codeOwners,
			"required_approving_review_count": p.reviews,
			"require_last_push_approval":      p.lastPushApproval,
		},
		"required_linear_history": map[string]any{"enabled": p.linearHistory},
		"allow_force_pushes":      map[string]any{"enabled": p.allowForcePushes},
		"allow_deletions":         map[string]any{"enabled": p.allowDeletions},
	}
	if p.restricted {
		users := []any{}
		for _, login := range p.pushUsers {
			users = append(users, userBody(login, 1, "User"))
		}
		b["restrictions"] = map[string]any{
			"url": u + "/restrictions", "users_url": u + "/restrictions/users", "teams_url": u + "/restrictions/teams",
			"apps_url": u + "/restrictions/apps", "users": users, "teams": []any{}, "apps": []any{},
		}
	}
	if p.checks {
		// Every check with the app it is bound to; null when any app
		// may set it (status-check-policy's checks[].app_id is a
		// nullable integer in GitHub's description).
		checks := []any{}
		for _, c := range p.checkContexts {
			var app any
			if id, ok := p.checkApps[c]; ok && id > 0 {
				app = id
			}
			checks = append(checks, map[string]any{"context": c, "app_id": app})
		}
		b["required_status_checks"] = map[string]any{
			"url": u + "/required_status_checks", "strict": p.strict, "contexts": append([]string{}, p.checkContexts...),
			"contexts_url": u + "/required_status_checks/contexts", "checks": checks,
		}
	}
	return b
}

type contentReq struct {
	Message string  `json:"message"`
	Content string  `json:"content"`
	SHA     *string `json:"sha"`
	Branch  *string `json:"branch"`
}

func (s *Server) contentsOp(ctx context.Context, r *http.Request, owner, name, path string, body []byte) response {
	rp, ok := s.repos[lower(owner+"/"+name)]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	var q contentReq
	branch := r.URL.Query().Get("ref")
	if r.Method != http.MethodGet {
		if err := decode(body, &q); err != nil {
			return reply(http.StatusUnprocessableEntity, validationError("invalid body", "Content", "", "invalid"))
		}
		if q.Branch != nil {
			branch = *q.Branch
		}
	}
	if branch == "" {
		branch = rp.defaultBranch
	}
	if gitEmpty(rp) {
		// GitHub has created the repository but not yet its git data:
		// no branch to read from or commit to.
		return reply(http.StatusNotFound, basicError(404, "This repository is empty."))
	}
	files := rp.files[branch]
	f := files[path]
	if base, ok := ctx.Value(writeBaseKey{}).(string); ok && rp.branches[branch] && rp.head(branch) != base {
		// Another write moved the branch while this one was under way
		// (see contentWriteBase).
		return reply(http.StatusConflict, basicError(409, "is at "+rp.head(branch)+" but expected "+base))
	}
	switch r.Method {
	case http.MethodGet:
		if f == nil {
			return reply(http.StatusNotFound, basicError(404, "Not Found"))
		}
		res := reply(http.StatusOK, contentBody(owner, name, path, branch, f))
		if rawRequested(r) {
			res.raw = f.content
		}
		return res
	case http.MethodPut:
		if rp.archived {
			return reply(http.StatusForbidden, basicError(403, "Repository was archived so is read-only."))
		}
		if !rp.branches[branch] && len(rp.branches) > 0 {
			return reply(http.StatusNotFound, basicError(404, "Branch "+branch+" not found"))
		}
		if res, refused := refuseProtected(rp, branch, f == nil); refused {
			return res
		}
		if f != nil && (q.SHA == nil || *q.SHA == "") {
			// GitHub answers a replacement without the current blob SHA
			// with 422 "\"sha\" wasn't supplied."
			return reply(http.StatusUnprocessableEntity, basicError(422, "Invalid request.\n\n\"sha\" wasn't supplied."))
		}
		if f != nil && *q.SHA != f.sha {
			return reply(http.StatusConflict, basicError(409, path+" does not match "+deref(q.SHA)))
		}
		if f == nil && q.SHA != nil {
			return reply(http.StatusUnprocessableEntity, validationError("sha wasn't supplied correctly", "Content", "sha", "invalid"))
		}
		content, err := base64.StdEncoding.DecodeString(q.Content)
		if err != nil {
			return reply(http.StatusUnprocessableEntity, validationError("content is not valid Base64", "Content", "content", "invalid"))
		}
		status := http.StatusOK
		if f == nil {
			status = http.StatusCreated
		}
		if rp.files[branch] == nil {
			rp.files[branch] = map[string]*file{}
			rp.branches[branch] = true
		}
		nf := &file{content: content, sha: blobSHA(content)}
		rp.files[branch][path] = nf
		rp.commits++
		rp.commitAt(branch, s.now())
		return reply(status, s.fileCommit(rp, path, branch, nf, q.Message))
	case http.MethodDelete:
		if f == nil {
			return reply(http.StatusNotFound, basicError(404, "Not Found"))
		}
		if q.SHA == nil || *q.SHA != f.sha {
			return reply(http.StatusConflict, basicError(409, path+" does not match"))
		}
		if rp.archived {
			return reply(http.StatusForbidden, basicError(403, "Repository was archived so is read-only."))
		}
		if res, refused := refuseProtected(rp, branch, false); refused {
			return res
		}
		delete(files, path)
		rp.commits++
		rp.commitAt(branch, s.now())
		return reply(http.StatusOK, s.fileCommit(rp, path, branch, nil, q.Message))
	}
	return reply(http.StatusNotFound, basicError(404, "Not Found"))
}

// rawRequested reports whether a contents request asks for the file's raw
// bytes: "application/vnd.github.raw+json: Returns the raw file contents
// for files and symlinks"
// (https://docs.github.com/en/rest/repos/contents#get-repository-content),
// also spelt with the API version, application/vnd.github.v3.raw
// (https://docs.github.com/en/rest/using-the-rest-api/media-types), as
// Backstage's GitHub URL reader asks for a catalog file.
func rawRequested(r *http.Request) bool {
	for a := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt := strings.TrimSpace(strings.SplitN(a, ";", 2)[0])
		if mt == "application/vnd.github.raw+json" || mt == "application/vnd.github.raw" || mt == "application/vnd.github.v3.raw" {
			return true
		}
	}
	return false
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func contentBody(owner, name, path, branch string, f *file) map[string]any {
	u := apiHost + "/repos/" + owner + "/" + name + "/contents/" + path + "?ref=" + branch
	html := "https://github.com/" + owner + "/" + name + "/blob/" + branch + "/" + path
	git := apiHost + "/repos/" + owner + "/" + name + "/git/blobs/" + f.sha
	parts := strings.Split(path, "/")
	return map[string]any{
		"type": "file", "encoding": "base64", "size": len(f.content), "name": parts[len(parts)-1], "path": path,
		"content": b64(f.content), "sha": f.sha, "url": u, "git_url": git, "html_url": html,
		"download_url": "https://raw.githubusercontent.com/" + owner + "/" + name + "/" + branch + "/" + path,
		"_links":       map[string]any{"self": u, "git": git, "html": html},
	}
}

func (s *Server) fileCommit(rp *repo, path, branch string, f *file, msg string) map[string]any {
	owner, name := rp.owner.login, rp.name
	sha := rp.head(branch)
	cu := apiHost + "/repos/" + owner + "/" + name + "/git/commits/" + sha
	var content any
	if f != nil {
		c := contentBody(owner, name, path, branch, f)
		delete(c, "content")
		delete(c, "encoding")
		content = c
	}
	person := map[string]any{"date": ts(s.now()), "name": "paved", "email": "paved@example.com"}
	return map[string]any{
		"content": content,
		"commit": map[string]any{
			"sha": sha, "node_id": "C_" + sha[:10], "url": cu, "html_url": "https://github.com/" + owner + "/" + name + "/commit/" + sha,
			"author": person, "committer": person, "message": msg,
			"tree":         map[string]any{"url": cu, "sha": sha},
			"parents":      []any{},
			"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil},
		},
	}
}
