package discover

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/paved-dev/paved/fn/envconfig"
)

// A keyRef is what --kms-key names: one of the four key identifiers KMS
// accepts, "key ID, key ARN, alias name, or alias ARN"
// (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id).
type keyRef struct {
	raw     string
	alias   string // alias/<name> for an alias name or alias ARN
	account string // of an ARN
}

var (
	// arn:<partition>:kms:<region>:<account>:<alias/name | key/id>
	// (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN).
	reKMSARN = regexp.MustCompile(`^arn:([a-z-]+):kms:([a-z0-9-]+):([0-9]{12}):((alias/[A-Za-z0-9/_-]+)|key/(.+))$`)
	// Key ids: a UUID, or mrk- and 32 hex digits for multi-Region keys
	// (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html).
	reKeyID = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	// Alias names: alias/ then letters, digits, /, _ and -
	// (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html).
	reAlias = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]+$`)
)

// parseKeyRef reads --kms-key. A key of another region is refused here,
// before any call: "KMS keys are specific to the AWS Region that they are
// created in, and you can't use KMS keys from one AWS Region in another
// AWS Region"
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html,
// KmsKeyId); S3 likewise encrypts a bucket only with a key of the
// bucket's region (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
func parseKeyRef(s, region string) (*keyRef, error) {
	switch {
	case s == "":
		return nil, nil
	case strings.HasPrefix(s, "arn:"):
		m := reKMSARN.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("--kms-key %q: not a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<id> or ...:alias/<name>)", s)
		}
		partition, keyRegion := m[1], m[2]
		if keyRegion != region {
			return nil, fmt.Errorf("--kms-key %s is in region %s, not %s: RDS and S3 encrypt only with KMS keys of their own region; name a key or alias in %s (a multi-Region key needs a replica there)", s, keyRegion, region, region)
		}
		if p, _ := envconfig.Partition(region); partition != p {
			return nil, fmt.Errorf("--kms-key %s is in partition %s, region %s is in %s", s, partition, region, p)
		}
		return &keyRef{raw: s, alias: m[5], account: m[3]}, nil
	case strings.HasPrefix(s, "alias/"):
		if !reAlias.MatchString(s) {
			return nil, fmt.Errorf("--kms-key %q: not a KMS alias name (alias/ then letters, digits, /, _ and -)", s)
		}
		return &keyRef{raw: s, alias: s}, nil
	case reKeyID.MatchString(s):
		return &keyRef{raw: s}, nil
	}
	return nil, fmt.Errorf("--kms-key %q: not a KMS key id, key ARN, alias name (alias/...) or alias ARN", s)
}

// key resolves ref to the ARN of a key that can encrypt paved's databases
// and buckets, or says why the key cannot.
func key(ctx context.Context, c KMS, ref *keyRef, account, region string) (string, error) {
	id := ref.raw
	// ListAliases lists the aliases of the caller's account only
	// (https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html);
	// another account's alias ARN goes to DescribeKey as it is.
	if ref.alias != "" && (ref.account == "" || ref.account == account) {
		target, err := resolveAlias(ctx, c, ref.alias, region)
		if err != nil {
			return "", err
		}
		id = target
	}
	out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		if _, ok := errors.AsType[*types.NotFoundException](err); ok {
			return "", fmt.Errorf("--kms-key %s: no such KMS key in region %s (keys are regional: a key of another region is not found here): %w", ref.raw, region, err)
		}
		return "", err
	}
	return usable(ref.raw, out.KeyMetadata)
}

// resolveAlias returns the id of the key an alias of the account points to.
func resolveAlias(ctx context.Context, c KMS, alias, region string) (string, error) {
	var names []string
	p := kms.NewListAliasesPaginator(c, &kms.ListAliasesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, a := range page.Aliases {
			name := aws.ToString(a.AliasName)
			if name != alias {
				if !strings.HasPrefix(name, "alias/aws/") {
					names = append(names, name)
				}
				continue
			}
			// An AWS managed key's alias exists before its key does;
			// it then has no target
			// (https://docs.aws.amazon.com/kms/latest/APIReference/API_AliasListEntry.html).
			if a.TargetKeyId == nil {
				return "", fmt.Errorf("--kms-key %s: the alias points to no key yet", alias)
			}
			return aws.ToString(a.TargetKeyId), nil
		}
	}
	sort.Strings(names)
	return "", fmt.Errorf("--kms-key %s: no such alias in region %s; the account's aliases there are: %s", alias, region, orNone(strings.Join(names, ", ")))
}

// usable returns the key's ARN if it can encrypt RDS instances and S3
// buckets, the reason it cannot otherwise.
func usable(ref string, m *types.KeyMetadata) (string, error) {
	if m == nil {
		return "", fmt.Errorf("--kms-key %s: KMS returned no key metadata", ref)
	}
	arn := aws.ToString(m.Arn)
	what := fmt.Sprintf("--kms-key %s (%s)", ref, arn)
	if ref == arn {
		what = "--kms-key " + ref
	}
	var problems []string
	// Only an Enabled key encrypts; a Disabled, PendingDeletion,
	// PendingImport, Unavailable ... key fails every cryptographic
	// operation (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html),
	// so RDS and S3 could neither create nor read what it protects.
	if m.KeyState != types.KeyStateEnabled {
		p := fmt.Sprintf("its key state is %s, and only an Enabled key encrypts", m.KeyState)
		switch m.KeyState {
		case types.KeyStateDisabled:
			p += " (enable it with EnableKey, or choose another key)"
		case types.KeyStatePendingDeletion:
			if m.DeletionDate != nil {
				p += fmt.Sprintf(" (it is scheduled for deletion on %s; CancelKeyDeletion keeps it)", m.DeletionDate.UTC().Format("2006-01-02"))
			} else {
				p += " (it is scheduled for deletion; CancelKeyDeletion keeps it)"
			}
		}
		problems = append(problems, p)
	}
	// RDS and S3 take symmetric encryption keys only: "Amazon RDS supports
	// only symmetric encryption KMS keys"
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html),
	// "Amazon S3 supports only symmetric encryption KMS keys"
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html);
	// a symmetric encryption key is KeySpec SYMMETRIC_DEFAULT with
	// KeyUsage ENCRYPT_DECRYPT
	// (https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html).
	if m.KeySpec != types.KeySpecSymmetricDefault || m.KeyUsage != types.KeyUsageTypeEncryptDecrypt {
		problems = append(problems, fmt.Sprintf("it is a %s key for %s, and RDS and S3 encrypt only with symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)", m.KeySpec, m.KeyUsage))
	}
	// An AWS managed key (alias/aws/rds, alias/aws/s3) is "created,
	// managed, and used on your behalf by an AWS service"
	// (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-cmk):
	// aws/rds serves RDS only, so one cannot encrypt paved's buckets too.
	if m.KeyManager == types.KeyManagerTypeAws {
		problems = append(problems, "it is an AWS managed key, which serves only the AWS service that made it, while paved encrypts databases and buckets with the one key; leave --kms-key out to have RDS and S3 use their own AWS managed keys")
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s cannot encrypt paved's databases and buckets: %s", what, strings.Join(problems, "; "))
	}
	return arn, nil
}
