package ghtest

import (
	"net/http"
	"slices"
	"strings"
)

// A team of an organisation and its direct access to repositories.
type team struct {
	id    int64
	slug  string
	repos map[int64]string // repository id -> permission (pull, triage, push, maintain, admin)
}

// teamPermissions are the permissions GitHub accepts for a team on a
// repository, weakest first: "pull, triage, push, maintain, admin" (PUT
// /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}). Custom repository
// roles are not modelled.
var teamPermissions = []string{"pull", "triage", "push", "maintain", "admin"}

// roleNames are the roles GitHub reports (role_name) for each permission:
// pull is the Read role, push the Write role
// (https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization).
var roleNames = map[string]string{"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain", "admin": "admin"}

// AddTeam creates a team in an organisation.
func (s *Server) AddTeam(org, slug string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.teams[lower(org)] == nil {
		s.teams[lower(org)] = map[string]*team{}
	}
	s.nextID++
	s.teams[lower(org)][lower(slug)] = &team{id: s.nextID, slug: slug, repos: map[int64]string{}}
}

// GrantTeamOutOfBand gives a team a permission on a repository, as an
// organisation owner would on github.com; an empty permission removes the
// access.
func (s *Server) GrantTeamOutOfBand(org, slug, owner, name, permission string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[lower(org)][lower(slug)]
	rp, ok := s.repos[lower(owner+"/"+name)]
	if t == nil || !ok {
		return false
	}
	if permission == "" {
		delete(t.repos, rp.id)
	} else {
		t.repos[rp.id] = permission
	}
	return true
}

// TeamPermission is a team's permission on a repository ("" when it has
// none).
func (s *Server) TeamPermission(org, slug, owner, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[lower(org)][lower(slug)]
	rp, ok := s.repos[lower(owner+"/"+name)]
	if t == nil || !ok {
		return ""
	}
	return t.repos[rp.id]
}

// repositoryMediaType is the Accept media type that makes GET
// /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo} answer 200 with the
// team's permissions; without it GitHub answers 204 (GitHub's description
// of that 204: the answer when the Accept header lacks the repository
// media type).
const repositoryMediaType = "application/vnd.github.v3.repository+json"

// teamRepoOp serves GET, PUT and DELETE
// /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}.
func (s *Server) teamRepoOp(r *http.Request, org, slug, owner, name string, body []byte) response {
	t := s.teams[lower(org)][lower(slug)]
	rp, ok := s.repos[lower(owner+"/"+name)]
	if t == nil || !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	switch r.Method {
	case http.MethodGet:
		perm, ok := t.repos[rp.id]
		if !ok {
			// "Not Found if team does not have permission for the
			// repository".
			return reply(http.StatusNotFound, basicError(404, "Not Found"))
		}
		if !strings.Contains(r.Header.Get("Accept"), repositoryMediaType) {
			return response{status: http.StatusNoContent}
		}
		b := rp.body()
		i := slices.Index(teamPermissions, perm)
		b["permissions"] = map[string]any{
			"pull": i >= 0, "triage": i >= 1, "push": i >= 2, "maintain": i >= 3, "admin": i >= 4,
		}
		b["role_name"] = roleNames[perm]
		return reply(http.StatusOK, b)
	case http.MethodPut:
		// "You will get a 422 Unprocessable Entity status if you attempt
		// to add a repository to a team that is not owned by the
		// organization."
		if !strings.EqualFold(rp.owner.login, org) {
			return reply(http.StatusUnprocessableEntity, validationError("Repository must be owned by the organization", "Team", "repository", "invalid"))
		}
		var q struct {
			Permission *string `json:"permission"`
		}
		if len(body) > 0 {
			if err := decode(body, &q); err != nil {
				return reply(http.StatusUnprocessableEntity, validationError("invalid body", "Team", "permission", "invalid"))
			}
		}
		// "If no permission is specified, the team's permission attribute
		// will be used": the stand-in's teams have the default, pull.
		perm := "pull"
		if q.Permission != nil {
			perm = *q.Permission
		}
		if !slices.Contains(teamPermissions, perm) {
			return reply(http.StatusUnprocessableEntity, validationError("permission is not valid", "Team", "permission", "invalid"))
		}
		t.repos[rp.id] = perm
		return response{status: http.StatusNoContent}
	case http.MethodDelete:
		delete(t.repos, rp.id)
		return response{status: http.StatusNoContent}
	}
	return reply(http.StatusNotFound, basicError(404, "Not Found"))
}
