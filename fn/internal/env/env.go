// Package env resolves the platform environment a composition runs in:
// built-in defaults, then the function input, then an EnvironmentConfig.
package env

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/util/validation"
	kjson "sigs.k8s.io/json"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// Defaults that apply when neither the input nor an EnvironmentConfig says
// otherwise.
const (
	DefaultConnectionSecretNamespace = "crossplane-system"
	DefaultBackupRetentionDays       = 7
	MinBackupRetentionDays           = 7
	MaxBackupRetentionDays           = 35
)

// The provider config of namespaced managed resources when the platform
// names none: provider-aws's own default (its namespaced CRDs default
// spec.providerConfigRef to {kind: ClusterProviderConfig, name: default},
// crossplane/apis v2.4.0 core/v2/resource_namespace.go).
const (
	DefaultProviderConfigKind = "ClusterProviderConfig"
	DefaultProviderConfigName = "default"
)

// ProviderConfigKinds are the kinds a namespaced managed resource's
// providerConfigRef may name: a ProviderConfig in the resource's namespace
// or a cluster-wide ClusterProviderConfig.
var ProviderConfigKinds = []string{"ClusterProviderConfig", "ProviderConfig"}

// ProviderConfigRef names the provider config of namespaced managed
// resources.
type ProviderConfigRef struct{ Kind, Name string }

// DataKey is the key under an EnvironmentConfig's data that holds paved's
// settings, so one EnvironmentConfig can serve several functions.
const DataKey = "paved"

// Environment is the resolved environment. Source names, per field, where
// its value came from, so that an error names the place to fix.
type Environment struct {
	Region          string
	VPCID           string
	SubnetIDs       []string
	AllowedCIDRs    []string
	KMSKeyID        string
	InstanceClasses map[string]string
	// DocumentDBInstanceClasses are the classes of a DocumentDB cluster's
	// instances by size, where the platform overrides them.
	DocumentDBInstanceClasses map[string]string
	// CacheNodeTypes are the node types of a redis database's ElastiCache
	// replication group by size, where the platform overrides them.
	CacheNodeTypes            map[string]string
	BackupRetentionDays       int64
	ConnectionSecretNamespace string
	// AWSProviderConfigRef is the provider config of the provider-aws
	// managed resources of namespaced composites.
	AWSProviderConfigRef ProviderConfigRef

	// ServiceBundle is the ServiceBundle's section (see servicebundle.go).
	ServiceBundle ServiceBundle

	source           map[string]string
	serviceBundleErr *Error
	awsErr           error
}

// Source returns the path of a field (by its JSON name) in the place its
// value came from, e.g. `input environment.vpcId` or
// `EnvironmentConfig "prod" data.paved.vpcId`.
func (e *Environment) Source(jsonName string) string {
	if s, ok := e.source[jsonName]; ok {
		return s
	}
	return "input environment." + jsonName
}

// Resolve merges the input's environment with the data.paved object of an
// EnvironmentConfig (nil when there is none). It fails only when the
// settings cannot be read; what they may be is each composer's to check,
// for the section it uses (ValidateAWS for databases and buckets, the
// ServiceBundle composer for its section), so that a bad setting refuses
// only the kinds that use it.
func Resolve(in environment.Environment, ecName string, ec *structpb.Struct) (*Environment, error) {
	e := &Environment{
		ConnectionSecretNamespace: DefaultConnectionSecretNamespace,
		AWSProviderConfigRef:      ProviderConfigRef{Kind: DefaultProviderConfigKind, Name: DefaultProviderConfigName},
		BackupRetentionDays:       DefaultBackupRetentionDays,
		ServiceBundle:             defaultServiceBundle(),
		source:                    map[string]string{},
	}
	e.apply(in, "input environment.")

	if data := pb.Struct(ec, "data", DataKey); data != nil {
		data = e.splitServiceBundle(data, ecName)
		over, err := decode(data)
		if err != nil {
			return nil, &Error{fmt.Errorf("EnvironmentConfig %q data.%s: %w", ecName, DataKey, err)}
		}
		e.apply(over, fmt.Sprintf("EnvironmentConfig %q data.%s.", ecName, DataKey))
	}
	e.awsErr = e.validate()
	return e, nil
}

// ValidateAWS reports the AWS settings (region, VPC, subnets, CIDRs, KMS
// key, instance classes, backups, secret namespace) that are not allowed,
// naming where each was set. Databases and buckets use them.
func (e *Environment) ValidateAWS() error {
	if e.awsErr == nil {
		return nil
	}
	return &Error{e.awsErr}
}

