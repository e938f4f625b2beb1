package v1alpha1

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

type fullNamer interface {
	observedFullName() string
}

func (r *Repository) observedFullName() string { return r.Status.AtProvider.FullName }

// RepositoryFullName extracts owner/name of a referenced Repository from its
// status, so that references resolve only once the repository exists.
func RepositoryFullName() reference.ExtractValueFn {
	return func(mg resource.Managed) string {
		r, ok := mg.(fullNamer)
		if !ok {
			return ""
		}
		return r.observedFullName()
	}
}
