// Package environment contains the environment section of function-paved's
// input (v1alpha1.Input's environment, and an EnvironmentConfig's
// data.paved): where and how paved creates resources. It is a package of
// its own, without Kubernetes object metadata, so that the function can
// decode it without linking apimachinery's meta/v1 and runtime (docs/design.md,
// "Composed objects are structured maps"); v1alpha1.Input, the
// CRD's root, refers to it.
// +kubebuilder:object:generate=true
package environment

// Environment is where and how paved creates cloud resources.
type Environment struct {
	// Region is the AWS region, e.g. eu-west-1.
	// +optional
	Region string `json:"region,omitempty"`

	// VPCID is the VPC databases are placed in, e.g. vpc-0abc1234.
	// +optional
	VPCID string `json:"vpcId,omitempty"`

	// SubnetIDs are the private subnets of a database subnet group; at least
	// two, in different availability zones.
	// +optional
	SubnetIDs []string `json:"subnetIds,omitempty"`

	// AllowedCIDRs may reach a database on its port. Private ranges only:
	// 0.0.0.0/0 and ::/0 are refused.
	// +optional
	AllowedCIDRs []string `json:"allowedCidrs,omitempty"`

	// KMSKeyID is the ARN of the KMS key that encrypts databases and buckets.
	// Without it the account's AWS-managed keys are used; data is encrypted
	// either way.
	// +optional
	KMSKeyID string `json:"kmsKeyId,omitempty"`

	// InstanceClasses overrides the instance class of a database size.
	// Keys are sizes (small, medium, large); values RDS classes (db.*).
	// +optional
	InstanceClasses map[string]string `json:"instanceClasses,omitempty"`

	// DocumentDBInstanceClasses overrides the instance class of a
	// mongodb database size (an Amazon DocumentDB cluster's instances).
	// Keys are sizes (small, medium, large); values DocumentDB classes
	// (db.*), which are not all RDS's.
	// +optional
	DocumentDBInstanceClasses map[string]string `json:"documentDBInstanceClasses,omitempty"`

	// CacheNodeTypes overrides the node type of a redis database size.
	// Keys are sizes (small, medium, large); values ElastiCache node types
	// (cache.*) of a current generation: not T1 or T2.
	// +optional
	CacheNodeTypes map[string]string `json:"cacheNodeTypes,omitempty"`

	// BackupRetentionDays of automated RDS and DocumentDB backups and
	// ElastiCache snapshots, 7 to 35. Default 7.
	// +optional
	BackupRetentionDays *int64 `json:"backupRetentionDays,omitempty"`

	// ConnectionSecretNamespace is where composed resources write their
	// connection secrets and where generated passwords are kept.
	// Default crossplane-system.
	// +optional
	ConnectionSecretNamespace string `json:"connectionSecretNamespace,omitempty"`

	// AWSProviderConfigRef is the provider-aws provider config of the
	// managed resources that namespaced composites (Crossplane v2 Database
	// and Bucket) compose: a ClusterProviderConfig, or a ProviderConfig,
	// which each composite's namespace must then hold. Default the
	// ClusterProviderConfig "default". Claims' resources use provider-aws's
	// cluster-scoped ProviderConfig "default", as before.
	// +optional
	AWSProviderConfigRef *ProviderConfigReference `json:"awsProviderConfigRef,omitempty"`

	// ServiceBundle is the ServiceBundle's section: where a new service's
	// repository, catalog entry and delivery go. Only ServiceBundles read
	// and validate it, so a bad setting here never refuses a DatabaseClaim
	// or BucketClaim.
	// +optional
	ServiceBundle *ServiceBundleEnvironment `json:"serviceBundle,omitempty"`
}

// ProviderConfigReference names a provider config of namespaced managed
// resources.
type ProviderConfigReference struct {
	// Kind is ClusterProviderConfig or ProviderConfig.
	// +optional
	// +kubebuilder:validation:Enum=ClusterProviderConfig;ProviderConfig
	Kind string `json:"kind,omitempty"`

	// Name of the provider config.
	// +optional
	Name string `json:"name,omitempty"`
}

