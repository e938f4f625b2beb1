package servicebundle

import (
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// ReleaseBranch names the composed Branch that creates and protects the
// branch production deploys from.
const ReleaseBranch = "release-branch"

// The release branch: production's Application deploys from it
// (revisions, delivery.go), so a change reaches production only through a
// reviewed pull request, as the seed's "Production promotions require
// approval" asks. The protection applies to administrators too
// (enforceAdmins), and a new push dismisses an approval given before it,
// so that what is approved is what is promoted.
const (
	releaseBranchName      = "release"
	releaseApprovals       = 1
	releaseDismissStale    = true
	releaseEnforceAdmins   = true
	releaseCodeOwnerReview = false
	kindBranch             = "Branch"
)

// releaseBranch is the service's release branch, created from the head of
// the repository's default branch. The provider never takes over an
// existing branch (adoptExisting false) and, with deletionPolicy Orphan,
// never deletes it: deleting the bundle archives the repository with all
// its branches, as it keeps catalog-info.yaml (catalogFile).
func releaseBranch(xr *compose.Composite, st *settings, obs observed) *structpb.Struct {
	b := providerObject(githubAPIVersion, kindBranch, naming.Object(xr.Name, ReleaseBranch), st.GitHubProviderConfig, repositoryOf(obs, pb.Fields{
		"branch":       pb.Str(releaseBranchName),
		"sourceBranch": pb.Const(DefaultBranch),
		"protection": pb.Obj(pb.Fields{
			"requiredApprovingReviewCount": pb.Int(releaseApprovals),
			"dismissStaleReviews":          pb.Boolean(releaseDismissStale),
			"requireCodeOwnerReviews":      pb.Boolean(releaseCodeOwnerReview),
			"enforceAdmins":                pb.Boolean(releaseEnforceAdmins),
		}),
		"adoptExisting": pb.Boolean(false),
	}))
	b.GetFields()["spec"].GetStructValue().GetFields()["deletionPolicy"] = pb.Const(deletionOrphan)
	return b
}
