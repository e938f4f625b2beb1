package awsrules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// ExternalNameAnnotation is where a Crossplane managed resource keeps the
// name of its external resource. For kinds whose external name is the cloud
// name (provider-aws config/externalname.go: NameAsIdentifier or
// ParameterAsIdentifier), it defaults to metadata.name when unset
// (crossplane-runtime pkg/reconciler/managed, NameAsExternalName).
const ExternalNameAnnotation = "crossplane.io/external-name"

// A Field is a field of a provider-aws v1.23.0 kind whose value AWS
// constrains.
type Field struct {
	// Group and Kind of the managed resource, e.g. rds.aws.upbound.io
	// Instance.
	Group, Kind string
	// Path of the field. Nil means the external name (the annotation, or
	// metadata.name when it is unset).
	Path []string
	// Rule the value must obey.
	Rule *Rule
}

// Name of the field for errors, e.g. spec.forProvider.identifier.
func (f Field) Name() string {
	if f.Path == nil {
		return "metadata.annotations[" + ExternalNameAnnotation + "]"
	}
	return strings.Join(f.Path, ".")
}

func forProvider(name string) []string { return []string{"spec", "forProvider", name} }

// Fields are every constrained field of every kind paved composes: the one
// table that says which rule applies where. The external names follow
// provider-aws v1.23.0 config/externalname.go: aws_s3_bucket is
// ParameterAsIdentifier("bucket"), aws_sqs_queue IdentifierFromProvider and aws_db_subnet_group and
// aws_db_parameter_group are NameAsIdentifier, so their cloud name is the
// external name; aws_db_instance and aws_security_group are
// IdentifierFromProvider, so their names are forProvider fields.
// aws_elasticache_replication_group is ParameterAsIdentifier
// ("replication_group_id") and aws_elasticache_subnet_group
// NameAsIdentifier, so both are named by their external name.
// aws_docdb_cluster is ParameterAsIdentifier("cluster_identifier") and
// aws_docdb_cluster_instance ParameterAsIdentifier("identifier"), so the
// external name is the identifier (neither has the field in
// spec.forProvider), and aws_docdb_subnet_group and
// aws_docdb_cluster_parameter_group are NameAsIdentifier.
var Fields = []Field{
	{"ec2.aws.upbound.io", "SecurityGroup", forProvider("name"), SecurityGroupName},
	{"ec2.aws.upbound.io", "SecurityGroup", forProvider("description"), SecurityGroupDescription},
	{"ec2.aws.upbound.io", "SecurityGroupRule", forProvider("description"), SecurityGroupRuleDescription},
	{"ec2.aws.upbound.io", "SecurityGroupIngressRule", forProvider("description"), SecurityGroupRuleDescription},
	{"rds.aws.upbound.io", "Instance", forProvider("identifier"), DBInstanceIdentifier},
	{"rds.aws.upbound.io", "Instance", forProvider("finalSnapshotIdentifier"), DBSnapshotIdentifier},
	{"rds.aws.upbound.io", "SubnetGroup", nil, DBSubnetGroupName},
	{"rds.aws.upbound.io", "SubnetGroup", forProvider("description"), RDSDescription},
	{"rds.aws.upbound.io", "ParameterGroup", nil, DBParameterGroupName},
	{"rds.aws.upbound.io", "ParameterGroup", forProvider("description"), RDSDescription},
	{"s3.aws.upbound.io", "Bucket", nil, S3BucketName},
	{"docdb.aws.upbound.io", "Cluster", nil, DocDBClusterIdentifier},
	{"docdb.aws.upbound.io", "Cluster", forProvider("finalSnapshotIdentifier"), DocDBSnapshotIdentifier},
	{"docdb.aws.upbound.io", "ClusterInstance", nil, DocDBInstanceIdentifier},
	{"docdb.aws.upbound.io", "ClusterParameterGroup", nil, DocDBClusterParameterGroupName},
	{"docdb.aws.upbound.io", "ClusterParameterGroup", forProvider("description"), RDSDescription},
	{"docdb.aws.upbound.io", "SubnetGroup", nil, DocDBSubnetGroupName},
	{"docdb.aws.upbound.io", "SubnetGroup", forProvider("description"), RDSDescription},
	{"elasticache.aws.upbound.io", "ReplicationGroup", nil, ReplicationGroupID},
	{"elasticache.aws.upbound.io", "ReplicationGroup", forProvider("description"), ElastiCacheDescription},
	{"elasticache.aws.upbound.io", "ReplicationGroup", forProvider("finalSnapshotIdentifier"), ReplicationGroupID},
	{"elasticache.aws.upbound.io", "SubnetGroup", nil, CacheSubnetGroupName},
	{"elasticache.aws.upbound.io", "SubnetGroup", forProvider("description"), ElastiCacheDescription},
	// aws_sqs_queue is IdentifierFromProvider (its external name is the
	// queue URL), so the name is spec.forProvider.name; which rule applies
	// depends on fifoQueue (Applies).
	{"sqs.aws.upbound.io", "Queue", forProvider("name"), SQSQueueName},
	{"sqs.aws.upbound.io", "Queue", forProvider("name"), SQSFIFOQueueName},
}