func decode(s *structpb.Struct) (environment.Environment, error) {
	var out environment.Environment
	err := decodeStrict(structpb.NewStructValue(s), &out, "region, vpcId, subnetIds, allowedCidrs, kmsKeyId, instanceClasses, documentDBInstanceClasses, cacheNodeTypes, backupRetentionDays, connectionSecretNamespace, awsProviderConfigRef, serviceBundle")
	return out, err
}

// decodeStrict decodes v into out, strictly and case-sensitively: a
// misspelt key is an error, not ignored. allowed lists the keys for the
// error message.
func decodeStrict(v *structpb.Value, out any, allowed string) error {
	j, err := protojson.Marshal(v)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, out)
	if err == nil && len(strict) > 0 {
		err = errors.Join(strict...)
	}
	if err != nil {
		return fmt.Errorf("cannot read settings (allowed keys: %s): %w", allowed, err)
	}
	return nil
}

// apply overrides e field by field with what src sets.
func (e *Environment) apply(src environment.Environment, prefix string) {
	set := func(name string) { e.source[name] = prefix + name }
	if src.Region != "" {
		e.Region = src.Region
		set("region")
	}
	if src.VPCID != "" {
		e.VPCID = src.VPCID
		set("vpcId")
	}
	if len(src.SubnetIDs) > 0 {
		e.SubnetIDs = src.SubnetIDs
		set("subnetIds")
	}
	if len(src.AllowedCIDRs) > 0 {
		e.AllowedCIDRs = src.AllowedCIDRs
		set("allowedCidrs")
	}
	if src.KMSKeyID != "" {
		e.KMSKeyID = src.KMSKeyID
		set("kmsKeyId")
	}
	e.InstanceClasses = mergeClasses(e.InstanceClasses, src.InstanceClasses, "instanceClasses", prefix, e.source)
	e.DocumentDBInstanceClasses = mergeClasses(e.DocumentDBInstanceClasses, src.DocumentDBInstanceClasses, "documentDBInstanceClasses", prefix, e.source)
	e.CacheNodeTypes = mergeClasses(e.CacheNodeTypes, src.CacheNodeTypes, "cacheNodeTypes", prefix, e.source)
	if src.BackupRetentionDays != nil {
		e.BackupRetentionDays = *src.BackupRetentionDays
		set("backupRetentionDays")
	}
	if src.ConnectionSecretNamespace != "" {
		e.ConnectionSecretNamespace = src.ConnectionSecretNamespace
		set("connectionSecretNamespace")
	}
	if r := src.AWSProviderConfigRef; r != nil {
		if r.Kind != "" {
			e.AWSProviderConfigRef.Kind = r.Kind
			set(ProviderConfigKind)
		}
		if r.Name != "" {
			e.AWSProviderConfigRef.Name = r.Name
			set(ProviderConfigName)
		}
	}
	e.applyServiceBundle(src.ServiceBundle, set)
}

var (
	reVPC    = regexp.MustCompile(`^vpc-[0-9a-f]{8}([0-9a-f]{9})?$`)
	reSubnet = regexp.MustCompile(`^subnet-[0-9a-f]{8}([0-9a-f]{9})?$`)
	reClass  = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	// A current-generation ElastiCache node type. T2 nodes can no longer
	// be created and T1 is a previous generation
	// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html);
	// every other family takes Multi-AZ with automatic failover and
	// automatic backups, which every paved redis database has.
	reCacheNode = regexp.MustCompile(`^cache\.([a-z0-9]+)\.[a-z0-9]+$`)
	reNamespace = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
)

// Sizes are the database sizes a claim can ask for.
var Sizes = []string{"small", "medium", "large"}

