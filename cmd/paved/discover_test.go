package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/cmd/paved/internal/awsstandin"
	"github.com/paved-dev/paved/cmd/paved/internal/discover"
)

var update = flag.Bool("update", false, "rewrite testdata/*.yaml with what the command prints")

const (
	region    = "eu-west-1"
	accessKey = "AKIAIOSFODNN7EXAMPLE"
	secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	vpcID     = "vpc-0a1b2c3d4e5f60718"
)

var credentials = map[string]string{accessKey: secretKey}

// Recorded answers (awsstandin/recorded/README.md describes the account).
var (
	callerIdentity = awsstandin.Answer{Service: "sts", Action: "GetCallerIdentity", Body: "sts/get-caller-identity.xml"}
	allVPCs        = awsstandin.Answer{Service: "ec2", Action: "DescribeVpcs", Body: "ec2/describe-vpcs.xml"}
	subnetsPage1   = awsstandin.Answer{Service: "ec2", Action: "DescribeSubnets", Request: "Filter.1.Name=vpc-id&Filter.1.Value.1=" + vpcID, Body: "ec2/describe-subnets-page1.xml"}
	subnetsPage2   = awsstandin.Answer{Service: "ec2", Action: "DescribeSubnets", Request: "Filter.1.Name=vpc-id&Filter.1.Value.1=" + vpcID + "&NextToken=eyJ2IjoxLCJjIjoic3VibmV0LTBhMWIyYzNkNGU1ZjYwMjAyIn0%3D", Body: "ec2/describe-subnets-page2.xml"}
	routeTables    = awsstandin.Answer{Service: "ec2", Action: "DescribeRouteTables", Request: "Filter.1.Name=vpc-id&Filter.1.Value.1=" + vpcID, Body: "ec2/describe-route-tables.xml"}
	aliasesPage1   = awsstandin.Answer{Service: "kms", Action: "ListAliases", Request: `{}`, Body: "kms/list-aliases-page1.json"}
	aliasesPage2   = awsstandin.Answer{Service: "kms", Action: "ListAliases", Request: `{"Marker":"AQICAHh2bWFya2VyLXBhZ2UtMg=="}`, Body: "kms/list-aliases-page2.json"}
	rdsKey         = describeKey("0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f", "kms/describe-key-rds.json")

	network = []awsstandin.Answer{callerIdentity, allVPCs, subnetsPage1, subnetsPage2, routeTables}
	aliases = []awsstandin.Answer{aliasesPage1, aliasesPage2}

	networkCalls = []string{"sts:GetCallerIdentity", "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSubnets", "ec2:DescribeRouteTables"}
	aliasCalls   = []string{"kms:ListAliases", "kms:ListAliases", "kms:DescribeKey"}
)

func describeKey(id, body string) awsstandin.Answer {
	return awsstandin.Answer{Service: "kms", Action: "DescribeKey", Request: `{"KeyId":"` + id + `"}`, Body: body}
}

func join(parts ...[]awsstandin.Answer) []awsstandin.Answer {
	var out []awsstandin.Answer
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func calls(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// awsEnv gives the SDK only what the test sets: static credentials in the
// environment, empty shared config and credentials files, no instance
// metadata, no endpoint overrides; endpoints are then set by the test.
func awsEnv(t *testing.T) string {
	t.Helper()
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_CA_BUNDLE",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k) // t.Setenv restores it.
	}
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
	return dir
}

// paved runs the command in-process.
func paved(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), code
}

// readOnly fails the test for a call outside discover.ReadActions.
func readOnly(t *testing.T, s *awsstandin.Server) {
	t.Helper()
	allowed := map[string]bool{}
	for _, a := range discover.ReadActions {
		allowed[a] = true
	}
	for _, c := range s.Calls() {
		if !allowed[c.IAMAction()] {
			t.Errorf("the command called %s, not a read action it declares (%v)", c.IAMAction(), discover.ReadActions)
		}
	}
}

// actions are the IAM actions of the SDK operations the stand-in saw.
func actions(s *awsstandin.Server) []string {
	var out []string
	for _, c := range s.Operations() {
		out = append(out, c.IAMAction())
	}
	return out
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("output differs from %s (-want +got; go test -update to accept):\n%s", path, diff)
	}
}

