package v1alpha1

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// Field paths of a github.paved.dev Repository read by RepositoryBlobURL.
const (
	repositoryHTMLURLPath       = "status.atProvider.htmlURL"
	repositoryDefaultBranchPath = "status.atProvider.defaultBranch"
)

// RepositoryBlobURL extracts <htmlURL>/blob/<defaultBranch> from a
// github.paved.dev Repository's status.atProvider. It returns "" (so that
// reference resolution reports the referenced resource as not ready) until
// the Repository reports both values.
func RepositoryBlobURL() reference.ExtractValueFn {
	return func(mg resource.Managed) string {
		p, err := fieldpath.PaveObject(mg)
		if err != nil {
			return ""
		}
		htmlURL, err := p.GetString(repositoryHTMLURLPath)
		if err != nil || htmlURL == "" {
			return ""
		}
		branch, err := p.GetString(repositoryDefaultBranchPath)
		if err != nil || branch == "" {
			return ""
		}
		return strings.TrimRight(htmlURL, "/") + "/blob/" + branch
	}
}

// LocationType returns the desired location type, the default when unset.
func (p *CatalogLocationParameters) LocationType() string {
	if p.Type == "" {
		return DefaultLocationType
	}
	return p.Type
}

// LocationPath returns the path of the catalog file in the repository, the
// default when unset.
func (p *CatalogLocationParameters) LocationPath() string {
	if p.Path == nil || *p.Path == "" {
		return DefaultPath
	}
	return *p.Path
}

// LocationTarget returns the desired target: target when set, otherwise
// <repositoryURL>/<path>. It returns "" while neither is known (for
// example while a repository reference is not resolved yet).
func (p *CatalogLocationParameters) LocationTarget() string {
	if p.Target != nil && *p.Target != "" {
		return *p.Target
	}
	if p.RepositoryURL == nil || *p.RepositoryURL == "" {
		return ""
	}
	return strings.TrimRight(*p.RepositoryURL, "/") + "/" + strings.TrimLeft(p.LocationPath(), "/")
}

// RepositoryFileCommit extracts, from a github.paved.dev RepositoryFile
// (of either scope), the commit that put its desired content on its
// branch: status.atProvider.commitSHA (the git blob SHA when the provider
// made no commit, the content being there already) once the RepositoryFile
// is Ready, which the provider reports only when the file on the branch
// holds the desired content (provider/internal/controller/repositoryfile,
// Observe). It returns "" before, so that reference resolution reports the
// file as not ready: a pull request that proposes the file is not a
// committed file.
func RepositoryFileCommit() reference.ExtractValueFn {
	return func(mg resource.Managed) string {
		f, ok := mg.(interface {
			Observation() *ghv1alpha1.RepositoryFileObservation
		})
		if !ok || mg.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
			return ""
		}
		if o := f.Observation(); o.CommitSHA != "" {
			return o.CommitSHA
		}
		return f.Observation().BlobSHA
	}
}
