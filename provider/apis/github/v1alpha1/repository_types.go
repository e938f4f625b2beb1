package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// Repository visibilities.
const (
	VisibilityPrivate  = "private"
	VisibilityPublic   = "public"
	VisibilityInternal = "internal"
)

// RepositoryTemplate names a template repository to create from.
type RepositoryTemplate struct {
	// Owner of the template repository.
	// +kubebuilder:validation:MinLength=1
	Owner string `json:"owner"`

	// Repository is the template repository's name.
	// +kubebuilder:validation:MinLength=1
	Repository string `json:"repository"`

	// IncludeAllBranches copies all branches of the template, not only its
	// default branch.
	// +optional
	IncludeAllBranches bool `json:"includeAllBranches,omitempty"`
}

// MergeOptions choose which pull request merge methods are allowed.
type MergeOptions struct {
	// AllowMergeCommit allows merge commits.
	// +optional
	AllowMergeCommit *bool `json:"allowMergeCommit,omitempty"`

	// AllowSquashMerge allows squash merging.
	// +optional
	AllowSquashMerge *bool `json:"allowSquashMerge,omitempty"`

	// AllowRebaseMerge allows rebase merging.
	// +optional
	AllowRebaseMerge *bool `json:"allowRebaseMerge,omitempty"`
}

// RequiredStatusChecks that must pass before merging.
type RequiredStatusChecks struct {
	// Strict requires branches to be up to date before merging.
	// +optional
	Strict bool `json:"strict,omitempty"`

	// Contexts are the names of required checks accepted from whichever
	// GitHub App GitHub binds them to: a new one to the App that recently
	// set it (or any), an existing one keeps its App. Order is irrelevant.
	// +optional
	// +listType=set
	Contexts []string `json:"contexts,omitempty"`

	// Checks are required checks bound to the GitHub App that must set
	// them. Order is irrelevant; a context named here and in contexts is
	// the check.
	// +optional
	// +listType=map
	// +listMapKey=context
	Checks []StatusCheck `json:"checks,omitempty"`
}

// AnyApp is the app id of a required check any GitHub App may set.
const AnyApp int64 = -1

// A StatusCheck is a required check and the GitHub App that must set it.
type StatusCheck struct {
	// Context is the check's name.
	// +kubebuilder:validation:MinLength=1
	Context string `json:"context"`

	// AppID is the GitHub App that must set the check; -1 accepts it from
	// any App. Unset: the App GitHub binds it to (the one that recently
	// set it, or any), and whatever App it is bound to is accepted.
	// +optional
	// +kubebuilder:validation:Minimum=-1
	AppID *int64 `json:"appID,omitempty"`
}

// BranchProtection of a branch: the default branch of a Repository, or a
// Branch.
type BranchProtection struct {
	// RequiredApprovingReviewCount is the number of approving reviews a pull
	// request needs.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=6
	RequiredApprovingReviewCount *int `json:"requiredApprovingReviewCount,omitempty"`

	// DismissStaleReviews dismisses approvals when new commits are pushed.
	// +optional
	DismissStaleReviews bool `json:"dismissStaleReviews,omitempty"`

	// RequireCodeOwnerReviews requires an approval from a code owner.
	// +optional
	RequireCodeOwnerReviews bool `json:"requireCodeOwnerReviews,omitempty"`

	// EnforceAdmins applies the protection to administrators too.
	// +optional
	EnforceAdmins bool `json:"enforceAdmins,omitempty"`

	// RequiredStatusChecks that must pass before merging.
	// +optional
	RequiredStatusChecks *RequiredStatusChecks `json:"requiredStatusChecks,omitempty"`
}