func TestDiscover(t *testing.T) {
	cases := map[string]struct {
		reason  string
		args    []string
		answers []awsstandin.Answer
		// golden is the file the output must equal; else the error
		// must contain each of wantErr.
		golden  string
		wantOut []string
		wantErr []string
		calls   []string
		// throttled is how many requests EC2 throttled.
		throttled int
	}{
		"PrivateSubnetsOfThreeAZs": {
			reason:  "The only non-default VPC; its private subnets in three AZs (one of them through the main route table), its private CIDR blocks, and alias/rds resolved to its key ARN across two pages of aliases.",
			args:    []string{"--kms-key", "alias/rds"},
			answers: join(network, aliases, []awsstandin.Answer{rdsKey}),
			golden:  "three-azs.yaml",
			calls:   calls(networkCalls, aliasCalls),
		},
		"NamedVPCWithoutKey": {
			reason: "--vpc reads that VPC only; without --kms-key KMS is not called and no kmsKeyId is written.",
			args:   []string{"--vpc", vpcID},
			answers: []awsstandin.Answer{callerIdentity,
				{Service: "ec2", Action: "DescribeVpcs", Request: "VpcId.1=" + vpcID, Body: "ec2/describe-vpcs-platform.xml"},
				subnetsPage1, subnetsPage2, routeTables},
			golden: "without-key.yaml",
			calls:  networkCalls,
		},
		"Throttled": {
			reason: "EC2 throttles the first DescribeSubnets (RequestLimitExceeded, 503); the SDK's retryer retries it and the result is the same.",
			args:   []string{"--kms-key", "alias/rds"},
			answers: join([]awsstandin.Answer{callerIdentity, allVPCs,
				{Service: "ec2", Action: "DescribeSubnets", Request: subnetsPage1.Request, Status: 503, Body: "ec2/error-request-limit-exceeded.xml", Times: 1}},
				network[2:], aliases, []awsstandin.Answer{rdsKey}),
			golden:    "three-azs.yaml",
			calls:     calls(networkCalls, aliasCalls),
			throttled: 1,
		},
		"AliasOfAnotherAccount": {
			reason:  "Another account's alias ARN goes to DescribeKey as it is: ListAliases lists the caller's own aliases only.",
			args:    []string{"--kms-key", "arn:aws:kms:eu-west-1:444455556666:alias/shared"},
			answers: join(network, []awsstandin.Answer{describeKey("arn:aws:kms:eu-west-1:444455556666:alias/shared", "kms/describe-key-shared.json")}),
			wantOut: []string{"kmsKeyId: arn:aws:kms:eu-west-1:444455556666:key/6a7b8c9d-6a7b-4c8d-9e0f-6a7b8c9d0e1f # --kms-key arn:aws:kms:eu-west-1:444455556666:alias/shared"},
			calls:   calls(networkCalls, []string{"kms:DescribeKey"}),
		},
		"VPCNotFound": {
			args: []string{"--vpc", "vpc-0123456789abcdef0"},
			answers: []awsstandin.Answer{callerIdentity,
				{Service: "ec2", Action: "DescribeVpcs", Request: "VpcId.1=vpc-0123456789abcdef0", Status: 400, Body: "ec2/error-vpc-not-found.xml"}},
			wantErr: []string{"--vpc vpc-0123456789abcdef0: no such VPC in region eu-west-1"},
			calls:   networkCalls[:2],
		},
		"TwoVPCs": {
			reason:  "Two VPCs besides the default: refused, listing them.",
			answers: []awsstandin.Answer{callerIdentity, {Service: "ec2", Action: "DescribeVpcs", Body: "ec2/describe-vpcs-two.xml"}},
			wantErr: []string{"region eu-west-1 has 2 VPCs besides the default VPC; choose one with --vpc:",
				"vpc-0a1b2c3d4e5f60718 (platform)  10.20.0.0/16 100.64.0.0/16 fd00:20::/56 2a05:d018:1a2b:3c00::/56",
				"vpc-0f9e8d7c6b5a40321 (sandbox)  192.168.0.0/20"},
			calls: networkCalls[:2],
		},
		"OnlyTheDefaultVPC": {
			answers: []awsstandin.Answer{callerIdentity, {Service: "ec2", Action: "DescribeVpcs", Body: "ec2/describe-vpcs-default-only.xml"}},
			wantErr: []string{"region eu-west-1 has no VPC besides the default VPC (vpc-0d1e2f3a4b5c6d7e8, whose subnets are public)"},
			calls:   networkCalls[:2],
		},
		"OnePrivateAZ": {
			reason: "The main route table routes to the internet gateway: the subnets without an explicit association are public, which leaves private subnets in one AZ.",
			answers: []awsstandin.Answer{callerIdentity, allVPCs, subnetsPage1, subnetsPage2,
				{Service: "ec2", Action: "DescribeRouteTables", Request: routeTables.Request, Body: "ec2/describe-route-tables-public-main.xml"}},
			wantErr: []string{
				"vpc-0a1b2c3d4e5f60718 (platform) has private subnets in 1 Availability Zone (subnet-0a1b2c3d4e5f60201 in eu-west-1a)",
				"at least 2 Availability Zones",
				"subnet-0a1b2c3d4e5f60202 in eu-west-1b via rtb-0a1b2c3d4e5f60001 (main) to igw-0a1b2c3d4e5f60000",
				"subnet-0a1b2c3d4e5f60203 in eu-west-1c via rtb-0a1b2c3d4e5f60001 (main) to igw-0a1b2c3d4e5f60000",
				"subnet-0a1b2c3d4e5f60101 in eu-west-1a via rtb-0a1b2c3d4e5f60011 to igw-0a1b2c3d4e5f60000",
			},
			calls: networkCalls,
		},
		"OnePrivateAZAndADisabledKey": {
			reason: "What is wrong with the network and with the key is reported at once.",
			args:   []string{"--kms-key", "alias/old-rds"},
			answers: join([]awsstandin.Answer{callerIdentity, allVPCs, subnetsPage1, subnetsPage2,
				{Service: "ec2", Action: "DescribeRouteTables", Request: routeTables.Request, Body: "ec2/describe-route-tables-public-main.xml"}},
				aliases, []awsstandin.Answer{describeKey("1b2c3d4e-1b2c-4d3e-9f40-1b2c3d4e5f60", "kms/describe-key-disabled.json")}),
			wantErr: []string{"has private subnets in 1 Availability Zone", "--kms-key alias/old-rds (arn:aws:kms:eu-west-1:111122223333:key/1b2c3d4e-1b2c-4d3e-9f40-1b2c3d4e5f60) cannot encrypt"},
			calls:   calls(networkCalls, aliasCalls),
		},
		"DisabledKey": {
			args:    []string{"--kms-key", "alias/old-rds"},
			answers: join(network, aliases, []awsstandin.Answer{describeKey("1b2c3d4e-1b2c-4d3e-9f40-1b2c3d4e5f60", "kms/describe-key-disabled.json")}),
			wantErr: []string{"--kms-key alias/old-rds (arn:aws:kms:eu-west-1:111122223333:key/1b2c3d4e-1b2c-4d3e-9f40-1b2c3d4e5f60) cannot encrypt paved's databases and buckets: its key state is Disabled, and only an Enabled key encrypts (enable it with EnableKey"},
			calls:   calls(networkCalls, aliasCalls),
		},
		"KeyPendingDeletion": {
			args:    []string{"--kms-key", "alias/retired"},
			answers: join(network, aliases, []awsstandin.Answer{describeKey("2c3d4e5f-2c3d-4e5f-a051-2c3d4e5f6071", "kms/describe-key-pending-deletion.json")}),
			wantErr: []string{"its key state is PendingDeletion", "scheduled for deletion on 2026-01-01"},
			calls:   calls(networkCalls, aliasCalls),
		},
		"AsymmetricKeyByARN": {
			reason:  "A key ARN goes to DescribeKey as it is, without ListAliases.",
			args:    []string{"--kms-key", "arn:aws:kms:eu-west-1:111122223333:key/3d4e5f60-3d4e-4f60-b162-3d4e5f607182"},
			answers: join(network, []awsstandin.Answer{describeKey("arn:aws:kms:eu-west-1:111122223333:key/3d4e5f60-3d4e-4f60-b162-3d4e5f607182", "kms/describe-key-signing.json")}),
			wantErr: []string{"it is a RSA_2048 key for SIGN_VERIFY, and RDS and S3 encrypt only with symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)"},
			calls:   calls(networkCalls, []string{"kms:DescribeKey"}),
		},
		"AWSManagedKey": {
			args:    []string{"--kms-key", "alias/aws/rds"},
			answers: join(network, aliases, []awsstandin.Answer{describeKey("4e5f6071-4e5f-4071-8273-4e5f60718293", "kms/describe-key-aws-rds.json")}),
			wantErr: []string{"it is an AWS managed key"},
			calls:   calls(networkCalls, aliasCalls[1:]), // alias/aws/rds is on the first page
		},
		"AliasInAnotherRegion": {
			reason:  "An alias ARN of us-east-1 for a composition in eu-west-1 is refused before any call.",
			args:    []string{"--kms-key", "arn:aws:kms:us-east-1:111122223333:alias/rds"},
			wantErr: []string{"--kms-key arn:aws:kms:us-east-1:111122223333:alias/rds is in region us-east-1, not eu-west-1: RDS and S3 encrypt only with KMS keys of their own region"},
		},
		"KeyOfAnotherRegion": {
			reason: "A multi-Region key id without a replica in the region: KMS does not find it.",
			args:   []string{"--kms-key", "mrk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"},
			answers: join(network, []awsstandin.Answer{{Service: "kms", Action: "DescribeKey", Request: `{"KeyId":"mrk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"}`,
				Status: 400, Body: "kms/error-not-found.json"}}),
			wantErr: []string{"--kms-key mrk-0a1b2c3d4e5f60718293a4b5c6d7e8f9: no such KMS key in region eu-west-1 (keys are regional"},
			calls:   calls(networkCalls, []string{"kms:DescribeKey"}),
		},
		"UnknownAlias": {
			args:    []string{"--kms-key", "alias/nope"},
			answers: join(network, aliases),
			wantErr: []string{"--kms-key alias/nope: no such alias in region eu-west-1; the account's aliases there are: alias/backups, alias/old-rds, alias/rds, alias/retired, alias/signing"},
			calls:   calls(networkCalls, aliasCalls[:2]),
		},
		"RouteTablesDenied": {
			reason: "The identity may not call ec2:DescribeRouteTables: the message names the action to allow.",
			answers: []awsstandin.Answer{callerIdentity, allVPCs, subnetsPage1, subnetsPage2,
				{Service: "ec2", Action: "DescribeRouteTables", Request: routeTables.Request, Status: 403, Body: "ec2/error-unauthorized-describe-route-tables.xml"}},
			wantErr: []string{"AWS denied ec2:DescribeRouteTables to arn:aws:iam::111122223333:user/platform-ci: allow the IAM action ec2:DescribeRouteTables (paved environment discover calls only the read-only actions sts:GetCallerIdentity, ec2:DescribeVpcs"},
			calls:   networkCalls,
		},
		"DescribeKeyDenied": {
			args: []string{"--kms-key", "alias/rds"},
			answers: join(network, aliases, []awsstandin.Answer{{Service: "kms", Action: "DescribeKey", Request: rdsKey.Request,
				Status: 400, Body: "kms/error-access-denied-describe-key.json"}}),
			wantErr: []string{"AWS denied kms:DescribeKey to arn:aws:iam::111122223333:user/platform-ci: allow the IAM action kms:DescribeKey"},
			calls:   calls(networkCalls, aliasCalls),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			awsEnv(t)
			s := awsstandin.New(t, region, credentials, tc.answers...)
			t.Setenv("AWS_ENDPOINT_URL", s.URL)

			out, stderr, code := paved(t, append([]string{"environment", "discover", "--region", region}, tc.args...)...)
			if tc.golden != "" || tc.wantOut != nil {
				if code != 0 {
					t.Fatalf("%s\nexit code %d: %s", tc.reason, code, stderr)
				}
				if tc.golden != "" {
					golden(t, tc.golden, out)
				}
				for _, w := range tc.wantOut {
					if !strings.Contains(out, w) {
						t.Errorf("%s\nthe output does not hold %q:\n%s", tc.reason, w, out)
					}
				}
			} else {
				if code != 1 {
					t.Errorf("%s\nexit code %d, want 1", tc.reason, code)
				}
				if out != "" {
					t.Errorf("%s\nrefused, yet printed:\n%s", tc.reason, out)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s\nthe error does not say %q:\n%s", tc.reason, w, stderr)
					}
				}
			}
			if diff := cmp.Diff(tc.calls, actions(s)); diff != "" {
				t.Errorf("%s\nAWS calls (-want +got):\n%s", tc.reason, diff)
			}
			readOnly(t, s)
			throttled := 0
			for _, c := range s.Calls() {
				if c.Answer == "ec2/error-request-limit-exceeded.xml" {
					throttled++
				}
			}
			if throttled != tc.throttled {
				t.Errorf("%s\nEC2 throttled %d requests, want %d", tc.reason, throttled, tc.throttled)
			}
		})
	}
}
