// Package awsrules holds AWS's documented constraints on the values paved
// composes: names, descriptions and tags. Each rule cites its source. A Rule
// validates a value (returning a field error that names the field, the value
// and what is allowed); its constructor builds a valid value from any input,
// so that what paved composes is accepted by AWS, whatever a claim is called.
//
// Where AWS documents a looser rule than paved needs, paved keeps to a
// stricter subset and says why (e.g. lowercase only where AWS stores names
// in lowercase, which would otherwise be a permanent diff; no dots in bucket
// names, which break TLS for virtual-hosted-style requests).
package awsrules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/paved-dev/paved/fn/internal/field"
)

// A Rule is one of AWS's documented constraints on a string value.
type Rule struct {
	// What the value is, e.g. "an RDS DB instance identifier".
	What string
	// Source documents the rule.
	Source string
	// Min and Max length, in characters (runes).
	Min, Max int
	// Allowed reports whether a character may appear.
	Allowed func(r rune) bool
	// Charset describes Allowed for people.
	Charset string
	// Name rules: the first character must be a letter; the value must not
	// end with a hyphen or contain two consecutive hyphens.
	LetterFirst, NoHyphenEnd, NoDoubleHyphen bool
	// AlnumEnds: first and last characters must be letters or digits.
	AlnumEnds bool
	// ReservedPrefixes and ReservedSuffixes must not begin or end a value.
	ReservedPrefixes, ReservedSuffixes []string
	// Reserved values.
	Reserved []string
	// NotIP: the value must not look like an IPv4 address.
	NotIP bool
	// Suffix, when set, must end every value; its characters need not be
	// Allowed (a FIFO queue's ".fifo") and it counts towards Max.
	Suffix string
}

// charset is Allowed for every ASCII character, read from a table made
// once per rule: almost every value paved checks is ASCII, and Allowed's
// unicode tables cost a composed object's checks more than the rest of
// them.
type charset struct {
	ascii   [2]uint64
	allowed func(rune) bool
}

func (cs *charset) has(c rune) bool {
	if c < utf8.RuneSelf {
		return cs.ascii[c>>6]&(1<<(c&63)) != 0
	}
	return cs.allowed(c)
}

// charsets holds each rule's charset, by rule.
var charsets sync.Map

func (r *Rule) charset() *charset {
	if cs, ok := charsets.Load(r); ok {
		return cs.(*charset) //nolint:forcetypeassert // charsets holds only *charset
	}
	cs := &charset{allowed: r.Allowed}
	for c := range rune(utf8.RuneSelf) {
		if r.Allowed(c) {
			cs.ascii[c>>6] |= 1 << (c & 63)
		}
	}
	v, _ := charsets.LoadOrStore(r, cs)
	return v.(*charset) //nolint:forcetypeassert // charsets holds only *charset
}

