// Package v1alpha1 contains the cluster-scoped GitHub managed resources of the
// paved provider (group github.paved.dev). Namespaced variants are meant to
// follow in a github.m.paved.dev group that reuses the Parameters and
// Observation types defined here.
// +kubebuilder:object:generate=true
// +groupName=github.paved.dev
// +versionName=v1alpha1
package v1alpha1