// RepositoryParameters are the configurable fields of a Repository. The
// repository's name on GitHub is the crossplane.io/external-name annotation,
// defaulting to metadata.name.
type RepositoryParameters struct {
	// Owner is the organisation or user that owns the repository.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="owner is immutable"
	Owner string `json:"owner"`

	// Description of the repository.
	// +optional
	Description *string `json:"description,omitempty"`

	// Visibility of the repository. Unset means not managed: a new
	// repository is created private, an adopted one keeps its visibility
	// (and it is late-initialised into the spec when the management
	// policies include LateInitialize). internal exists only for
	// organisations on GitHub Enterprise Cloud or Server.
	// +optional
	// +kubebuilder:validation:Enum=private;public;internal
	Visibility string `json:"visibility,omitempty"`

	// Template creates the repository from a template repository. Only used
	// at creation.
	// +optional
	Template *RepositoryTemplate `json:"template,omitempty"`

	// Topics of the repository. Order is irrelevant. Unset means not
	// managed; an empty list means no topics.
	// +optional
	// +listType=set
	Topics *[]string `json:"topics,omitempty"`

	// DefaultBranch of the repository. Unset means not managed. The branch
	// must exist: GitHub refuses (422) a default branch it does not have.
	// +optional
	// +kubebuilder:validation:MinLength=1
	DefaultBranch string `json:"defaultBranch,omitempty"`

	// AutoInit creates an initial commit with an empty README, so that the
	// default branch exists. Only used at creation.
	// +optional
	AutoInit *bool `json:"autoInit,omitempty"`

	// MergeOptions choose the allowed pull request merge methods.
	// +optional
	MergeOptions *MergeOptions `json:"mergeOptions,omitempty"`

	// DeleteBranchOnMerge deletes head branches when pull requests merge.
	// +optional
	DeleteBranchOnMerge *bool `json:"deleteBranchOnMerge,omitempty"`

	// Archived makes the repository read-only on GitHub. Unset means not
	// managed: a repository archived by hand stays archived. While the
	// repository is archived (and archived is true or unset), its other
	// settings are not compared: GitHub refuses changes to an archived
	// repository.
	// +optional
	Archived *bool `json:"archived,omitempty"`

	// BranchProtection of the default branch. Unset means the provider does
	// not manage protection. Protection settings this type has no field for
	// (push restrictions, linear history, force pushes, ...) are kept as
	// they are on GitHub; a requiredStatusChecks left unset is kept too.
	// +optional
	BranchProtection *BranchProtection `json:"branchProtection,omitempty"`

	// ArchiveOnDelete archives the repository when this resource is deleted
	// instead of deleting it, so that no code is destroyed.
	// +optional
	// +kubebuilder:default=true
	ArchiveOnDelete *bool `json:"archiveOnDelete,omitempty"`
}

// RepositoryObservation are the observable fields of a Repository.
type RepositoryObservation struct {
	// ID is GitHub's numeric repository id.
	ID int64 `json:"id,omitempty"`

	// FullName is owner/name.
	FullName string `json:"fullName,omitempty"`

	// HTMLURL is the repository's web address.
	HTMLURL string `json:"htmlURL,omitempty"`

	// CloneURL is the HTTPS clone address.
	CloneURL string `json:"cloneURL,omitempty"`

	// SSHURL is the SSH clone address.
	SSHURL string `json:"sshURL,omitempty"`

	// DefaultBranch is the repository's current default branch.
	DefaultBranch string `json:"defaultBranch,omitempty"`

	// Archived is true when the repository is archived.
	Archived bool `json:"archived,omitempty"`
}

// A RepositorySpec defines the desired state of a Repository.
type RepositorySpec struct {
	xpv2.ClusterManagedResourceSpec `json:",inline"`
	ForProvider                     RepositoryParameters `json:"forProvider"`
}

// A RepositoryStatus represents the observed state of a Repository.
type RepositoryStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 RepositoryObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A Repository is a GitHub repository. Deleting it archives the repository
// unless spec.forProvider.archiveOnDelete is false. An existing repository is
// only taken over when the crossplane.io/external-name annotation names it or
// the management policies are exactly [Observe]; fields left unset are not
// managed. The repository is identified by GitHub's numeric id (annotation
// github.paved.dev/repository-id): another repository under the same name is
// refused, and a new external name renames the repository.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="URL",type="string",JSONPath=".status.atProvider.htmlURL"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,managed,paved,github}
type Repository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RepositorySpec   `json:"spec"`
	Status RepositoryStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RepositoryList contains a list of Repository.
type RepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Repository `json:"items"`
}
