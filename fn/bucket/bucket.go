// Package bucket composes a BucketClaim (XBucket), or a namespaced Bucket,
// into an S3 bucket that is versioned, encrypted with KMS, closed to the
// public, owned by its account and reachable over TLS only.
package bucket

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// Kind is the legacy composite kind this composer handles; NamespacedKind
// the namespaced one (Crossplane v2), composed alike in its namespace.
const (
	Kind           = "XBucket"
	NamespacedKind = "Bucket"
)

// Names of the composed resources in the pipeline.
const (
	Bucket            = "bucket"
	Versioning        = "versioning"
	Encryption        = "encryption"
	PublicAccessBlock = "public-access-block"
	OwnershipControls = "ownership-controls"
	Policy            = "policy"
	Lifecycle         = "lifecycle"
)

// Claim bounds.
const (
	MinNoncurrentDays = 1
	MaxNoncurrentDays = 3650

	// AbortIncompleteUploadDays cleans up multipart uploads nobody finished.
	AbortIncompleteUploadDays = 7
)

type claim struct {
	noncurrentDays int // 0: keep old versions
}

// noncurrentDaysAllowed says, for an error, what the claim may set.
var noncurrentDaysAllowed = fmt.Sprintf("a whole number of days from %d to %d, or leave it out to keep old versions", MinNoncurrentDays, MaxNoncurrentDays)

func parse(spec *structpb.Struct) (*claim, error) {
	var errs field.List
	c := &claim{}
	var err *field.Error
	c.noncurrentDays, err = compose.WholeNumber(spec, "noncurrentVersionExpirationDays", MinNoncurrentDays, MaxNoncurrentDays,
		noncurrentDaysAllowed)
	errs.Add(err)
	errs.Add(compose.SecureSetting(spec, "publicAccess", false, "paved buckets always block public access"))
	errs.Add(compose.SecureSetting(spec, "encrypted", true, "paved buckets are always encrypted with KMS"))
	return c, errs.Err()
}

// Composer composes XBuckets.
type Composer struct{}

// Component is the app.kubernetes.io/component of what it composes.
func (Composer) Component() string { return component }

const component = "bucket"

// ConditionType is the custom condition it reports on composite and claim.
func (Composer) ConditionType() string { return "BucketReady" }

// Compose adds the bucket's resources to s.
func (Composer) Compose(xr *compose.Composite, e *env.Environment, s *compose.Set) error {
	c, err := parse(xr.Spec())
	if err != nil {
		return err
	}
	if err := e.RequireRegion(); err != nil {
		return err
	}
	// A namespaced composite has no connection secret of its own: the
	// details Status returns are composed as a Secret.
	if err := s.ComposeConnectionSecret(component); err != nil {
		return err
	}
	// The bucket's name carries the composite's uid digest (package
	// naming); an existing bucket keeps the name it has (Set.Keep).
	names := xr.Names()
	name := s.KeepExternalName(Bucket, awsrules.S3BucketName.Valid, names.Cloud(awsrules.S3BucketName, ""))
	region := pb.Str(e.Region)
	// The bucket of this composite, and no other.
	sel := compose.Selector(Bucket)
	sub := func(extra pb.Fields) pb.Fields {
		fp := pb.Fields{"region": region, "bucketSelector": sel}
		maps.Copy(fp, extra)
		return pb.Fields{"forProvider": pb.Obj(fp)}
	}

	// The bucket's external name is the S3 bucket name (provider-aws
	// v1.23.0: aws_s3_bucket is ParameterAsIdentifier("bucket")).
	s.Add(Bucket, "s3.aws.upbound.io/v1beta1", "Bucket", names.Object(Bucket), pb.Fields{
		"forProvider": pb.Obj(pb.Fields{
			"region": region,
			// A bucket that still holds objects is never deleted.
			"forceDestroy": pb.Boolean(false),
			"tags":         s.Tags(),
		}),
	}, compose.WithExternalName(name))

	s.Add(Versioning, "s3.aws.upbound.io/v1beta1", "BucketVersioning", names.Object(Versioning), sub(pb.Fields{
		"versioningConfiguration": versioningEnabled,
	}))

	sse := pb.Fields{"sseAlgorithm": pb.Const("aws:kms")}
	if e.KMSKeyID != "" {
		sse["kmsMasterKeyId"] = pb.Str(e.KMSKeyID)
	}
	s.Add(Encryption, "s3.aws.upbound.io/v1beta1", "BucketServerSideEncryptionConfiguration", names.Object(Encryption), sub(pb.Fields{
		"rule": pb.List(pb.Obj(pb.Fields{
			"applyServerSideEncryptionByDefault": pb.List(pb.Obj(sse)),
			"bucketKeyEnabled":                   pb.Boolean(true),
		})),
	}))

	s.Add(PublicAccessBlock, "s3.aws.upbound.io/v1beta1", "BucketPublicAccessBlock", names.Object(PublicAccessBlock), sub(pb.Fields{
		"blockPublicAcls":       pb.Boolean(true),
		"blockPublicPolicy":     pb.Boolean(true),
		"ignorePublicAcls":      pb.Boolean(true),
		"restrictPublicBuckets": pb.Boolean(true),
	}))

	s.Add(OwnershipControls, "s3.aws.upbound.io/v1beta1", "BucketOwnershipControls", names.Object(OwnershipControls), sub(pb.Fields{
		"rule": ownerEnforced,
	}))

	s.Add(Policy, "s3.aws.upbound.io/v1beta1", "BucketPolicy", names.Object(Policy), sub(pb.Fields{
		"policy": pb.Str(TLSOnlyPolicy(ARN(e.Region, name))),
	}))

	rule := pb.Fields{
		"id":                             pb.Const("paved-defaults"),
		"status":                         pb.Const("Enabled"),
		"filter":                         everyObject,
		"abortIncompleteMultipartUpload": abortIncompleteUploads,
	}
	if c.noncurrentDays > 0 {
		rule["noncurrentVersionExpiration"] = pb.List(pb.Obj(pb.Fields{"noncurrentDays": pb.Int(c.noncurrentDays)}))
	}
	s.Add(Lifecycle, "s3.aws.upbound.io/v1beta1", "BucketLifecycleConfiguration", names.Object(Lifecycle), sub(pb.Fields{
		"rule": pb.List(pb.Obj(rule)),
	}))
	s.Protect(Bucket, "S3 does not delete while it holds objects (paved never sets forceDestroy) until a platform operator empties it",
		compose.Keep(PublicAccessBlock, Policy, Encryption, OwnershipControls, Versioning, Lifecycle)...)

	return nil
}