// applies are the rules that apply to some objects of their kind only: an
// SQS queue's name rule depends on whether it is a FIFO queue.
var applies = map[*Rule]func(o *structpb.Struct) bool{
	SQSQueueName:     func(o *structpb.Struct) bool { return !fifo(o) },
	SQSFIFOQueueName: fifo,
}

// Applies reports whether the field's rule applies to the composed object o.
func (f Field) Applies(o *structpb.Struct) bool {
	if a := applies[f.Rule]; a != nil {
		return a(o)
	}
	return true
}

// fifo reports whether a composed SQS Queue is a FIFO queue.
func fifo(o *structpb.Struct) bool {
	v, _ := pb.Bool(o, "spec", "forProvider", "fifoQueue")
	return v
}

// FieldsOf returns the constrained fields of a kind, of either scope: a
// namespaced kind of provider-aws v2 (group *.aws.m.upbound.io) has the
// fields of its cluster-scoped kind, and AWS the same rules for them.
func FieldsOf(group, kind string) []Field {
	group = ClusterGroup(group)
	var fs []Field
	for _, f := range Fields {
		if f.Group == group && f.Kind == kind {
			fs = append(fs, f)
		}
	}
	return fs
}

// ClusterGroup is the group of the cluster-scoped kinds of a provider-aws
// group: s3.aws.upbound.io for the namespaced s3.aws.m.upbound.io of
// provider-aws v2 (provider-upjet-aws v2.6.0 package/crds), the group
// itself otherwise.
func ClusterGroup(group string) string {
	if g, ok := strings.CutSuffix(group, ".aws.m.upbound.io"); ok {
		return g + ".aws.upbound.io"
	}
	return group
}

// ExternalName returns the external name of a managed resource: its
// annotation, or its metadata.name when that is unset.
func ExternalName(o *structpb.Struct) string {
	if v, _ := pb.String(o, "metadata", "annotations", ExternalNameAnnotation); v != "" {
		return v
	}
	v, _ := pb.String(o, "metadata", "name")
	return v
}

// CheckComposed checks a composed provider-aws resource against every rule
// of Fields for its kind, and its spec.forProvider.tags against the tag
// rules. Fields that are not set are left to AWS's defaults. The errors name
// the composed resource.
func CheckComposed(o *structpb.Struct) field.List {
	var c Checker
	return c.Check(o)
}

// A Checker checks the composed resources of one composition
// (CheckComposed). The resources of a composition share one tags object
// (compose.Set.Tags): a Checker checks each tags object once.
type Checker struct {
	validTags []*structpb.Struct
}

// Check is CheckComposed.
func (c *Checker) Check(o *structpb.Struct) field.List {
	var errs field.List
	apiVersion, _ := pb.String(o, "apiVersion")
	kind, _ := pb.String(o, "kind")
	name, _ := pb.String(o, "metadata", "name")
	group, _, _ := strings.Cut(apiVersion, "/")
	group = ClusterGroup(group)
	// The path of an error is written only for an error: every resource
	// paved composes is checked, on every composition.
	at := func(path string) string { return fmt.Sprintf("%s %s: %s", kind, name, path) }
	for _, f := range Fields {
		if f.Group != group || f.Kind != kind || !f.Applies(o) {
			continue
		}
		var v string
		if f.Path == nil {
			v = ExternalName(o)
		} else {
			var ok bool
			if v, ok = pb.String(o, f.Path...); !ok {
				if pb.Has(o, f.Path...) {
					errs.Add(field.Invalid(at(f.Name()), pb.Get(o, f.Path...).AsInterface(), f.Rule.What+" is a string"))
				}
				continue
			}
		}
		if !f.Rule.Valid(v) {
			errs.Add(f.Rule.Validate(at(f.Name()), v))
		}
	}
	if !strings.HasSuffix(group, ".aws.upbound.io") || !pb.Has(o, "spec", "forProvider", "tags") {
		return errs
	}
	tags := pb.Struct(o, "spec", "forProvider", "tags")
	if tags == nil {
		errs.Add(field.Invalid(at("spec.forProvider.tags"), pb.Get(o, "spec", "forProvider", "tags").AsInterface(), "a map of tag keys to values"))
		return errs
	}
	if len(tags.GetFields()) > MaxTags {
		errs.Add(field.Invalid(at("spec.forProvider.tags"), len(tags.GetFields()), fmt.Sprintf("at most %d tags", MaxTags)))
	}
	if slices.Contains(c.validTags, tags) {
		return errs
	}
	if tagsValid(tags) {
		c.validTags = append(c.validTags, tags)
		return errs
	}
	// In key order, so that the errors come in a stable order.
	keys := make([]string, 0, len(tags.GetFields()))
	for k := range tags.GetFields() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := at("spec.forProvider.tags[" + k + "]")
		errs.Add(TagKey.Validate(path+" (key)", k))
		v, ok := pb.String(tags, k)
		if !ok {
			errs.Add(field.Invalid(path, tags.GetFields()[k].AsInterface(), "a tag value is a string"))
			continue
		}
		errs.Add(TagValue.Validate(path, v))
	}
	return errs
}

// tagsValid reports whether every tag has a valid key and a valid string
// value.
func tagsValid(tags *structpb.Struct) bool {
	for k, v := range tags.GetFields() {
		s, ok := v.GetKind().(*structpb.Value_StringValue)
		if !ok || !TagKey.Valid(k) || !TagValue.Valid(s.StringValue) {
			return false
		}
	}
	return true
}
