// Package v1alpha1 contains the cluster-scoped GitHub managed resources of the
// paved provider (group github.paved.dev). Their namespaced twins in
// github.m.paved.dev (provider/apis/namespaced/github/v1alpha1) reuse the
// Parameters, Observation and Status types defined here.
// +kubebuilder:object:generate=true
// +groupName=github.paved.dev
// +versionName=v1alpha1
package v1alpha1
