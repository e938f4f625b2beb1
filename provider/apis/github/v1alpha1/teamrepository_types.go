package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// Repository permissions a team (or collaborator) can be granted, as
// PUT /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo} names them
// (https://docs.github.com/en/rest/teams/teams#add-or-update-team-repository-permissions).
const (
	PermissionPull     = "pull"
	PermissionTriage   = "triage"
	PermissionPush     = "push"
	PermissionMaintain = "maintain"
	PermissionAdmin    = "admin"
)

// TeamRepositoryParameters are the configurable fields of a TeamRepository.
type TeamRepositoryParameters struct {
	// Repository is the full name (owner/name) of the repository; its
	// owner is the team's organisation. Set it directly or resolve it from
	// a Repository with repositoryRef or repositorySelector.
	// +optional
	// +crossplane:generate:reference:type=Repository
	// +crossplane:generate:reference:extractor=RepositoryFullName()
	Repository *string `json:"repository,omitempty"`

	// RepositoryRef references the Repository the team gets access to.
	// +optional
	RepositoryRef *xpv2.Reference `json:"repositoryRef,omitempty"`

	// RepositorySelector selects the Repository the team gets access to.
	// +optional
	RepositorySelector *xpv2.Selector `json:"repositorySelector,omitempty"`

	// Team is the team's slug in the repository owner's organisation.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="team is immutable"
	Team string `json:"team"`

	// Permission granted to the team: pull (read), triage, push (write),
	// maintain or admin.
	// +optional
	// +kubebuilder:default=push
	// +kubebuilder:validation:Enum=pull;triage;push;maintain;admin
	Permission string `json:"permission,omitempty"`

	// AdoptExisting lets this TeamRepository manage access the team
	// already has to the repository (set it to permission). Access this
	// resource did not grant is never removed. Without it existing access
	// is left untouched and reported (Synced=False naming the team's role).
	// +optional
	AdoptExisting bool `json:"adoptExisting,omitempty"`
}

// TeamRepositoryObservation are the observable fields of a TeamRepository.
type TeamRepositoryObservation struct {
	// RoleName is the team's role on the repository as GitHub reports it
	// (read, triage, write, maintain, admin or a custom role).
	RoleName string `json:"roleName,omitempty"`
}

// A TeamRepositorySpec defines the desired state of a TeamRepository.
type TeamRepositorySpec struct {
	xpv2.ClusterManagedResourceSpec `json:",inline"`
	ForProvider                     TeamRepositoryParameters `json:"forProvider"`
}

// A TeamRepositoryStatus represents the observed state of a TeamRepository.
type TeamRepositoryStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 TeamRepositoryObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A TeamRepository is a team's access to a repository of its organisation
// (terraform-provider-github's github_team_repository). Access the team
// already has is only taken over with adoptExisting or the management
// policies [Observe]; deleting a TeamRepository removes only access it
// granted.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="REPOSITORY",type="string",JSONPath=".spec.forProvider.repository"
// +kubebuilder:printcolumn:name="TEAM",type="string",JSONPath=".spec.forProvider.team"
// +kubebuilder:printcolumn:name="ROLE",type="string",JSONPath=".status.atProvider.roleName"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,managed,paved,github}
type TeamRepository struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TeamRepositorySpec   `json:"spec"`
	Status TeamRepositoryStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// TeamRepositoryList contains a list of TeamRepository.
type TeamRepositoryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TeamRepository `json:"items"`
}
