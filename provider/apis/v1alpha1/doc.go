// Package v1alpha1 contains the paved provider's configuration types:
// ProviderConfig and ProviderConfigUsage (group paved.dev, cluster-scoped).
// +kubebuilder:object:generate=true
// +groupName=paved.dev
// +versionName=v1alpha1
package v1alpha1
