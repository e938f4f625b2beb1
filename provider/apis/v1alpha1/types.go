package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// A GitHubCredentialsSource says where GitHub credentials come from.
// +kubebuilder:validation:Enum=Secret;GitHubApp
type GitHubCredentialsSource string

// GitHub credential sources.
const (
	// GitHubCredentialsSecret reads a token (classic or fine-grained PAT, or
	// an installation token) from a Secret key.
	GitHubCredentialsSecret GitHubCredentialsSource = "Secret"
	// GitHubCredentialsApp authenticates as a GitHub App installation.
	GitHubCredentialsApp GitHubCredentialsSource = "GitHubApp"
)

// GitHubAppCredentials identify a GitHub App installation.
type GitHubAppCredentials struct {
	// AppID is the GitHub App's numeric id.
	// +kubebuilder:validation:Minimum=1
	AppID int64 `json:"appID"`

	// InstallationID is the numeric id of the App's installation on the
	// organisation or user that owns the repositories.
	// +kubebuilder:validation:Minimum=1
	InstallationID int64 `json:"installationID"`

	// PrivateKeySecretRef selects the PEM-encoded private key of the App.
	PrivateKeySecretRef xpv2.SecretKeySelector `json:"privateKeySecretRef"`
}

// GitHubCredentials say how the provider authenticates to GitHub.
// +kubebuilder:validation:XValidation:rule="self.source != 'Secret' || has(self.secretRef)",message="secretRef is required when source is Secret"
// +kubebuilder:validation:XValidation:rule="self.source != 'GitHubApp' || has(self.app)",message="app is required when source is GitHubApp"
type GitHubCredentials struct {
	// Source of the credentials.
	Source GitHubCredentialsSource `json:"source"`

	// SecretRef selects a Secret key holding a GitHub token. Required when
	// source is Secret.
	// +optional
	SecretRef *xpv2.SecretKeySelector `json:"secretRef,omitempty"`

	// App identifies a GitHub App installation. Required when source is
	// GitHubApp.
	// +optional
	App *GitHubAppCredentials `json:"app,omitempty"`
}

// GitHubConfig configures access to GitHub or GitHub Enterprise Server.
type GitHubConfig struct {
	// BaseURL of GitHub Enterprise Server: the host
	// (https://ghe.example.com) or its REST API root
	// (https://ghe.example.com/api/v3); /api/v3 is added when missing. An
	// api.* host (https://api.SUBDOMAIN.ghe.com) is used as given. Defaults
	// to https://api.github.com/.
	// +optional
	BaseURL string `json:"baseURL,omitempty"`

	// Credentials used to authenticate to GitHub.
	Credentials GitHubCredentials `json:"credentials"`
}

// BackstageConfig configures access to a Backstage catalog backend.
type BackstageConfig struct {
	// BaseURL of the Backstage backend (for example
	// https://backstage.example.com). The catalog API is expected under
	// /api/catalog.
	// +kubebuilder:validation:MinLength=1
	BaseURL string `json:"baseURL"`

	// TokenSecretRef selects a Secret key holding a static external-access
	// token accepted by the backend.
	TokenSecretRef xpv2.SecretKeySelector `json:"tokenSecretRef"`
}

// A ProviderConfigSpec defines the desired state of a ProviderConfig.
type ProviderConfigSpec struct {
	// GitHub access, needed by github.paved.dev resources.
	// +optional
	GitHub *GitHubConfig `json:"github,omitempty"`

	// Backstage access, needed by backstage.paved.dev resources.
	// +optional
	Backstage *BackstageConfig `json:"backstage,omitempty"`
}

// A ProviderConfigStatus reflects the observed state of a ProviderConfig.
type ProviderConfigStatus struct {
	xpv2.ProviderConfigStatus `json:",inline"`
}

// +kubebuilder:object:root=true

// A ProviderConfig configures how the paved provider reaches GitHub and
// Backstage.
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="USERS",type="integer",JSONPath=".status.users"
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,paved}
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProviderConfigList contains a list of ProviderConfig.
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ProviderConfigUsage records that a managed resource uses a
// ProviderConfig.
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="CONFIG-NAME",type="string",JSONPath=".providerConfigRef.name"
// +kubebuilder:printcolumn:name="RESOURCE-KIND",type="string",JSONPath=".resourceRef.kind"
// +kubebuilder:printcolumn:name="RESOURCE-NAME",type="string",JSONPath=".resourceRef.name"
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,paved}
type ProviderConfigUsage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	xpv2.ProviderConfigUsage `json:",inline"`
}

// +kubebuilder:object:root=true

// ProviderConfigUsageList contains a list of ProviderConfigUsage.
type ProviderConfigUsageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfigUsage `json:"items"`
}