// Check returns why v breaks the rule, or "" if it does not.
func (r *Rule) Check(v string) string {
	if !utf8.ValidString(v) {
		return "not valid UTF-8"
	}
	n := utf8.RuneCountInString(v)
	switch {
	case n < r.Min:
		return fmt.Sprintf("shorter than %d characters", r.Min)
	case n > r.Max:
		return fmt.Sprintf("longer than %d characters", r.Max)
	}
	body := v
	if r.Suffix != "" {
		var ok bool
		if body, ok = strings.CutSuffix(v, r.Suffix); !ok {
			return fmt.Sprintf("does not end with %q", r.Suffix)
		}
	}
	cs := r.charset()
	for _, c := range body {
		if !cs.has(c) {
			return fmt.Sprintf("contains %q; allowed are %s", c, r.Charset)
		}
	}
	if n == 0 {
		return ""
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	switch {
	case r.LetterFirst && !isLower(first) && !(first >= 'A' && first <= 'Z'):
		return "does not begin with a letter"
	case r.AlnumEnds && !(isLower(first) || isDigit(first)):
		return "does not begin with a letter or digit"
	case r.AlnumEnds && !(isLower(last) || isDigit(last)):
		return "does not end with a letter or digit"
	case r.NoHyphenEnd && last == '-':
		return "ends with a hyphen"
	case r.NoDoubleHyphen && strings.Contains(v, "--"):
		return "contains two consecutive hyphens"
	}
	for _, p := range r.ReservedPrefixes {
		if strings.HasPrefix(v, p) {
			return fmt.Sprintf("begins with the reserved prefix %q", p)
		}
	}
	for _, s := range r.ReservedSuffixes {
		if strings.HasSuffix(v, s) {
			return fmt.Sprintf("ends with the reserved suffix %q", s)
		}
	}
	for _, s := range r.Reserved {
		if strings.EqualFold(v, s) {
			return fmt.Sprintf("is the reserved name %q", s)
		}
	}
	if r.NotIP {
		if a, err := netip.ParseAddr(v); err == nil && a.Is4() {
			return "is formatted as an IP address"
		}
	}
	return ""
}

// Valid reports whether v obeys the rule.
func (r *Rule) Valid(v string) bool { return r.Check(v) == "" }

// Validate returns a field error for path if v breaks the rule.
func (r *Rule) Validate(path, v string) *field.Error {
	why := r.Check(v)
	if why == "" {
		return nil
	}
	return field.Invalid(path, v, fmt.Sprintf("%s: %s (%s)", r.What, why, r.Source))
}

func isLower(c rune) bool { return c >= 'a' && c <= 'z' }
func isDigit(c rune) bool { return c >= '0' && c <= '9' }

// sqsName allows the characters of an SQS queue name: letters, digits,
// hyphens and underscores.
func sqsName(c rune) bool {
	return isLower(c) || isDigit(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'
}

// dnsish allows lowercase letters, digits and hyphens.
func dnsish(c rune) bool { return isLower(c) || isDigit(c) || c == '-' }

const dnsishCharset = "lowercase letters, digits and hyphens"

const sqsNameCharset = "letters, digits, hyphens and underscores"

// ec2Text is the character set of EC2-VPC security group names and
// descriptions: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
func ec2Text(c rune) bool {
	return isLower(c) || isDigit(c) || (c >= 'A' && c <= 'Z') || strings.ContainsRune(" ._-:/()#,@[]+=&;{}!$*", c)
}

// ec2RuleText is the character set of a security group rule's description:
// IpRange, Ipv6Range, PrefixListId and UserIdGroupPair all document
// a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=;{}!$* (no '&', unlike security
// group descriptions)
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html).
func ec2RuleText(c rune) bool { return c != '&' && ec2Text(c) }

// tagText is the character set of tag keys and values common to every AWS
// service: letters, numbers and spaces representable in UTF-8, and
// _ . : / = + - @ (the API pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$)
// (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions,
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Tag.html).
func tagText(c rune) bool {
	return unicode.IsLetter(c) || unicode.In(c, unicode.Z) || unicode.IsNumber(c) || strings.ContainsRune("_.:/=+-@", c)
}

