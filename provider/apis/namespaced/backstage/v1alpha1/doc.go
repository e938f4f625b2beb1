// Package v1alpha1 contains the namespaced Backstage managed resources of
// the paved provider (group backstage.m.paved.dev; Crossplane v2's ".m."
// groups: see provider/apis/namespaced/v1alpha1). CatalogLocation reuses
// the parameter and status structs of its cluster-scoped twin in
// backstage.paved.dev (provider/apis/backstage/v1alpha1).
// +kubebuilder:object:generate=true
// +groupName=backstage.m.paved.dev
// +versionName=v1alpha1
package v1alpha1