// ServiceBundleEnvironment is where a ServiceBundle's repository, catalog
// registration and Argo CD Applications go.
type ServiceBundleEnvironment struct {
	// GitHubOwner is the GitHub organisation that owns service repositories
	// and the golden-path template repositories (golden-path-<template>).
	// Required for ServiceBundles.
	// +optional
	GitHubOwner string `json:"githubOwner,omitempty"`

	// GitHubProviderConfig names the provider-paved ProviderConfig of
	// Repositories and RepositoryFiles. Default "default".
	// +optional
	GitHubProviderConfig string `json:"githubProviderConfig,omitempty"`

	// BackstageProviderConfig names the provider-paved ProviderConfig of
	// CatalogLocations. Default "default".
	// +optional
	BackstageProviderConfig string `json:"backstageProviderConfig,omitempty"`

	// ProviderConfigKind is the kind of githubProviderConfig and
	// backstageProviderConfig for namespaced ServiceBundles (Crossplane
	// v2), whose managed resources are provider-paved's namespaced kinds:
	// a ClusterProviderConfig, or a ProviderConfig, which each bundle's
	// namespace must then hold. Default ClusterProviderConfig. Claims'
	// resources use the cluster-scoped ProviderConfigs, as before.
	// +optional
	// +kubebuilder:validation:Enum=ClusterProviderConfig;ProviderConfig
	ProviderConfigKind string `json:"providerConfigKind,omitempty"`

	// ArgoCDNamespace is the namespace Argo CD watches for Applications.
	// Default "argocd".
	// +optional
	ArgoCDNamespace string `json:"argoCDNamespace,omitempty"`

	// ArgoCDProject is the Argo CD project (AppProject) of the Applications
	// of a claim whose namespace Namespaces does not map to a project;
	// "{team}" stands for the namespace's team and "{namespace}" for the
	// namespace, one of which it must contain. It must never make Argo CD's
	// "default" project, which allows every source, destination and kind.
	// Default "{team}-project".
	// +optional
	ArgoCDProject string `json:"argoCDProject,omitempty"`

	// ApplicationNamespace is the namespace each environment's Argo CD
	// Application deploys into: "{namespace}" stands for the claim's
	// namespace, "{team}" for its team and "{environment}" for the
	// environment (staging, production). It must contain "{environment}",
	// so that no two environments share a namespace, and "{namespace}" or
	// "{team}". A name longer than 45 characters keeps its beginning, a
	// digest of the whole and the environment. The platform creates these
	// namespaces and lets the team's AppProject deploy to them. An existing
	// Application keeps the namespace it deploys into.
	// Default "{namespace}-{environment}".
	// +optional
	ApplicationNamespace string `json:"applicationNamespace,omitempty"`

	// RepositoryName is the name of a new service's GitHub repository,
	// which is also its Backstage Component's: "{service}" stands for the
	// claim's name, "{team}" for its namespace's team and "{namespace}" for
	// its namespace; it must contain "{service}". Repository names are
	// first come, first served within the GitHub organisation, as entity
	// names are in Backstage's catalog: with "{team}-{service}" each team
	// has names no other team can take, and a prefix the platform can
	// scope Argo CD's repository credentials to. A repository that exists
	// keeps its name. Default "{service}".
	// +optional
	RepositoryName string `json:"repositoryName,omitempty"`

	// Namespaces maps a claim's namespace to the team that owns what is
	// composed for it (the Backstage owner, the "team" label) and,
	// optionally, the Argo CD project of its Applications. The claim never
	// chooses them: a namespace not listed here is its own team, named
	// after the namespace, with the project ArgoCDProject makes.
	// +optional
	Namespaces map[string]NamespaceTeam `json:"namespaces,omitempty"`

	// ArgoCDDestinationServer is the cluster Applications deploy to.
	// Default "https://kubernetes.default.svc" (Argo CD's own cluster).
	// +optional
	ArgoCDDestinationServer string `json:"argoCDDestinationServer,omitempty"`

	// NotifySyncSucceeded is the Slack channel Argo CD notifications tell
	// about successful syncs. Default "platform-deploys".
	// +optional
	NotifySyncSucceeded string `json:"notifySyncSucceeded,omitempty"`

	// NotifySyncFailed is the Slack channel Argo CD notifications tell about
	// failed syncs. Default "platform-alerts".
	// +optional
	NotifySyncFailed string `json:"notifySyncFailed,omitempty"`

	// GrafanaURL is the base URL of the platform's Grafana (https). When
	// set, a service's catalog entry links to <grafanaURL>/d/<service>.
	// +optional
	GrafanaURL string `json:"grafanaURL,omitempty"`
}

// NamespaceTeam is the team a claim's namespace belongs to.
type NamespaceTeam struct {
	// Team is the team: its Backstage group's name (group:default/<team>)
	// and the value of the "team" label.
	Team string `json:"team"`

	// ArgoCDProject is the Argo CD project of the namespace's
	// Applications. Default: ArgoCDProject's pattern for the team. Only
	// here may it be "default", Argo CD's project that allows everything.
	// +optional
	ArgoCDProject string `json:"argoCDProject,omitempty"`
}