// The rules. Each one cites where AWS documents it.
var (
	// SecurityGroupName: up to 255 characters, a-z, A-Z, 0-9, spaces and
	// ._-:/()#,@[]+=&;{}!$*, and it cannot start with sg-
	// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
	SecurityGroupName = &Rule{
		What:             "an EC2 security group name",
		Source:           "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
		Min:              1,
		Max:              255,
		Allowed:          ec2Text,
		Charset:          "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*",
		ReservedPrefixes: []string{"sg-"},
	}

	// SecurityGroupDescription: up to 255 characters of the same set
	// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
	SecurityGroupDescription = &Rule{
		What:    "an EC2 security group description",
		Source:  "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
		Min:     1,
		Max:     255,
		Allowed: ec2Text,
		Charset: "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*",
	}

	// SecurityGroupRuleDescription: up to 255 characters, a-z, A-Z, 0-9,
	// spaces and ._-:/()#,@[]+=;{}!$*
	// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html).
	SecurityGroupRuleDescription = &Rule{
		What:    "an EC2 security group rule description",
		Source:  "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html",
		Min:     0,
		Max:     255,
		Allowed: ec2RuleText,
		Charset: "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*",
	}

	// DBInstanceIdentifier: 1 to 63 letters, numbers or hyphens; first
	// character a letter; no trailing hyphen and no two consecutive hyphens
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
	// RDS stores it in lowercase, so paved composes lowercase only: an
	// uppercase letter would be a permanent diff.
	DBInstanceIdentifier = &Rule{
		What:           "an RDS DB instance identifier",
		Source:         "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
		Min:            1,
		Max:            63,
		Allowed:        dnsish,
		Charset:        dnsishCharset,
		LetterFirst:    true,
		NoHyphenEnd:    true,
		NoDoubleHyphen: true,
	}

	// DBSnapshotIdentifier (the final snapshot of a deleted instance): 1 to
	// 255 letters, numbers or hyphens; first character a letter; no trailing
	// hyphen and no two consecutive hyphens
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html,
	// FinalDBSnapshotIdentifier). Lowercase only, as RDS stores it.
	DBSnapshotIdentifier = &Rule{
		What:           "an RDS DB snapshot identifier",
		Source:         "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html",
		Min:            1,
		Max:            255,
		Allowed:        dnsish,
		Charset:        dnsishCharset,
		LetterFirst:    true,
		NoHyphenEnd:    true,
		NoDoubleHyphen: true,
	}

	// DBSubnetGroupName: no more than 255 letters, numbers, periods,
	// underscores, spaces or hyphens; must not be "default"
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html).
	// RDS stores it in lowercase; paved composes lowercase letters, digits
	// and single hyphens, beginning with a letter.
	DBSubnetGroupName = &Rule{
		What:           "an RDS DB subnet group name",
		Source:         "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html",
		Min:            1,
		Max:            255,
		Allowed:        dnsish,
		Charset:        dnsishCharset,
		LetterFirst:    true,
		NoHyphenEnd:    true,
		NoDoubleHyphen: true,
		Reserved:       []string{"default"},
	}

	// DBParameterGroupName: 1 to 255 letters, numbers or hyphens; first
	// character a letter; no trailing hyphen and no two consecutive hyphens
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html).
	// Stored in lowercase; paved composes lowercase. Names beginning with
	// "default." belong to RDS; a hyphen-only name can never be one.
	DBParameterGroupName = &Rule{
		What:           "an RDS DB parameter group name",
		Source:         "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html",
		Min:            1,
		Max:            255,
		Allowed:        dnsish,
		Charset:        dnsishCharset,
		LetterFirst:    true,
		NoHyphenEnd:    true,
		NoDoubleHyphen: true,
	}

	// RDSDescription is what paved holds the descriptions of RDS subnet and
	// parameter groups to, and of DocumentDB's, which share RDS's API. RDS
	// documents no character set or length for them
	// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html,
	// DBSubnetGroupDescription), nor does DocumentDB
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBSubnetGroup.html,
	// https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBClusterParameterGroup.html);
	// paved keeps to the strictest description rule
	// it composes, the security group's, so one constructor serves all.
	RDSDescription = &Rule{
		What:    "an RDS subnet or parameter group description (held to the EC2 description rule)",
		Source:  "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
		Min:     1,
		Max:     255,
		Allowed: ec2RuleText,
		Charset: "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*",
	}

	// DocDBClusterIdentifier: 1 to 63 letters, numbers or hyphens; first
	// character a letter; no trailing hyphen and no two consecutive
	// hyphens; stored in lowercase
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBCluster.html,
	// DBClusterIdentifier). It is unique across the account's RDS, Neptune
	// and DocumentDB clusters in a region
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/limits.html#limits-naming_constraints):
	// paved's names carry the composite's uid digest. Lowercase only.
	DocDBClusterIdentifier = like(DBInstanceIdentifier, "an Amazon DocumentDB cluster identifier",
		"https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBCluster.html")

	// DocDBInstanceIdentifier: the same rule for an instance of a cluster
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBInstance.html,
	// DBInstanceIdentifier).
	DocDBInstanceIdentifier = like(DBInstanceIdentifier, "an Amazon DocumentDB instance identifier",
		"https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBInstance.html")

	// DocDBSnapshotIdentifier (the final snapshot of a deleted cluster): 1
	// to 255 letters, numbers or hyphens; first character a letter; no
	// trailing hyphen and no two consecutive hyphens
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_DeleteDBCluster.html,
	// FinalDBSnapshotIdentifier). Lowercase only.
	DocDBSnapshotIdentifier = like(DBSnapshotIdentifier, "an Amazon DocumentDB cluster snapshot identifier",
		"https://docs.aws.amazon.com/documentdb/latest/developerguide/API_DeleteDBCluster.html")

	// DocDBClusterParameterGroupName: 1 to 255 alphanumeric characters
	// (and hyphens); first character a letter; no trailing hyphen and no
	// two consecutive hyphens
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/limits.html#limits-naming_constraints,
	// "Cluster parameter group name"). Names beginning with "default."
	// belong to DocumentDB; a hyphen-only name can never be one.
	DocDBClusterParameterGroupName = like(DBParameterGroupName, "an Amazon DocumentDB cluster parameter group name",
		"https://docs.aws.amazon.com/documentdb/latest/developerguide/limits.html#limits-naming_constraints")

	// DocDBSubnetGroupName: no more than 255 letters, numbers, periods,
	// underscores, spaces or hyphens; must not be "default"
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBSubnetGroup.html,
	// DBSubnetGroupName). paved composes lowercase letters, digits and
	// single hyphens, beginning with a letter.
	DocDBSubnetGroupName = like(DBSubnetGroupName, "an Amazon DocumentDB subnet group name",
		"https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBSubnetGroup.html")

	// ReplicationGroupID: 1 to 40 alphanumeric characters or hyphens; the
	// first character a letter; no trailing hyphen and no two consecutive
	// hyphens
	// (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html,
	// ReplicationGroupId). ElastiCache stores it in lowercase, so paved
	// composes lowercase only. The final snapshot of a deleted group
	// (DeleteReplicationGroup FinalSnapshotIdentifier, whose length and
	// characters AWS does not document) is named by the same rule.
	ReplicationGroupID = &Rule{
		What:           "an ElastiCache replication group id",
		Source:         "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html",
		Min:            1,
		Max:            40,
		Allowed:        dnsish,
		Charset:        dnsishCharset,
		LetterFirst:    true,
		NoHyphenEnd:    true,
		NoDoubleHyphen: true,
	}
	// CacheSubnetGroupName: no more than 255 alphanumeric characters or
	// hyphens
	// (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheSubnetGroup.html,
	// CacheSubnetGroupName). ElastiCache stores it in lowercase; paved
	// composes lowercase letters, digits and single hyphens, beginning with
	// a letter, and never "default", ElastiCache's own group.
	CacheSubnetGroupName = &Rule{
		What:           "an ElastiCache cache subnet group name",
		Source:         "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheSubnetGroup.html",
		Min:            1,
		Max:            255,
		Allowed:        dnsish,
		Charset:        dnsishCharset,
		LetterFirst:    true,
		NoHyphenEnd:    true,
		NoDoubleHyphen: true,
		Reserved:       []string{"default"},
	}
	// ElastiCacheDescription is what paved holds the descriptions of a
	// replication group and its subnet group to. ElastiCache documents no
	// character set or length for them beyond being required
	// (API_CreateReplicationGroup.html ReplicationGroupDescription,
	// API_CreateCacheSubnetGroup.html CacheSubnetGroupDescription);
	// provider-aws v1.23.0 refuses an empty one
	// (package/crds/elasticache.aws.upbound.io_replicationgroups.yaml:
	// "Must not be empty"). paved keeps to the EC2 description rule, as for
	// RDS.
	ElastiCacheDescription = &Rule{
		What:    "an ElastiCache replication group or subnet group description (held to the EC2 description rule)",
		Source:  "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
		Min:     1,
		Max:     255,
		Allowed: ec2RuleText,
		Charset: "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*",
	}
	// S3BucketName: 3 to 63 lowercase letters, numbers, dots and hyphens;
	// begins and ends with a letter or number; not formatted as an IP
	// address; not beginning with xn--, sthree- or amzn-s3-demo-; not ending
	// with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
	// Paved allows no dots at all: a dot breaks the TLS certificate check of
	// virtual-hosted-style requests (same page, "Example general purpose
	// bucket names" and best practices) and Transfer Acceleration.
	S3BucketName = &Rule{
		What:             "an S3 bucket name",
		Source:           "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
		Min:              3,
		Max:              63,
		Allowed:          dnsish,
		Charset:          dnsishCharset + " (paved allows no dots: they break TLS)",
		AlnumEnds:        true,
		NotIP:            true,
		ReservedPrefixes: []string{"xn--", "sthree-", "amzn-s3-demo-"},
		ReservedSuffixes: []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"},
	}

	// SQSQueueName (a standard queue): up to 80 characters, alphanumeric
	// characters, hyphens and underscores; queue names are case-sensitive
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html,
	// QueueName). paved composes lowercase letters, digits and single
	// hyphens, a subset.
	SQSQueueName = &Rule{
		What:    "an SQS queue name",
		Source:  "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
		Min:     1,
		Max:     80,
		Allowed: sqsName,
		Charset: sqsNameCharset,
	}

	// SQSFIFOQueueName: a FIFO queue's name "must end with the .fifo
	// suffix", within the same 80 characters
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html,
	// QueueName; https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
	SQSFIFOQueueName = &Rule{
		What:    "an SQS FIFO queue name",
		Source:  "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
		Min:     len(".fifo") + 1,
		Max:     80,
		Allowed: sqsName,
		Charset: sqsNameCharset + " (then .fifo)",
		Suffix:  ".fifo",
	}

	// TagKey: 1 to 128 Unicode characters of the tag set; the aws: prefix is
	// reserved for AWS
	// (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions).
	TagKey = &Rule{
		What:             "an AWS tag key",
		Source:           "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions",
		Min:              1,
		Max:              128,
		Allowed:          tagText,
		Charset:          "letters, numbers, spaces and _ . : / = + - @",
		ReservedPrefixes: []string{"aws:"},
	}

	// TagValue: 0 to 256 Unicode characters of the tag set
	// (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions).
	TagValue = &Rule{
		What:    "an AWS tag value",
		Source:  "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions",
		Min:     0,
		Max:     256,
		Allowed: tagText,
		Charset: "letters, numbers, spaces and _ . : / = + - @",
	}
)

