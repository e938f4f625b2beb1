package ghtest

import (
	"context"
	"net/http"
)

// SetAdmin gives the tokens of account login admin on every repository
// (the default) or takes it away, leaving them write access: "push" but
// not "admin" in a repository's permissions, as for an organisation member
// without the admin role or a GitHub App installation without the
// Administration permission.
func (s *Server) SetAdmin(login string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if admin {
		delete(s.notAdmin, lower(login))
		return
	}
	s.notAdmin[lower(login)] = true
}

func (s *Server) isAdmin(a account) bool { return !s.notAdmin[lower(a.login)] }

// refuseWithoutAdmin answers a branch protection request of a caller
// without admin on the repository as GitHub does: 404, not 403. Branch
// protection needs the "Administration" repository permission
// (https://docs.github.com/en/rest/branches/branch-protection#get-branch-protection),
// and GitHub answers 404 where a 403 would tell what exists
// (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#404-not-found-for-an-existing-resource).
func (s *Server) refuseWithoutAdmin(ctx context.Context) (response, bool) {
	if s.isAdmin(acctOf(ctx)) {
		return response{}, false
	}
	return reply(http.StatusNotFound, basicError(404, "Not Found")), true
}

// withPermissions sets a repository body's permissions to the caller's.
func (s *Server) withPermissions(ctx context.Context, res response) response {
	b, ok := res.body.(map[string]any)
	if !ok || b["permissions"] == nil || s.isAdmin(acctOf(ctx)) {
		return res
	}
	b["permissions"] = map[string]any{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true}
	return res
}

// TransferOutOfBand transfers a repository to another account, as its
// owner would on github.com. Its id stays; its old name redirects to it
// ("all links to the previous repository location are automatically
// redirected to the new location",
// https://docs.github.com/en/repositories/creating-and-managing-repositories/transferring-a-repository#whats-transferred-with-a-repository)
// the way a renamed repository's does: 301 for GET, 307 otherwise, to
// /repositories/{id}, until a repository is created under the old name.
func (s *Server) TransferOutOfBand(owner, name, newOwner string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[lower(owner+"/"+name)]
	a, known := s.accounts[lower(newOwner)]
	if !ok || !known {
		return false
	}
	to := lower(a.login + "/" + r.name)
	if _, taken := s.repos[to]; taken {
		return false
	}
	from := lower(r.owner.login + "/" + r.name)
	delete(s.repos, from)
	s.redirects[from] = r.id
	r.owner = a
	s.repos[to] = r
	delete(s.redirects, to)
	r.updated = s.now()
	return true
}
