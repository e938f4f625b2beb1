package servicebundle

import (
	"fmt"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/crossplane/function-sdk-go/resource/composed"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/naming"
	backstagev1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	githubv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// Names of the composed resources in the pipeline.
const (
	Repository      = "repository"
	CatalogFile     = "catalog-info"
	CatalogLocation = "catalog-location"
	Database        = "database"
	Bucket          = "bucket"
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
	templatePrefix        = "golden-path-"
	topicMicroservice     = "microservice"
	topicPlatformManaged  = "platform-managed"
	catalogCommitTemplate = "Register %s in the software catalog"
)

// Register the provider's kinds with the scheme composed.From looks types
// up in, as function-sdk-go's composed package asks.
func init() {
	for _, add := range []func(*runtime.Scheme) error{githubv1alpha1.AddToScheme, backstagev1alpha1.AddToScheme} {
		if err := add(composed.Scheme); err != nil {
			panic(err)
		}
	}
}

// repository is the service's GitHub repository, generated from the
// template's golden-path repository. Its GitHub name is its metadata.name,
// the service's name: paved never sets crossplane.io/external-name, so a
// repository that already exists is never taken over (provider-paved's
// no-silent-adoption rule, provider/README.md), and a second bundle of the
// same name, in another namespace, is refused by Crossplane because the
// Repository belongs to the first.
func repository(s *service, st *settings) *githubv1alpha1.Repository {
	return &githubv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Name: s.name},
		Spec: githubv1alpha1.RepositorySpec{
			ClusterManagedResourceSpec: xpv2.ClusterManagedResourceSpec{
				ProviderConfigReference: &xpv2.Reference{Name: st.GitHubProviderConfig},
			},
			ForProvider: githubv1alpha1.RepositoryParameters{
				Owner:       st.GitHubOwner,
				Description: ptr.To(s.description),
				Visibility:  githubv1alpha1.VisibilityPrivate,
				Template: &githubv1alpha1.RepositoryTemplate{
					Owner:      st.GitHubOwner,
					Repository: templatePrefix + s.template,
				},
				Topics:        ptr.To([]string{topicMicroservice, Templates[s.template], topicPlatformManaged}),
				DefaultBranch: DefaultBranch,
				BranchProtection: &githubv1alpha1.BranchProtection{
					RequiredApprovingReviewCount: ptr.To(RequiredApprovals),
				},
				// Deleting the bundle archives the repository: no code is
				// ever destroyed.
				ArchiveOnDelete: ptr.To(true),
			},
		},
	}
}

// catalogFile commits the generated catalog-info.yaml to the repository.
func catalogFile(xr *compose.Composite, s *service, st *settings, content []byte) *githubv1alpha1.RepositoryFile {
	return &githubv1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Name: naming.Object(xr.Name, CatalogFile)},
		Spec: githubv1alpha1.RepositoryFileSpec{
			ClusterManagedResourceSpec: xpv2.ClusterManagedResourceSpec{
				ProviderConfigReference: &xpv2.Reference{Name: st.GitHubProviderConfig},
			},
			ForProvider: githubv1alpha1.RepositoryFileParameters{
				// The Repository of this bundle, selected by controller
				// reference: a name could resolve to another team's
				// Repository of the same name and commit into it.
				RepositorySelector: compose.TypedSelector(Repository),
				Path:               CatalogPath,
				Content:            string(content),
				CommitMessage:      fmt.Sprintf(catalogCommitTemplate, s.name),
				// The repository is one this bundle created (a Repository
				// never takes over an existing one), from the platform's
				// own golden-path template, whose skeleton may carry a
				// catalog-info.yaml: the generated one replaces it.
				OverwriteOnCreate: true,
			},
		},
	}
}

// catalogLocation registers the catalog file in Backstage. commit is the
// commit the provider last made to the file, once observed: a new commit
// asks Backstage to read the file again at once.
func catalogLocation(xr *compose.Composite, s *service, st *settings, commit string) *backstagev1alpha1.CatalogLocation {
	l := &backstagev1alpha1.CatalogLocation{
		ObjectMeta: metav1.ObjectMeta{Name: naming.Object(xr.Name, CatalogLocation)},
		Spec: backstagev1alpha1.CatalogLocationSpec{
			ClusterManagedResourceSpec: xpv2.ClusterManagedResourceSpec{
				ProviderConfigReference: &xpv2.Reference{Name: st.BackstageProviderConfig},
			},
			ForProvider: backstagev1alpha1.CatalogLocationParameters{
				// Selected by controller reference, as the file's.
				RepositorySelector: compose.TypedSelector(Repository),
				Path:               ptr.To(CatalogPath),
			},
		},
	}
	if commit != "" {
		l.Spec.ForProvider.RefreshKey = ptr.To(commit)
	}
	return l
}