// Parts of every bucket's configuration that never change, made once and
// shared by every composed object, never modified (as pb.Const).
var (
	versioningEnabled = pb.List(pb.Obj(pb.Fields{"status": pb.Const("Enabled")}))
	ownerEnforced     = pb.List(pb.Obj(pb.Fields{"objectOwnership": pb.Const("BucketOwnerEnforced")}))
	everyObject       = pb.List(pb.Obj(pb.Fields{"prefix": pb.Const("")}))
	// abortIncompleteUploads ends multipart uploads left incomplete after
	// AbortIncompleteUploadDays.
	abortIncompleteUploads = pb.List(pb.Obj(pb.Fields{"daysAfterInitiation": pb.Int(AbortIncompleteUploadDays)}))
)

// Placement says where an existing bucket records its region and KMS key,
// so that an environment change never moves it (see compose.Set.Pin).
func (Composer) Placement() []compose.Pin { return placement }

var placement = []compose.Pin{
	{Setting: env.Region, Resource: Bucket, Paths: [][]string{{"spec", "forProvider", "region"}, {"status", "atProvider", "region"}}},
	{Setting: env.KMSKeyID, Resource: Encryption, Paths: [][]string{
		{"spec", "forProvider", "rule", "0", "applyServerSideEncryptionByDefault", "0", "kmsMasterKeyId"},
		{"status", "atProvider", "rule", "0", "applyServerSideEncryptionByDefault", "0", "kmsMasterKeyId"},
	}},
}

// Check refuses nothing: every change a BucketClaim can ask for, S3 can make.
func (Composer) Check(*compose.Composite, *compose.Set) error { return nil }

// ARN is the ARN of a bucket in a region's partition: arn:aws-cn:s3:::name
// in China, arn:aws-us-gov:s3:::name in GovCloud, and so on
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html).
// The region has been validated, so its partition is known.
func ARN(region, bucket string) string {
	p, _ := env.Partition(region)
	return "arn:" + p + ":s3:::" + bucket
}

// TLSOnlyPolicy is a bucket policy that denies every request not made over
// TLS 1.2 or later: tlsOnlyPolicy's document, with the ARN in place of the
// placeholder (JSON-escaped as json.Marshal escapes it: compose.JSONString),
// without encoding the document anew for every bucket.
func TLSOnlyPolicy(arn string) string {
	q := compose.JSONString(arn)
	return strings.Join(tlsOnlyPolicyParts, q[1:len(q)-1])
}

// tlsOnlyPolicyParts is tlsOnlyPolicy's document split at its ARNs.
var tlsOnlyPolicyParts = strings.Split(tlsOnlyPolicy(arnPlaceholder), arnPlaceholder)

// arnPlaceholder stands for the bucket's ARN in tlsOnlyPolicyParts; nothing
// else in the policy contains it.
const arnPlaceholder = "ARN-OF-THE-BUCKET"

// tlsOnlyPolicy is the policy document for the bucket arn.
func tlsOnlyPolicy(arn string) string {
	resources := []string{arn, arn + "/*"}
	p := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":       "DenyInsecureTransport",
				"Effect":    "Deny",
				"Principal": "*",
				"Action":    "s3:*",
				"Resource":  resources,
				"Condition": map[string]any{"Bool": map[string]string{"aws:SecureTransport": "false"}},
			},
			map[string]any{
				"Sid":       "DenyOutdatedTLS",
				"Effect":    "Deny",
				"Principal": "*",
				"Action":    "s3:*",
				"Resource":  resources,
				"Condition": map[string]any{"NumericLessThan": map[string]string{"s3:TlsVersion": "1.2"}},
			},
		},
	}
	b, _ := json.Marshal(p) //nolint:errchkjson // A map of strings always marshals; keys are sorted.
	return string(b)
}

// Status reads the bucket's name, ARN and region from what the provider
// observed. A namespaced composite also reports the Secret they are
// written to.
func (Composer) Status(_ *compose.Composite, s *compose.Set) compose.Status {
	st := compose.Status{Fields: pb.Fields{}, ConnectionDetails: map[string][]byte{}}
	if n := s.ConnectionSecretName(); n != "" {
		st.Fields["secretName"] = pb.Str(n)
	}
	obs := s.Observed(Bucket)
	for k, path := range map[string]string{"bucketName": "id", "arn": "arn", "region": "region"} {
		if v, ok := pb.String(obs, "status", "atProvider", path); ok && v != "" {
			st.Fields[k] = pb.Str(v)
			st.ConnectionDetails[k] = []byte(v)
		}
	}
	return st
}
