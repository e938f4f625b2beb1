// Package v1alpha1 contains the namespaced GitHub managed resources of the
// paved provider (group github.m.paved.dev; Crossplane v2's ".m." groups:
// see provider/apis/namespaced/v1alpha1). Each kind reuses the parameter,
// observation and status structs of its cluster-scoped twin in
// github.paved.dev (provider/apis/github/v1alpha1), so both scopes share
// one schema of spec.forProvider and status, and one controller.
// +kubebuilder:object:generate=true
// +groupName=github.m.paved.dev
// +versionName=v1alpha1
package v1alpha1
