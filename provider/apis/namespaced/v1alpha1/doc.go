// Package v1alpha1 contains the configuration types of the paved
// provider's namespaced managed resources (group m.paved.dev): the
// namespaced ProviderConfig, the cluster-scoped ClusterProviderConfig and
// the namespaced ProviderConfigUsage.
//
// The group follows Crossplane v2's convention for namespaced managed
// resources: ".m." goes right before the domain the provider owns, as
// provider-kubernetes v1 does (kubernetes.crossplane.io ->
// kubernetes.m.crossplane.io, apis/namespaced/v1alpha1/register.go) and
// provider-upjet-github v0.19 (github.upbound.io -> github.m.upbound.io,
// apis/namespaced/v1beta1). paved's domain is paved.dev, so paved.dev
// becomes m.paved.dev (like github.paved.dev -> github.m.paved.dev);
// paved.m.dev would name a group under a domain paved does not own. Both
// provider-kubernetes and upjet keep ProviderConfig, ClusterProviderConfig
// and the (namespaced) ProviderConfigUsage together in that one group.
// +kubebuilder:object:generate=true
// +groupName=m.paved.dev
// +versionName=v1alpha1
package v1alpha1