func (e *Environment) validate() error {
	var errs field.List
	if _, ok := Partition(e.Region); e.Region != "" && !ok {
		errs.Add(field.Invalid(e.Source("region"), e.Region, "an AWS region such as eu-west-1"))
	}
	if e.VPCID != "" && !reVPC.MatchString(e.VPCID) {
		errs.Add(field.Invalid(e.Source("vpcId"), e.VPCID, "a VPC id such as vpc-0abc1234def567890"))
	}
	for i, s := range e.SubnetIDs {
		if !reSubnet.MatchString(s) {
			errs.Add(field.Invalid(fmt.Sprintf("%s[%d]", e.Source("subnetIds"), i), s, "a subnet id such as subnet-0abc1234def567890"))
		}
	}
	for i, c := range e.AllowedCIDRs {
		errs.Add(checkCIDR(fmt.Sprintf("%s[%d]", e.Source("allowedCidrs"), i), c))
	}
	if e.KMSKeyID != "" {
		errs.Add(checkKMSKey(e.Source("kmsKeyId"), e.KMSKeyID, e.Region))
	}
	errs = append(errs, checkClasses(e, "instanceClasses", e.InstanceClasses, "an RDS instance class such as db.t3.medium", reClass.MatchString)...)
	errs = append(errs, checkClasses(e, "documentDBInstanceClasses", e.DocumentDBInstanceClasses, "an Amazon DocumentDB instance class such as db.r6g.large", reClass.MatchString)...)
	errs = append(errs, checkClasses(e, "cacheNodeTypes", e.CacheNodeTypes, "a current-generation ElastiCache node type such as cache.t4g.medium (not T1 or T2)", currentCacheNode)...)
	if d := e.BackupRetentionDays; d < MinBackupRetentionDays || d > MaxBackupRetentionDays {
		errs.Add(field.Invalid(e.Source("backupRetentionDays"), float64(d), fmt.Sprintf("between %d and %d days", MinBackupRetentionDays, MaxBackupRetentionDays)))
	}
	if !reNamespace.MatchString(e.ConnectionSecretNamespace) {
		errs.Add(field.Invalid(e.Source("connectionSecretNamespace"), e.ConnectionSecretNamespace, "a Kubernetes namespace name"))
	}
	if !contains(ProviderConfigKinds, e.AWSProviderConfigRef.Kind) {
		errs.Add(field.OneOf(e.Source(ProviderConfigKind), e.AWSProviderConfigRef.Kind, ProviderConfigKinds...))
	}
	if len(validation.IsDNS1123Subdomain(e.AWSProviderConfigRef.Name)) > 0 {
		errs.Add(field.Invalid(e.Source(ProviderConfigName), e.AWSProviderConfigRef.Name, "the name of a provider-aws ProviderConfig or ClusterProviderConfig"))
	}
	return errs.Err()
}

// mergeClasses is classes overridden by src's, whose sources it records
// under name.<size>.
func mergeClasses(classes, src map[string]string, name, prefix string, source map[string]string) map[string]string {
	if len(src) == 0 {
		return classes
	}
	merged := make(map[string]string, len(classes)+len(src))
	maps.Copy(merged, classes)
	for k, v := range src {
		merged[k] = v
		source[name+"."+k] = prefix + name + "." + k
	}
	return merged
}

// checkClasses reports the sizes of classes (the setting called name)
// that are no size, and the classes valid refuses (what says what is
// allowed).
func checkClasses(e *Environment, name string, classes map[string]string, what string, valid func(string) bool) field.List {
	var errs field.List
	keys := make([]string, 0, len(classes))
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		src := e.Source(name + "." + k)
		if !contains(Sizes, k) {
			errs.Add(field.OneOf(src, k, Sizes...))
			continue
		}
		if v := classes[k]; !valid(v) {
			errs.Add(field.Invalid(src, v, what))
		}
	}
	return errs
}

// currentCacheNode reports whether v is a current-generation ElastiCache
// node type (reCacheNode): not T1 or T2.
func currentCacheNode(v string) bool {
	m := reCacheNode.FindStringSubmatch(v)
	return len(m) == 2 && m[1] != "t1" && m[1] != "t2"
}

// RequireNetwork reports the settings a database needs that are not set.
func (e *Environment) RequireNetwork() error {
	var errs field.List
	if e.Region == "" {
		errs.Add(field.Required(e.Source("region"), "the AWS region, set in the Composition's function input or the EnvironmentConfig"))
	}
	if e.VPCID == "" {
		errs.Add(field.Required(e.Source("vpcId"), "the VPC id, set in the Composition's function input or the EnvironmentConfig"))
	}
	if len(e.SubnetIDs) < 2 {
		errs.Add(field.Invalid(e.Source("subnetIds"), strings.Join(e.SubnetIDs, ","), "at least two private subnet ids in different availability zones"))
	}
	if len(e.AllowedCIDRs) == 0 {
		errs.Add(field.Required(e.Source("allowedCidrs"), "the private CIDR blocks that may reach the database"))
	}
	if len(errs) == 0 {
		return nil
	}
	return &Error{errs}
}

// RequireRegion reports a missing region.
func (e *Environment) RequireRegion() error {
	if e.Region == "" {
		return &Error{field.Required(e.Source("region"), "the AWS region, set in the Composition's function input or the EnvironmentConfig")}
	}
	return nil
}

// An Error is the platform environment's fault, not the claim's: the
// platform team must fix the function input or the EnvironmentConfig.
type Error struct{ err error }

func (e *Error) Error() string { return e.err.Error() }
func (e *Error) Unwrap() error { return e.err }

func contains(ss []string, s string) bool {
	return slices.Contains(ss, s)
}

// Wrap marks err as the platform environment's fault.
func Wrap(err error) error { return &Error{err} }
