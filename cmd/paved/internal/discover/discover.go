// Package discover reads an AWS account, read-only, and finds the settings
// of paved's EnvironmentConfig: the region, a VPC, its private subnets in
// at least two Availability Zones, its private CIDR blocks and, when asked,
// a KMS key.
package discover

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/paved-dev/paved/fn/envconfig"
)

// ReadActions are the IAM actions discovery calls, all of them read-only
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html,
// .../list_awskeymanagementservice.html, .../list_awssecuritytokenservice.html:
// access level List or Read). sts:GetCallerIdentity needs no permission
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
var ReadActions = []string{
	"sts:GetCallerIdentity",
	"ec2:DescribeVpcs",
	"ec2:DescribeSubnets",
	"ec2:DescribeRouteTables",
	"kms:ListAliases",
	"kms:DescribeKey",
}

// The calls discovery may make. The interfaces hold the read-only calls
// only, so that discovery cannot call anything else of the clients.
type (
	// EC2 is the read-only part of *ec2.Client discovery uses.
	EC2 interface {
		DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
		DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
		DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	}
	// KMS is the read-only part of *kms.Client discovery uses.
	KMS interface {
		ListAliases(context.Context, *kms.ListAliasesInput, ...func(*kms.Options)) (*kms.ListAliasesOutput, error)
		DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	}
	// STS is the read-only part of *sts.Client discovery uses.
	STS interface {
		GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	}
)

// Clients of one region.
type Clients struct {
	EC2 EC2
	KMS KMS
	STS STS
}

// NewClients makes the clients from an SDK configuration. Each client
// resolves its endpoint the SDK's way, so AWS_ENDPOINT_URL and the
// service's own AWS_ENDPOINT_URL_EC2, _KMS, _STS (or endpoint_url in the
// profile) override it
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
func NewClients(cfg aws.Config) Clients {
	return Clients{EC2: ec2.NewFromConfig(cfg), KMS: kms.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg)}
}

// Options of a discovery.
type Options struct {
	// Region to read; required.
	Region string
	// VPC to use; empty: the region's only VPC besides the default VPC.
	VPC string
	// KMSKey is an alias name (alias/rds), alias ARN, key id or key ARN;
	// empty: no key (paved then uses the AWS managed keys).
	KMSKey string
}

// Result is what discovery found.
type Result struct {
	Account   string
	CallerARN string
	Region    string
	VPC       VPC
	// Private subnets, by Availability Zone and id: paved's subnetIds.
	Private []Subnet
	// Public subnets, left out.
	Public []Subnet
	// AllowedCIDRs are the VPC's private blocks; Skipped those that are
	// not private.
	AllowedCIDRs []string
	Skipped      []string
	// KMSKey is the key's ARN, and KMSKeyFrom what the user named.
	KMSKey     string
	KMSKeyFrom string
}

// Discover reads the account. It refuses, naming what is wrong, when the
// account has no usable VPC, the VPC lacks private subnets in two
// Availability Zones or private CIDR blocks, or the key cannot encrypt
// paved's databases and buckets.
func Discover(ctx context.Context, c Clients, o Options) (*Result, error) {
	if _, ok := envconfig.Partition(o.Region); !ok {
		return nil, fmt.Errorf("region %q is not an AWS region paved knows (such as eu-west-1): set --region, AWS_REGION or the profile's region", o.Region)
	}
	// Before any call: a key of another region cannot serve, whatever
	// the account holds.
	ref, err := parseKeyRef(o.KMSKey, o.Region)
	if err != nil {
		return nil, err
	}

	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, explain(err, "")
	}
	r := &Result{Account: aws.ToString(id.Account), CallerARN: aws.ToString(id.Arn), Region: o.Region}

	// The network and the key are independent: report what is wrong with
	// both at once, so one run names everything to fix.
	netErr := r.network(ctx, c.EC2, o.VPC)
	var keyErr error
	if ref != nil {
		r.KMSKeyFrom = o.KMSKey
		r.KMSKey, keyErr = key(ctx, c.KMS, ref, r.Account, o.Region)
	}
	if err := errors.Join(netErr, keyErr); err != nil {
		return nil, explainAll(err, r.CallerARN)
	}
	return r, nil
}

// explainAll explains every error of a join.
func explainAll(err error, caller string) error {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		errs := j.Unwrap()
		out := make([]error, len(errs))
		for i, e := range errs {
			out[i] = explain(e, caller)
		}
		return errors.Join(out...)
	}
	return explain(err, caller)
}

// Names of resources in messages: the id, and its Name tag if it has one.
func named(id string, name string) string {
	if name == "" {
		return id
	}
	return fmt.Sprintf("%s (%s)", id, name)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func joinIDs[T any](xs []T, f func(T) string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = f(x)
	}
	return strings.Join(s, ", ")
}
