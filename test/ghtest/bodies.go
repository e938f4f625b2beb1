package ghtest

import (
	"fmt"
	"strings"
	"time"
)

const apiHost = "https://api.github.com"

func userBody(login string, id int64, kind string) map[string]any {
	u := apiHost + "/users/" + login
	return map[string]any{
		"login": login, "id": id, "node_id": fmt.Sprintf("U_%d", id),
		"avatar_url": "https://avatars.githubusercontent.com/u/" + fmt.Sprint(id), "gravatar_id": "",
		"url": u, "html_url": "https://github.com/" + login,
		"followers_url": u + "/followers", "following_url": u + "/following{/other_user}",
		"gists_url": u + "/gists{/gist_id}", "starred_url": u + "/starred{/owner}{/repo}",
		"subscriptions_url": u + "/subscriptions", "organizations_url": u + "/orgs",
		"repos_url": u + "/repos", "events_url": u + "/events{/privacy}",
		"received_events_url": u + "/received_events", "type": kind, "site_admin": false,
	}
}

// urlFields are the templated URL fields every repository body carries,
// relative to the repository's API URL.
var urlFields = map[string]string{
	"archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
	"blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
	"collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
	"commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
	"contents_url": "/contents/{+path}", "contributors_url": "/contributors",
	"deployments_url": "/deployments", "downloads_url": "/downloads", "events_url": "/events",
	"forks_url": "/forks", "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}",
	"git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks",
	"issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
	"issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
	"languages_url": "/languages", "merges_url": "/merges", "milestones_url": "/milestones{/number}",
	"notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
	"releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
	"subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
	"teams_url": "/teams", "trees_url": "/git/trees{/sha}",
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// body renders a repository as GitHub's full-repository schema.
func (r *repo) body() map[string]any {
	full := r.owner.login + "/" + r.name
	api := apiHost + "/repos/" + full
	b := map[string]any{
		"id": r.id, "node_id": fmt.Sprintf("R_%d", r.id), "name": r.name, "full_name": full,
		"owner": userBody(r.owner.login, r.owner.id, r.owner.kind), "private": r.visibility != "public",
		"visibility": r.visibility, "html_url": "https://github.com/" + full, "description": nullable(r.description),
		"fork": false, "url": api, "clone_url": "https://github.com/" + full + ".git",
		"git_url": "git://github.com/" + full + ".git", "ssh_url": "git@github.com:" + full + ".git",
		"svn_url": "https://github.com/" + full, "mirror_url": nil, "homepage": nil, "language": nil,
		"forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers_count": 0, "watchers": 0,
		"size": 0, "default_branch": r.defaultBranch, "open_issues": 0, "open_issues_count": 0,
		"is_template": r.isTemplate, "topics": append([]string{}, r.topics...), "has_issues": true,
		"has_projects": true, "has_wiki": true, "has_pages": false, "has_downloads": true,
		"has_discussions": false, "archived": r.archived, "disabled": false,
		"pushed_at": ts(r.updated), "created_at": ts(r.created), "updated_at": ts(r.updated),
		"allow_merge_commit": r.allowMergeCommit, "allow_squash_merge": r.allowSquashMerge,
		"allow_rebase_merge": r.allowRebaseMerge, "delete_branch_on_merge": r.deleteBranchOnMerge,
		"allow_auto_merge": false, "allow_forking": true, "web_commit_signoff_required": false,
		"network_count": 0, "subscribers_count": 0, "license": nil,
		"permissions": map[string]any{"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
	}
	for k, v := range urlFields {
		b[k] = api + v
	}
	if r.owner.kind == "Organization" {
		b["organization"] = userBody(r.owner.login, r.owner.id, r.owner.kind)
	}
	if r.template != "" {
		b["template_repository"] = nil
	}
	return b
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func basicError(status int, msg string) map[string]any {
	return map[string]any{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest",
		"status":            fmt.Sprint(status),
	}
}

func validationError(msg, resource, field, code string) map[string]any {
	return map[string]any{
		"message":           "Repository creation failed.",
		"documentation_url": "https://docs.github.com/rest/repos/repos#create-an-organization-repository",
		"errors": []any{map[string]any{
			"resource": resource, "code": code, "field": field, "message": msg,
		}},
	}
}

func lower(s string) string { return strings.ToLower(s) }
