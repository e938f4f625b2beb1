package v1alpha1

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// RepositoryFullName extracts owner/name of a referenced Repository (of
// either scope) from its status, so that references resolve only once the
// repository exists.
func RepositoryFullName() reference.ExtractValueFn {
	return func(mg resource.Managed) string {
		r, ok := mg.(interface{ Observation() *RepositoryObservation })
		if !ok {
			return ""
		}
		return r.Observation().FullName
	}
}
