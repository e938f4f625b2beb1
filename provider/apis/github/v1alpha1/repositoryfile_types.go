package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// RepositoryFileParameters are the configurable fields of a RepositoryFile.
type RepositoryFileParameters struct {
	// Repository is the full name (owner/name) of the repository. Set it
	// directly or resolve it from a Repository with repositoryRef or
	// repositorySelector.
	// +optional
	// +crossplane:generate:reference:type=Repository
	// +crossplane:generate:reference:extractor=RepositoryFullName()
	Repository *string `json:"repository,omitempty"`

	// RepositoryRef references a Repository to commit to.
	// +optional
	RepositoryRef *xpv2.Reference `json:"repositoryRef,omitempty"`

	// RepositorySelector selects a Repository to commit to.
	// +optional
	RepositorySelector *xpv2.Selector `json:"repositorySelector,omitempty"`

	// Path of the file in the repository, for example catalog-info.yaml.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="path is immutable"
	Path string `json:"path"`

	// Content of the file.
	Content string `json:"content"`

	// Branch to commit to. Defaults to the repository's default branch.
	// +optional
	Branch *string `json:"branch,omitempty"`

	// CommitMessage used for the commits the provider makes.
	// +optional
	// +kubebuilder:default="Managed by paved"
	CommitMessage string `json:"commitMessage,omitempty"`

	// OverwriteOnCreate lets this RepositoryFile take over a file that
	// already exists at path on branch: its content is replaced, and
	// deleting the RepositoryFile removes it. Without it an existing file is
	// never written or deleted; the RepositoryFile reports Synced=False
	// naming the path, branch and the file's blob SHA.
	// +optional
	OverwriteOnCreate bool `json:"overwriteOnCreate,omitempty"`
}

// RepositoryFileObservation are the observable fields of a RepositoryFile.
type RepositoryFileObservation struct {
	// BlobSHA is the git blob SHA of the file's current content.
	BlobSHA string `json:"blobSHA,omitempty"`

	// CommitSHA is the SHA of the commit the provider last made to the file
	// (or, when the content arrived through a pull request, of the commit on
	// the pull request's branch). Known from the first successful create.
	CommitSHA string `json:"commitSHA,omitempty"`

	// PullRequestURL is the pull request that proposes the desired content
	// while the branch's protection refuses direct commits (it requires
	// pull requests and applies to administrators). The file is Ready once
	// a reviewer merges it.
	PullRequestURL string `json:"pullRequestURL,omitempty"`

	// PullRequestNumber is the number of that pull request.
	PullRequestNumber int `json:"pullRequestNumber,omitempty"`
}

// A RepositoryFileSpec defines the desired state of a RepositoryFile.
type RepositoryFileSpec struct {
	xpv2.ClusterManagedResourceSpec `json:",inline"`
	ForProvider                     RepositoryFileParameters `json:"forProvider"`
}

// A RepositoryFileStatus represents the observed state of a RepositoryFile.
type RepositoryFileStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 RepositoryFileObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A RepositoryFile is a file committed to a GitHub repository, for example a
// Backstage catalog-info.yaml.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="REPOSITORY",type="string",JSONPath=".spec.forProvider.repository"
// +kubebuilder:printcolumn:name="PATH",type="string",JSONPath=".spec.forProvider.path"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,managed,paved,github}
type RepositoryFile struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RepositoryFileSpec   `json:"spec"`
	Status RepositoryFileStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RepositoryFileList contains a list of RepositoryFile.
type RepositoryFileList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RepositoryFile `json:"items"`
}
