// Package v1alpha1 contains the backstage.paved.dev v1alpha1 API: managed
// resources that register things in a Backstage catalog.
// +kubebuilder:object:generate=true
// +groupName=backstage.paved.dev
// +versionName=v1alpha1
package v1alpha1
