// Package apis aggregates the provider's API groups.
package apis

import (
	"k8s.io/apimachinery/pkg/runtime"

	backstagev1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	githubv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

// AddToSchemes may be used to add all resources defined in the project to a
// Scheme.
var AddToSchemes = runtime.SchemeBuilder{
	v1alpha1.SchemeBuilder.AddToScheme,
	githubv1alpha1.SchemeBuilder.AddToScheme,
	backstagev1alpha1.SchemeBuilder.AddToScheme,
}

// AddToScheme adds all Resources to the Scheme.
func AddToScheme(s *runtime.Scheme) error {
	return AddToSchemes.AddToScheme(s)
}
