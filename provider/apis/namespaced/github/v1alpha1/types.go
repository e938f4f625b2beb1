package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// A RepositorySpec defines the desired state of a namespaced Repository.
type RepositorySpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              ghv1alpha1.RepositoryParameters `json:"forProvider"`
}

// +kubebuilder:object:root=true

// A Repository is a GitHub repository managed from a namespace; it behaves
// as the cluster-scoped github.paved.dev Repository does (see there).
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="URL",type="string",JSONPath=".status.atProvider.htmlURL"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,paved,github}
type Repository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RepositorySpec              `json:"spec"`
	Status ghv1alpha1.RepositoryStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RepositoryList contains a list of Repository.
type RepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Repository `json:"items"`
}

// A RepositoryFileSpec defines the desired state of a namespaced
// RepositoryFile.
type RepositoryFileSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              ghv1alpha1.RepositoryFileParameters `json:"forProvider"`
}

// +kubebuilder:object:root=true

// A RepositoryFile is a file committed to a GitHub repository, managed from
// a namespace; repositoryRef and repositorySelector find a Repository of
// the same namespace only.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="REPOSITORY",type="string",JSONPath=".spec.forProvider.repository"
// +kubebuilder:printcolumn:name="PATH",type="string",JSONPath=".spec.forProvider.path"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,paved,github}
type RepositoryFile struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RepositoryFileSpec              `json:"spec"`
	Status ghv1alpha1.RepositoryFileStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// RepositoryFileList contains a list of RepositoryFile.
type RepositoryFileList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RepositoryFile `json:"items"`
}

// A BranchSpec defines the desired state of a namespaced Branch.
type BranchSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              ghv1alpha1.BranchParameters `json:"forProvider"`
}

// +kubebuilder:object:root=true

// A Branch is a branch of a GitHub repository and, optionally, its branch
// protection, managed from a namespace; repositoryRef and
// repositorySelector find a Repository of the same namespace only.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="REPOSITORY",type="string",JSONPath=".spec.forProvider.repository"
// +kubebuilder:printcolumn:name="BRANCH",type="string",JSONPath=".spec.forProvider.branch"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,paved,github}
type Branch struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BranchSpec              `json:"spec"`
	Status ghv1alpha1.BranchStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// BranchList contains a list of Branch.
type BranchList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Branch `json:"items"`
}

// A TeamRepositorySpec defines the desired state of a namespaced
// TeamRepository.
type TeamRepositorySpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              ghv1alpha1.TeamRepositoryParameters `json:"forProvider"`
}

// +kubebuilder:object:root=true

// A TeamRepository is a team's access to a repository of its organisation, managed
// from a namespace; repositoryRef and repositorySelector find a Repository
// of the same namespace only.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="REPOSITORY",type="string",JSONPath=".spec.forProvider.repository"
// +kubebuilder:printcolumn:name="TEAM",type="string",JSONPath=".spec.forProvider.team"
// +kubebuilder:printcolumn:name="ROLE",type="string",JSONPath=".status.atProvider.roleName"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,paved,github}
type TeamRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TeamRepositorySpec              `json:"spec"`
	Status ghv1alpha1.TeamRepositoryStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// TeamRepositoryList contains a list of TeamRepository.
type TeamRepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TeamRepository `json:"items"`
}
