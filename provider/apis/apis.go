// Package apis aggregates the provider's API groups: the cluster-scoped
// kinds (paved.dev, github.paved.dev, backstage.paved.dev) and their
// namespaced twins (m.paved.dev, github.m.paved.dev, backstage.m.paved.dev).
package apis

import (
	"k8s.io/apimachinery/pkg/runtime"

	backstagev1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	githubv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	backstagemv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/backstage/v1alpha1"
	githubmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

// AddToSchemes may be used to add all resources defined in the project to a
// Scheme.
var AddToSchemes = runtime.SchemeBuilder{
	v1alpha1.SchemeBuilder.AddToScheme,
	githubv1alpha1.SchemeBuilder.AddToScheme,
	backstagev1alpha1.SchemeBuilder.AddToScheme,
	mv1alpha1.SchemeBuilder.AddToScheme,
	githubmv1alpha1.SchemeBuilder.AddToScheme,
	backstagemv1alpha1.SchemeBuilder.AddToScheme,
}

// AddToScheme adds all resources to the Scheme.
func AddToScheme(s *runtime.Scheme) error {
	return AddToSchemes.AddToScheme(s)
}
