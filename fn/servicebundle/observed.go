package servicebundle

import (
	"strings"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// observed is everything of the observed composed resources that what the
// bundle composes depends on (readiness and status aside): what acts on
// the repository, the catalog registration among them, waits for the
// provider to observe it, and Applications wait for and clone the
// repository's observed URL (or keep the one they have).
type observed struct {
	cloneURL string
	// repository is the observed Repository's name, and fullName its
	// owner/name as the provider observed it: what the provider resolves
	// the file's, the branch's and the team access's repositorySelector to
	// (provider/apis/github/v1alpha1 RepositoryFullName). Empty until the
	// provider observed the Repository.
	repository, fullName string
	// blobURL is the base URL of the files on the repository's default
	// branch, as the provider resolves a CatalogLocation's repositoryURL
	// from the Repository's status (provider/apis/backstage/v1alpha1,
	// RepositoryBlobURL): <htmlURL>/blob/<defaultBranch>.
	blobURL string
	// appSource is the repoURL of each environment's Application that
	// exists.
	appSource map[string]string
	// appName is the name of each environment's Application that exists:
	// Crossplane keeps an existing composed resource's name whatever the
	// function desires (crossplane v2.4.0
	// internal/controller/apiextensions/composite/composition_functions.go:
	// "If this desired resource state pertains to an existing composed
	// resource we want to maintain its name"), so what paved names, checks
	// and reports is the name it has (an Application made before names
	// carried the namespace keeps its name).
	appName map[string]string
}

func observe(set *compose.ObservedState) observed {
	var o observed
	o.cloneURL, _ = pb.String(set.Observed(Repository), "status", "atProvider", "cloneURL")
	o.repository, _ = pb.String(set.Observed(Repository), "metadata", "name")
	if o.repository != "" {
		o.fullName, _ = pb.String(set.Observed(Repository), "status", "atProvider", "fullName")
	}
	html, _ := pb.String(set.Observed(Repository), "status", "atProvider", "htmlURL")
	branch, _ := pb.String(set.Observed(Repository), "status", "atProvider", "defaultBranch")
	if html != "" && branch != "" {
		o.blobURL = strings.TrimRight(html, "/") + "/blob/" + branch
	}
	o.appSource = map[string]string{}
	o.appName = map[string]string{}
	for _, e := range Environments {
		if app := set.Observed(ApplicationPrefix + e); app != nil {
			o.appSource[e], _ = pb.String(app, "spec", "source", "repoURL")
			o.appName[e], _ = pb.String(app, "metadata", "name")
		}
	}
	return o
}

// appName is the name of the service's Application for environment: the
// one it has if it exists (see observed.appName), or else applicationName's.
func appName(set *compose.ObservedState, s *service, environment string) string {
	if n, _ := pb.String(set.Observed(ApplicationPrefix+environment), "metadata", "name"); n != "" {
		return n
	}
	return s.application(environment)
}

// source is where an environment's Application deploys from: the clone URL
// the provider observed for this bundle's own Repository, or, for an
// Application that exists, what it has. Until then there is none: a URL
// derived from the service's name could be another team's repository of
// that name (this bundle's Repository then fails to compose), and the
// Application would deploy their code.
func (o observed) source(environment string) string {
	if o.cloneURL != "" {
		return o.cloneURL
	}
	return o.appSource[environment]
}

// composeOnRepository reports whether a resource of the repository that
// names it by reference (the catalog file, the release branch, the team's
// access), called name, is composed: once the provider observed the
// Repository, so that it is composed with the reference resolved
// (repositoryOf), and for as long as it exists (a composed resource left
// out would be deleted). Composed before, the provider's reference
// resolution failed until the Repository existed (Synced=False, then
// retried after its backoff) and then wrote the resolved reference: two
// watch events of each, which Crossplane core's circuit breaker counts
// against the bundle, and the release branch waited for the backoff.
func (o observed) composeOnRepository(set *compose.ObservedState, name string) bool {
	return o.fullName != "" || set.Observed(name) != nil
}

// register reports whether the catalog registration is composed: with the
// catalog file, once the provider observed the Repository
// (composeOnRepository, which reports its blob URL with its full name),
// and for as long as it exists. Composed then,
// the CatalogLocation waits in provider-paved, without registering
// anything, until the RepositoryFile it names (fileRef) has committed the
// file: the catalog's dry run refuses a target it cannot read yet
// (provider/apis/backstage/v1alpha1 CatalogLocationParameters.FileRef).
// Composed only once the file was Ready, it took a composition stage of its
// own: a spec.resourceRefs update of the composite, which bumps its
// generation, and core's status update to the new observedGeneration,
// watch events that Crossplane core's circuit breaker counts against the
// bundle.
func (o observed) register(set *compose.ObservedState) bool {
	return o.composeOnRepository(set, CatalogLocation)
}
