package servicebundle

import (
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// TemplatePrefix starts the name of every golden-path template
// repository: a service's repository is generated from
// golden-path-<template> in the platform's GitHub owner. provider-paved's
// platform metrics count repositories generated from one as golden-path
// adoption (provider/internal/signals, GoldenPathTemplatePrefix).
const TemplatePrefix = "golden-path-"

// Names of the composed resources in the pipeline.
const (
	Repository      = "repository"
	CatalogFile     = "catalog-info"
	CatalogLocation = "catalog-location"
	Database        = "database"
	Bucket          = "bucket"
	Queue           = "queue"
	// ApplicationPrefix starts the name of an environment's Application
	// (application-staging).
	ApplicationPrefix = "application-"
)

// Repository settings every service gets, as the seed's publish:github step
// does: a private repository whose default branch needs one approving
// review.
const (
	DefaultBranch         = "main"
	RequiredApprovals     = 1
	topicMicroservice     = "microservice"
	topicPlatformManaged  = "platform-managed"
	catalogCommitTemplate = "Register %s in the software catalog"
)

// The provider's kinds (provider/apis/github/v1alpha1 and
// backstage/v1alpha1). Their objects are built as structpb documents, as
// the AWS kinds are, not as the provider's Go types: those packages link
// controller-runtime's client and client-go (their generated reference
// resolvers), a large share of the function's resident memory
// (docs/design.md, "Composed objects are structured maps"). TestProviderTypes decodes every object
// built here strictly into the provider's Go type and back, so a field name
// or type the provider does not have fails the tests as it would fail the
// build. A setting that is false is left out (dropFalse).
const (
	githubAPIVersion    = "github.paved.dev/v1alpha1"
	backstageAPIVersion = "backstage.paved.dev/v1alpha1"
	kindRepository      = "Repository"
	kindRepositoryFile  = "RepositoryFile"
	kindCatalogLocation = "CatalogLocation"
	visibilityPrivate   = "private"
	// deletionOrphan is crossplane-runtime's DeletionPolicy that keeps the
	// external resource (crossplane/apis/v2 core/v2 policies.go).
	deletionOrphan = "Orphan"
)

// providerObject is a managed resource of the provider: cluster-scoped,
// named name, configured by the ProviderConfig called providerConfig.
func providerObject(apiVersion, kind, name, providerConfig string, forProvider pb.Fields) *structpb.Struct {
	dropFalse(forProvider)
	return &structpb.Struct{Fields: pb.Fields{
		"apiVersion": pb.Const(apiVersion),
		"kind":       pb.Const(kind),
		"metadata":   pb.Obj(pb.Fields{"name": pb.Str(name)}),
		"spec": pb.Obj(pb.Fields{
			"forProvider":       pb.Obj(forProvider),
			"providerConfigRef": compose.ProviderConfigRef(providerConfig),
		}),
	}}
}

// dropFalse removes every false boolean from fields, at any depth. The
// provider's types leave a false boolean out (`json:",omitempty"` on its
// bool fields, e.g. provider/apis/github/v1alpha1 repository_types.go
// BranchProtection.EnforceAdmins), so each time the provider updates its
// object (a finalizer, an annotation, a late-initialised field) it drops
// them; Crossplane's next server-side apply of the composed object writes
// them back, and the two take turns changing the object, each change a
// watch event that Crossplane's circuit breaker counts against the
// composite. Left out, they mean the same (false is the default) and
// nobody rewrites them. Only fresh values are removed from: shared ones
// (compose.Selector) hold no false.
func dropFalse(fields pb.Fields) {
	for k, v := range fields {
		switch x := v.GetKind().(type) {
		case *structpb.Value_BoolValue:
			if !x.BoolValue {
				delete(fields, k)
			}
		case *structpb.Value_StructValue:
			dropFalse(x.StructValue.GetFields())
		}
	}
}

// repository is the service's GitHub repository, generated from the
// template's golden-path repository. Its GitHub name is its metadata.name,
// the service's repository name (withRepository): paved never sets crossplane.io/external-name, so a
// repository that already exists is never taken over (provider-paved's
// no-silent-adoption rule, provider/README.md), and a second bundle of the
// same name, in another namespace, is refused by Crossplane because the
// Repository belongs to the first.
func repository(s *service, st *settings) *structpb.Struct {
	r := providerObject(githubAPIVersion, kindRepository, s.repository, st.GitHubProviderConfig, pb.Fields{
		"owner":       pb.Str(st.GitHubOwner),
		"description": pb.Str(s.description),
		"visibility":  pb.Const(visibilityPrivate),
		"template": pb.Obj(pb.Fields{
			"owner":              pb.Str(st.GitHubOwner),
			"repository":         pb.Str(TemplatePrefix + s.template),
			"includeAllBranches": pb.Boolean(false),
		}),
		"topics":        pb.Strs([]string{topicMicroservice, Templates[s.template], topicPlatformManaged}),
		"defaultBranch": pb.Const(DefaultBranch),
		"branchProtection": pb.Obj(pb.Fields{
			"requiredApprovingReviewCount": pb.Int(RequiredApprovals),
			"dismissStaleReviews":          pb.Boolean(false),
			"requireCodeOwnerReviews":      pb.Boolean(false),
			"enforceAdmins":                pb.Boolean(false),
		}),
		// Deleting the bundle archives the repository: no code is ever
		// destroyed.
		"archiveOnDelete": pb.Boolean(true),
	})
	// What the spec leaves unset (archived, merge options, deleting
	// branches on merge) is the team's to change in GitHub: not
	// late-initialised, it is not managed (provider-paved's
	// lateInitialize, provider/internal/controller/repository/lateinit.go).
	// Late-initialised, the provider wrote GitHub's values into the spec
	// right after creation, an update of the Repository in the middle of
	// the bundle's creation that Crossplane core's circuit breaker counts
	// twice against the bundle (docs/performance.md), and it took them
	// from the team for good. All the managed reconciler's actions but
	// LateInitialize is one of the policy sets it supports (crossplane-runtime
	// v2.4.0 pkg/reconciler/managed/policies.go,
	// defaultSupportedManagementPolicies: "No LateInitialize filling in
	// the spec.forProvider, allowing some external resource fields to be
	// managed externally"); provider-paved enables management policies
	// (provider/cmd/provider, EnableBetaManagementPolicies).
	r.GetFields()["spec"].GetStructValue().GetFields()["managementPolicies"] = repositoryPolicies
	return r
}

// repositoryPolicies are the Repository's management policies: all but
// LateInitialize (see repository).
var repositoryPolicies = pb.Strs([]string{"Observe", "Create", "Update", "Delete"})

// catalogFile commits the generated catalog-info.yaml to the repository.
// Deleting the bundle leaves the file in the repository: the repository is
// archived with all it holds, and a deleted RepositoryFile would otherwise
// commit the file's removal first. With deletionPolicy Orphan the provider
// never deletes it (crossplane-runtime v2.4.0
// pkg/reconciler/managed/reconciler.go calls the external Delete only when
// the policy says Delete).
func catalogFile(xr *compose.Composite, s *service, st *settings, content []byte, obs observed) *structpb.Struct {
	f := providerObject(githubAPIVersion, kindRepositoryFile, naming.Object(xr.Name, CatalogFile), st.GitHubProviderConfig, repositoryOf(obs, pb.Fields{
		"path":          pb.Const(CatalogPath),
		"content":       pb.Str(string(content)),
		"commitMessage": pb.Str(fmt.Sprintf(catalogCommitTemplate, s.name)),
		// The repository is one this bundle created (a Repository never
		// takes over an existing one), from the platform's own golden-path
		// template, whose skeleton may carry a catalog-info.yaml: the
		// generated one replaces it.
		"overwriteOnCreate": pb.Boolean(true),
	}))
	f.GetFields()["spec"].GetStructValue().GetFields()["deletionPolicy"] = pb.Const(deletionOrphan)
	return f
}

// repositoryOf adds to the forProvider fields p of a provider object that
// acts on the bundle's repository (the catalog file, the release branch,
// the team's access) how it names the Repository: the Repository of this
// bundle, selected by controller reference (a name could resolve to
// another team's Repository of the same name, and commit into it); and,
// once the provider observed it (obs), the reference and the repository's
// full name the provider would resolve that selector to. A set reference
// and value are kept as they are: resolving them then changes nothing
// (crossplane-runtime v2.4.0 pkg/reference/reference.go,
// ResolutionRequest.IsNoOp: a current value is kept unless the policy is
// Always), where the provider's writing them was a watch event of the
// bundle. The Repository is this bundle's own, as observed, by the name
// it has: the one the selector picks.
func repositoryOf(obs observed, p pb.Fields) pb.Fields {
	p["repositorySelector"] = compose.Selector(Repository)
	if obs.fullName != "" {
		p["repositoryRef"] = pb.Obj(pb.Fields{"name": pb.Str(obs.repository)})
		p["repository"] = pb.Str(obs.fullName)
	}
	return p
}

// catalogLocation registers the catalog file in Backstage, once the
// RepositoryFile called file has committed it: the provider waits for it
// and resolves the location's refreshKey from the file's commit, following
// it (a new commit asks Backstage to read the file again at once).
// blobURL is what the provider resolves the location's repositoryURL to
// from this bundle's observed Repository, called repository
// (observed.blobURL), known since the registration waits for the
// repository.
func catalogLocation(xr *compose.Composite, st *settings, file, repository, blobURL string) *structpb.Struct {
	p := pb.Fields{
		// Selected by controller reference, as the file's.
		"repositorySelector": compose.Selector(Repository),
		"path":               pb.Const(CatalogPath),
		// Never take over a registration someone else made.
		"adoptExisting": pb.Boolean(false),
		// The file is this bundle's own: selected by controller
		// reference, and named as it is composed (or as it exists), what
		// the selector picks, so that the provider has no reference to
		// write. The refreshKey is the provider's to resolve from it, so
		// that neither the composition nor the provider rewrites what the
		// other wrote.
		"fileSelector": compose.Selector(CatalogFile),
		"fileRef":      pb.Obj(pb.Fields{"name": pb.Str(file)}),
	}
	if blobURL != "" {
		// The reference and the URL the provider would resolve from the
		// selector, composed with the location: resolving them then
		// changes nothing, where the provider's writing them was a watch
		// event of the bundle, which Crossplane core's circuit breaker
		// counts (crossplane-runtime v2.4.0 pkg/reference/reference.go:
		// a set reference is resolved instead of the selector; the
		// provider resolves the URL anew on every reconcile, refwait.go).
		// The Repository is this bundle's own, as observed: the one the
		// selector picks by controller reference.
		p["repositoryRef"] = pb.Obj(pb.Fields{"name": pb.Str(repository)})
		p["repositoryURL"] = pb.Str(blobURL)
	}
	return providerObject(backstageAPIVersion, kindCatalogLocation, naming.Object(xr.Name, CatalogLocation), st.BackstageProviderConfig, p)
}

// fileName is the name of the bundle's RepositoryFile of catalog-info.yaml:
// the one it has if it exists (Crossplane keeps an existing composed
// resource's name, see observed.appName), or else the one it is composed
// with.
func fileName(set *compose.Set) string {
	if n, _ := pb.String(set.Observed(CatalogFile), "metadata", "name"); n != "" {
		return n
	}
	n, _ := pb.String(set.Desired(CatalogFile), "metadata", "name")
	return n
}
