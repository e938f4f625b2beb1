// Package v1alpha1 contains the input type of function-paved.
// +kubebuilder:object:generate=true
// +groupName=fn.paved.dev
// +versionName=v1alpha1
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
)

// Group and version of the input.
const (
	Group   = "fn.paved.dev"
	Version = "v1alpha1"
	Kind    = "Input"
)

// GroupVersion of the input.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// Input configures function-paved for one Composition. It carries the
// platform's environment: where and how resources are created. Product teams
// never see it; their claims only say what they need.
//
// Precedence, lowest first: paved's built-in defaults, then this input's
// environment, then the EnvironmentConfig named by environmentConfigName
// (its data.paved object, field by field). A field set in the
// EnvironmentConfig wins; a field it leaves out keeps the input's value.
// Secure settings (encryption, privacy, deletion protection, backups) are
// not part of the environment and cannot be overridden anywhere.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Environment is the platform's environment for this Composition.
	// +optional
	Environment environment.Environment `json:"environment,omitempty"`

	// EnvironmentConfigName names a cluster-scoped EnvironmentConfig
	// (apiextensions.crossplane.io/v1beta1) that the function requires as an
	// extra resource. Its data.paved object overrides Environment field by
	// field. If it does not exist, Environment applies as it is.
	// +optional
	EnvironmentConfigName string `json:"environmentConfigName,omitempty"`
}
