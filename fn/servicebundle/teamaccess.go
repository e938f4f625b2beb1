package servicebundle

import (
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// TeamAccessPrefix starts the name of the composed TeamRepository that
// gives the owning team write access to the repository
// (team-access-<team>): a team the platform maps the namespace to anew is
// a new composed resource, and Crossplane deletes the old one, which
// removes the access it granted.
const TeamAccessPrefix = "team-access-"

const (
	kindTeamRepository = "TeamRepository"
	// teamPermission is GitHub's "push" permission, the Write role
	// (https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization):
	// the team pushes branches and opens pull requests; main and release
	// still need an approving review.
	teamPermission = "push"
)

// teamAccess gives s.team, the namespace's team as the platform maps it
// (never what the claim says), write access to the bundle's repository.
// The team is named by its GitHub slug: Backstage's GitHub organisation
// provider names each team's Group after its slug
// (@backstage/plugin-catalog-backend-module-github
// defaultOrganizationTeamTransformer, metadata.name: team.slug), so the
// Group that owns the service in the catalog and the GitHub team are one
// name. Access the team already has is never taken over (adoptExisting
// false) and, with the default deletion policy, deleting the bundle (or
// mapping the namespace to another team) removes only the access this
// granted.
func teamAccess(xr *compose.Composite, s *service, st *settings, obs observed) *structpb.Struct {
	return providerObject(githubAPIVersion, kindTeamRepository, naming.Object(xr.Name, TeamAccessPrefix+s.team), st.GitHubProviderConfig, repositoryOf(obs, pb.Fields{
		"team":          pb.Str(s.team),
		"permission":    pb.Const(teamPermission),
		"adoptExisting": pb.Boolean(false),
	}))
}
