//go:build !angryjet

package v1alpha1

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"

	bsv1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/scope"
)

// ResolveReferences of this CatalogLocation: repositoryRef and
// repositorySelector find a github.m.paved.dev Repository of its own
// namespace only (scope.ResolveInNamespace; written by hand, and left out while
// angryjet loads the package, for the reasons given in the namespaced
// github package's resolvers.go).
// So do fileRef and fileSelector, a github.m.paved.dev RepositoryFile.
func (mg *CatalogLocation) ResolveReferences(ctx context.Context, c client.Reader) error {
	p := &mg.Spec.ForProvider
	if err := scope.ResolveInNamespace(ctx, c, mg, "mg.Spec.ForProvider.RepositoryURL", &p.RepositoryURL, &p.RepositoryRef, p.RepositorySelector,
		reference.To{Managed: &ghmv1alpha1.Repository{}, List: &ghmv1alpha1.RepositoryList{}}, bsv1alpha1.RepositoryBlobURL()); err != nil {
		return err
	}
	return scope.ResolveInNamespace(ctx, c, mg, "mg.Spec.ForProvider.RefreshKey", &p.RefreshKey, &p.FileRef, p.FileSelector,
		reference.To{Managed: &ghmv1alpha1.RepositoryFile{}, List: &ghmv1alpha1.RepositoryFileList{}}, bsv1alpha1.RepositoryFileCommit())
}
