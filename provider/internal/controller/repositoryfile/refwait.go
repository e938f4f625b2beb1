package repositoryfile

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
)

// A RepositoryFile that names its Repository by spec.forProvider.repositoryRef
// resolves owner/name from the Repository's status.atProvider.fullName
// (v1alpha1.RepositoryFullName): until the Repository has been observed on
// GitHub, reference resolution fails. The controller waits for it as
// package refwait describes: Repositories wake the RepositoryFiles that
// reference them when their full name changes, and a RepositoryFile whose
// reference does not resolve yet is reported without a token of the global
// rate limiter.

// refKind is the RepositoryFile's reference to its Repository, as
// refwait waits on it.
var refKind = refwait.Kind[*v1alpha1.RepositoryFile]{
	Name:    "RepositoryFile",
	New:     func() *v1alpha1.RepositoryFile { return &v1alpha1.RepositoryFile{} },
	NewList: func() resource.ManagedList { return &v1alpha1.RepositoryFileList{} },
	Ref:     func(f *v1alpha1.RepositoryFile) *xpv2.Reference { return f.Spec.ForProvider.RepositoryRef },
	Resolved: func(f *v1alpha1.RepositoryFile) bool {
		return f.Spec.ForProvider.Repository != nil && *f.Spec.ForProvider.Repository != ""
	},
}
