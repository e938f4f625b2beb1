package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// DefaultLocationType is the location type used when none is given.
const DefaultLocationType = "url"

// DefaultPath is the path of the catalog file in a referenced repository
// when none is given.
const DefaultPath = "catalog-info.yaml"

// CatalogLocationParameters are the configurable fields of a CatalogLocation.
// They are shared by the cluster-scoped CatalogLocation and a future
// namespaced variant.
//
// The location's target is either given (target) or derived from a
// github.paved.dev Repository (repositoryRef, repositorySelector or a
// resolved repositoryURL) plus path:
// <status.atProvider.htmlURL>/blob/<status.atProvider.defaultBranch>/<path>.
//
// +kubebuilder:validation:XValidation:rule="has(self.target) != (has(self.repositoryURL) || has(self.repositoryRef) || has(self.repositorySelector))",message="set either target or one of repositoryRef, repositorySelector and repositoryURL"
// +kubebuilder:validation:XValidation:rule="!has(self.path) || !has(self.target)",message="path is only used with a repository; put the full URL into target"
type CatalogLocationParameters struct {
	// Type of the location, as Backstage knows it. Backstage's catalog reads
	// "url" locations through its URL readers.
	// +kubebuilder:default=url
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Type string `json:"type,omitempty"`

	// Target is the URL of the catalog file to register (for example
	// https://github.com/acme/payments/blob/main/catalog-info.yaml).
	// Exclusive with the repository fields.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	Target *string `json:"target,omitempty"`

	// RepositoryURL is the base URL of the files on a repository's default
	// branch, <htmlURL>/blob/<defaultBranch>. It is usually resolved from
	// repositoryRef or repositorySelector, once the Repository reports both
	// values.
	// +crossplane:generate:reference:type=github.com/paved-dev/paved/provider/apis/github/v1alpha1.Repository
	// +crossplane:generate:reference:extractor=RepositoryBlobURL()
	// +crossplane:generate:reference:refFieldName=RepositoryRef
	// +crossplane:generate:reference:selectorFieldName=RepositorySelector
	// +kubebuilder:validation:Pattern=`^https?://`
	// +optional
	RepositoryURL *string `json:"repositoryURL,omitempty"`

	// RepositoryRef references a github.paved.dev Repository whose
	// catalog file is registered.
	// +optional
	RepositoryRef *xpv2.Reference `json:"repositoryRef,omitempty"`

	// RepositorySelector selects a github.paved.dev Repository whose catalog
	// file is registered.
	// +optional
	RepositorySelector *xpv2.Selector `json:"repositorySelector,omitempty"`

	// Path of the catalog file in the referenced repository. Defaults to
	// catalog-info.yaml when a repository is used.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/')",message="path is relative to the repository root"
	// +optional
	Path *string `json:"path,omitempty"`

	// AdoptExisting opts in to adopting a registration of the same type
	// and target that this CatalogLocation did not make (Backstage records
	// no owner for a location). Off by default: such a registration is
	// refused with Synced=False. An adopted registration is observed and
	// refreshed but never removed: deleting the CatalogLocation, or changing
	// its type or target, leaves it in the catalog. Only a registration
	// this CatalogLocation made itself (recorded in the annotation
	// backstage.paved.dev/registered-location) is ever deleted.
	// +optional
	AdoptExisting bool `json:"adoptExisting,omitempty"`

	// RefreshKey asks Backstage to read the location again whenever its
	// value changes (for example, compose a RepositoryFile's
	// status.atProvider.commitSHA into it so that a new catalog file is
	// picked up at once rather than at the catalog's next processing
	// cycle). With fileRef or fileSelector it is resolved from that
	// RepositoryFile instead: the commit that put the file's desired content
	// on its branch, followed on every reconcile.
	// +crossplane:generate:reference:type=github.com/paved-dev/paved/provider/apis/github/v1alpha1.RepositoryFile
	// +crossplane:generate:reference:extractor=RepositoryFileCommit()
	// +crossplane:generate:reference:refFieldName=FileRef
	// +crossplane:generate:reference:selectorFieldName=FileSelector
	// +kubebuilder:validation:MaxLength=256
	// +optional
	RefreshKey *string `json:"refreshKey,omitempty"`

	// FileRef references the github.paved.dev RepositoryFile that commits
	// the catalog file this location registers (at path, on the
	// repository's default branch). The location is registered only once
	// that file is committed (the RepositoryFile is Ready): until then the
	// CatalogLocation waits, Synced=False, without asking the catalog
	// anything: the catalog's dry run refuses a target it cannot read
	// (400 InputError, "Unable to read url, NotFoundError": POST
	// /locations?dryRun=true,
	// https://backstage.io/docs/features/software-catalog/software-catalog-api#locations),
	// which would fail the CatalogLocation and retry it with backoff. The
	// file's commits become the refreshKey.
	// +optional
	FileRef *xpv2.Reference `json:"fileRef,omitempty"`

	// FileSelector selects the github.paved.dev RepositoryFile that commits
	// the catalog file, as fileRef.
	// +optional
	FileSelector *xpv2.Selector `json:"fileSelector,omitempty"`
}

// A ProcessingError is an error the catalog reported while processing the
// location or an entity read from it.
type ProcessingError struct {
	// EntityRef of the entity that carries the error (the location's own
	// Location entity for errors reading the target).
	EntityRef string `json:"entityRef"`
	// Name of the error, e.g. NotFoundError or InputError.
	// +optional
	Name string `json:"name,omitempty"`
	// Message of the error.
	Message string `json:"message"`
}

// CatalogLocationObservation is the observed state of a registered location.
type CatalogLocationObservation struct {
	// ID of the location in the catalog (also the external name).
	// +optional
	ID string `json:"id,omitempty"`

	// Type of the registered location.
	// +optional
	Type string `json:"type,omitempty"`

	// Target of the registered location.
	// +optional
	Target string `json:"target,omitempty"`

	// LocationEntityRef is the ref of the Location entity the catalog made
	// for this registration (location:default/generated-...).
	// +optional
	LocationEntityRef string `json:"locationEntityRef,omitempty"`

	// EntityRefs are the refs of the entities read from the location, sorted.
	// +optional
	EntityRefs []string `json:"entityRefs,omitempty"`

	// ProcessingErrors reported by the catalog for the location and the
	// entities read from it.
	// +optional
	ProcessingErrors []ProcessingError `json:"processingErrors,omitempty"`

	// RefreshedKey is the spec.forProvider.refreshKey the provider last
	// asked Backstage to refresh for.
	// +optional
	RefreshedKey string `json:"refreshedKey,omitempty"`
}

// A CatalogLocationSpec defines the desired state of a CatalogLocation.
type CatalogLocationSpec struct {
	xpv2.ClusterManagedResourceSpec `json:",inline"`
	ForProvider                     CatalogLocationParameters `json:"forProvider"`
}

// A CatalogLocationStatus represents the observed state of a CatalogLocation.
type CatalogLocationStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 CatalogLocationObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A CatalogLocation registers a location (a catalog file) in a Backstage
// catalog. Its external name is the catalog's location id.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="TARGET",type="string",JSONPath=".status.atProvider.target",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,managed,paved,backstage}
type CatalogLocation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   CatalogLocationSpec   `json:"spec"`
	Status CatalogLocationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// CatalogLocationList contains a list of CatalogLocation.
type CatalogLocationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CatalogLocation `json:"items"`
}
