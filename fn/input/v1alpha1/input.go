// Package v1alpha1 contains the input type of function-paved.
// +kubebuilder:object:generate=true
// +groupName=fn.paved.dev
// +versionName=v1alpha1
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and version of the input.
const (
	Group   = "fn.paved.dev"
	Version = "v1alpha1"
	Kind    = "Input"
)

// GroupVersion of the input.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// Input configures function-paved for one Composition. It carries the
// platform's environment: where and how resources are created. Product teams
// never see it; their claims only say what they need.
//
// Precedence, lowest first: paved's built-in defaults, then this input's
// environment, then the EnvironmentConfig named by environmentConfigName
// (its data.paved object, field by field). A field set in the
// EnvironmentConfig wins; a field it leaves out keeps the input's value.
// Secure settings (encryption, privacy, deletion protection, backups) are
// not part of the environment and cannot be overridden anywhere.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Environment is the platform's environment for this Composition.
	// +optional
	Environment Environment `json:"environment,omitempty"`

	// EnvironmentConfigName names a cluster-scoped EnvironmentConfig
	// (apiextensions.crossplane.io/v1beta1) that the function requires as an
	// extra resource. Its data.paved object overrides Environment field by
	// field. If it does not exist, Environment applies as it is.
	// +optional
	EnvironmentConfigName string `json:"environmentConfigName,omitempty"`
}

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

	// BackupRetentionDays of automated RDS backups, 7 to 35. Default 7.
	// +optional
	BackupRetentionDays *int64 `json:"backupRetentionDays,omitempty"`

	// ConnectionSecretNamespace is where composed resources write their
	// connection secrets and where generated passwords are kept.
	// Default crossplane-system.
	// +optional
	ConnectionSecretNamespace string `json:"connectionSecretNamespace,omitempty"`
}