// like is a copy of r for another service that documents the same
// constraints: what it is and where that is documented differ.
func like(r *Rule, what, source string) *Rule {
	c := *r
	c.What, c.Source = what, source
	return &c
}

// MaxTags is the most tags a resource can have
// (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions).
const MaxTags = 50

// digestLen is the length of the digest that stands in for the part of a
// value that had to be cut: 16 hex digits, 64 bits of SHA-256, so that
// nobody can find a second input that shortens to the same value.
const digestLen = 16

// isText reports whether Text(s) is s: valid UTF-8 of allowed characters
// only, without a reserved prefix, neither shorter nor longer than the
// rule allows. Most texts are, and need no copy.
func (r *Rule) isText(s string) bool {
	n := 0
	cs := r.charset()
	for _, c := range s {
		if c == utf8.RuneError || !cs.has(c) {
			return false
		}
		n++
	}
	for _, p := range r.ReservedPrefixes {
		if strings.HasPrefix(s, p) {
			return false
		}
	}
	return n >= r.Min && n <= r.Max
}

// Digest returns the first n hex digits of the SHA-256 of s.
func Digest(s string, n int) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:n]
}

// Text returns s as a valid value of a free-text rule (a description or
// tag): every character the rule does not allow becomes a space, and a value
// longer than the rule allows keeps its beginning and ends with a digest of
// the whole, so that two long values stay distinct. It never fails.
func (r *Rule) Text(s string) string {
	if r.isText(s) {
		return s
	}
	return r.text(s)
}

