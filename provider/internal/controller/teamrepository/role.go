package teamrepository

import (
	gh "github.com/google/go-github/v85/github"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// GitHub names a permission one way when it is granted (PUT ...: pull,
// triage, push, maintain, admin) and another when it reports a role
// (role_name: read, triage, write, maintain, admin): "pull" is the Read
// role and "push" the Write role
// (https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization,
// and the description of PUT /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}).
var roleOf = map[string]string{
	v1alpha1.PermissionPull:     "read",
	v1alpha1.PermissionTriage:   "triage",
	v1alpha1.PermissionPush:     "write",
	v1alpha1.PermissionMaintain: "maintain",
	v1alpha1.PermissionAdmin:    "admin",
}

// permission is the permission a TeamRepository grants: push unless set
// (the CRD's default).
func permission(cr scoped.TeamRepository) string {
	if p := cr.Parameters().Permission; p != "" {
		return p
	}
	return v1alpha1.PermissionPush
}

// observedRole is the team's role as GitHub reports it: role_name, or,
// should an answer lack it, the highest of the permissions it lists.
func observedRole(r *gh.Repository) string {
	if n := r.GetRoleName(); n != "" {
		return n
	}
	p := r.GetPermissions()
	switch {
	case p == nil:
		return ""
	case p.GetAdmin():
		return "admin"
	case p.GetMaintain():
		return "maintain"
	case p.GetPush():
		return "write"
	case p.GetTriage():
		return "triage"
	case p.GetPull():
		return "read"
	}
	return ""
}
