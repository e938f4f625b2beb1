package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	bsv1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
)

// A CatalogLocationSpec defines the desired state of a namespaced
// CatalogLocation.
type CatalogLocationSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              bsv1alpha1.CatalogLocationParameters `json:"forProvider"`
}

// +kubebuilder:object:root=true

// A CatalogLocation registers a location (a catalog file) in a Backstage
// catalog, managed from a namespace; repositoryRef and repositorySelector
// find a github.m.paved.dev Repository of the same namespace only. Its
// external name is the catalog's location id.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="TARGET",type="string",JSONPath=".status.atProvider.target",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,paved,backstage}
type CatalogLocation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CatalogLocationSpec              `json:"spec"`
	Status bsv1alpha1.CatalogLocationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// CatalogLocationList contains a list of CatalogLocation.
type CatalogLocationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CatalogLocation `json:"items"`
}
