package env

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paved-dev/paved/fn/internal/field"
)

// reKMSKeyARN is a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<id>,
// whose id is a key id (a UUID) or a multi-Region key id ("mrk-" and 32 hex
// digits). https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN
// and https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html#mrk-sync-properties
var reKMSKeyARN = regexp.MustCompile(`^arn:([a-z-]+):kms:([a-z0-9-]+):([0-9]{12}):key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)

// checkKMSKey accepts a KMS key ARN in the composition's region (and its
// partition) only.
//
// An alias (or alias ARN) is refused: RDS and S3 accept one but report the
// key ARN it points to, so provider-aws would see a difference on every
// reconcile and never settle (CreateDBInstance KmsKeyId: "the key ARN, key
// ID, alias ARN, or alias name"; DescribeDBInstances returns the key ARN,
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
// A key of another region cannot encrypt an RDS instance or an S3 bucket of
// this one: "KMS keys are specific to the AWS Region that they are created
// in, and you can't use KMS keys from one AWS Region in another AWS Region"
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html,
// KmsKeyId).
func checkKMSKey(path, arn, region string) *field.Error {
	example := "a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/<key id> (multi-Region keys: key/mrk-<32 hex digits>)"
	if strings.Contains(arn, ":alias/") || strings.HasPrefix(arn, "alias/") {
		return field.Invalid(path, arn, example+"; not an alias: RDS and S3 report the key ARN an alias points to, so an alias never stops differing")
	}
	m := reKMSKeyARN.FindStringSubmatch(arn)
	if m == nil {
		return field.Invalid(path, arn, example)
	}
	keyPartition, keyRegion := m[1], m[2]
	if region == "" {
		return nil // RequireRegion reports the missing region.
	}
	if keyRegion != region {
		return field.Invalid(path, arn, fmt.Sprintf("a KMS key in the composition's region %s (this key is in %s); RDS and S3 use keys of their own region only", region, keyRegion))
	}
	if p, ok := Partition(region); ok && keyPartition != p {
		return field.Invalid(path, arn, fmt.Sprintf("an ARN of partition %q, the partition of region %s (arn:%s:kms:...)", p, region, p))
	}
	return nil
}

// KMSKeyInRegion reports whether the KMS key, if any, is in e's region. It
// can only be false after Pinned kept an existing composite's region while
// the environment moved to a key of another region.
func (e *Environment) KMSKeyInRegion() bool {
	if e.KMSKeyID == "" {
		return true
	}
	m := reKMSKeyARN.FindStringSubmatch(e.KMSKeyID)
	return m == nil || m[2] == e.Region //nolint:gocritic // a match has every group of reKMSKeyARN
}
