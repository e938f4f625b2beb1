package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// BranchParameters are the configurable fields of a Branch.
type BranchParameters struct {
	// Repository is the full name (owner/name) of the repository. Set it
	// directly or resolve it from a Repository with repositoryRef or
	// repositorySelector.
	// +optional
	// +crossplane:generate:reference:type=Repository
	// +crossplane:generate:reference:extractor=RepositoryFullName()
	Repository *string `json:"repository,omitempty"`

	// RepositoryRef references the Repository the branch is in.
	// +optional
	RepositoryRef *xpv2.Reference `json:"repositoryRef,omitempty"`

	// RepositorySelector selects the Repository the branch is in.
	// +optional
	RepositorySelector *xpv2.Selector `json:"repositorySelector,omitempty"`

	// Branch is the branch's name, for example release.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="branch is immutable"
	Branch string `json:"branch"`

	// SourceBranch is the branch whose head commit the new branch starts
	// at. Defaults to the repository's default branch. Only used at
	// creation.
	// +optional
	// +kubebuilder:validation:MinLength=1
	SourceBranch *string `json:"sourceBranch,omitempty"`

	// Protection of the branch. Unset means the provider does not manage
	// the branch's protection. Protection settings this type has no field
	// for are kept as they are on GitHub; a requiredStatusChecks left unset
	// is kept too.
	// +optional
	Protection *BranchProtection `json:"protection,omitempty"`

	// AdoptExisting lets this Branch manage a branch of that name that
	// already exists (its protection, when protection is set). An adopted
	// branch is never deleted. Without it an existing branch is left
	// untouched and reported (Synced=False naming its head commit).
	// +optional
	AdoptExisting bool `json:"adoptExisting,omitempty"`
}

// BranchObservation are the observable fields of a Branch.
type BranchObservation struct {
	// HeadSHA is the commit at the branch's head.
	HeadSHA string `json:"headSHA,omitempty"`

	// Protected is true when GitHub reports a protection for the branch.
	// Known only while spec.forProvider.protection is set.
	Protected bool `json:"protected,omitempty"`
}

// A BranchSpec defines the desired state of a Branch.
type BranchSpec struct {
	xpv2.ClusterManagedResourceSpec `json:",inline"`
	ForProvider                     BranchParameters `json:"forProvider"`
}

// A BranchStatus represents the observed state of a Branch.
type BranchStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 BranchObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A Branch is a branch of a GitHub repository and, optionally, its branch
// protection. A new branch starts at the head of sourceBranch (default: the
// repository's default branch). An existing branch is only taken over with
// adoptExisting or the management policies [Observe]. Deleting a Branch
// deletes the branch only when this resource created it and its head is
// still the commit it was created at, so that no commit is ever lost;
// otherwise the branch and its protection stay.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="REPOSITORY",type="string",JSONPath=".spec.forProvider.repository"
// +kubebuilder:printcolumn:name="BRANCH",type="string",JSONPath=".spec.forProvider.branch"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,managed,paved,github}
type Branch struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BranchSpec   `json:"spec"`
	Status BranchStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// BranchList contains a list of Branch.
type BranchList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Branch `json:"items"`
}