// text is Text without its shortcut for values that are already valid.
func (r *Rule) text(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	cs := r.charset()
	for _, c := range strings.ToValidUTF8(s, " ") {
		if !cs.has(c) {
			c = ' '
		}
		b.WriteRune(c)
	}
	v := b.String()
	for _, p := range r.ReservedPrefixes {
		if strings.HasPrefix(v, p) {
			v = fixPrefix + "-" + v
		}
	}
	if utf8.RuneCountInString(v) > r.Max {
		tail := " " + Digest(s, digestLen)
		keep := []rune(v)[:r.Max-len(tail)]
		v = strings.TrimRight(string(keep), " ") + tail
	}
	for utf8.RuneCountInString(v) < r.Min {
		v += "-"
	}
	return v
}

// Sanitize returns s lowercased with every run of characters other than
// letters and digits replaced by one hyphen and no hyphen at either end: the
// readable part of a name. It may be empty.
func Sanitize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	hyphen := false
	for _, c := range strings.ToLower(s) {
		if isLower(c) || isDigit(c) {
			b.WriteRune(c)
			hyphen = false
		} else if !hyphen && b.Len() > 0 {
			b.WriteByte('-')
			hyphen = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// fixPrefix is put before a readable part that cannot begin a name (empty,
// not beginning with a letter where one is required, or beginning with a
// reserved prefix).
const fixPrefix = "paved"

// Name returns a valid name of the rule (one of the name rules, whose
// characters are lowercase letters, digits and hyphens) made of a readable
// part derived from base and the given id: "<base>-<id>", then the rule's
// Suffix if it has one. id must be lowercase letters and digits in
// hyphen-separated words; it is kept whole before the suffix, and base is shortened to make room. Names with ids of equal
// length that differ are therefore always different, whatever their bases.
// It panics if id cannot end a valid name: that is a programming error.
func (r *Rule) Name(base, id string) string {
	if Sanitize(id) != id || id == "" || len(id)+2+len(r.Suffix) > r.Max {
		panic(fmt.Sprintf("awsrules: %q is not a valid name id for %s", id, r.What))
	}
	// The readable part as it is, or, when the name would then begin in a
	// way the rule forbids (not with a letter, or with a reserved prefix),
	// after "paved-".
	b := Sanitize(base)
	for _, c := range []string{b, fixPrefix + "-" + b} {
		c = strings.Trim(c, "-")
		if room := r.Max - len(id) - 1 - len(r.Suffix); len(c) > room {
			c = strings.TrimRight(c[:room], "-")
		}
		if v := c + "-" + id + r.Suffix; r.Check(v) == "" {
			return v
		}
	}
	panic(fmt.Sprintf("awsrules: cannot build %s from %q and %q", r.What, base, id))
}
