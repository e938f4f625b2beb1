package awsstandin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/paved-dev/paved/cmd/paved/internal/awsstandin"
)

const (
	region = "eu-west-1"
	key    = "AKIAIOSFODNN7EXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// recorder is a testing.TB that keeps the errors the stand-in reports, so
// that a test can check the stand-in fails the test it serves.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func config(url, region, secret string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint: aws.String(url),
	}
}

// The stand-in refuses, with the service's own error, and fails the test
// on: a call it has no answer for (a mutating one here), parameters it has
// no answer for, a signature made with another secret, and credentials
// scoped to another region. It answers what it was given.
func TestStandIn(t *testing.T) {
	vpcs := awsstandin.Answer{Service: "ec2", Action: "DescribeVpcs", Request: "VpcId.1=vpc-0a1b2c3d4e5f60718", Body: "ec2/describe-vpcs-platform.xml"}
	caller := awsstandin.Answer{Service: "sts", Action: "GetCallerIdentity", Body: "sts/get-caller-identity.xml"}
	describeKey := awsstandin.Answer{Service: "kms", Action: "DescribeKey", Request: `{"KeyId":"0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"}`, Body: "kms/describe-key-rds.json"}

	cases := map[string]struct {
		call     func(ctx context.Context, cfg aws.Config) error
		region   string
		secret   string
		wantCode string // "": answered
	}{
		"Answered": {call: func(ctx context.Context, cfg aws.Config) error {
			out, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0a1b2c3d4e5f60718"}})
			if err == nil && (len(out.Vpcs) != 1 || aws.ToString(out.Vpcs[0].VpcId) != "vpc-0a1b2c3d4e5f60718") {
				err = fmt.Errorf("answer read as %+v", out.Vpcs)
			}
			return err
		}},
		"AnsweredSTS": {call: func(ctx context.Context, cfg aws.Config) error {
			out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err == nil && aws.ToString(out.Account) != "111122223333" {
				err = fmt.Errorf("answer read as %+v", out)
			}
			return err
		}},
		"AnsweredKMS": {call: func(ctx context.Context, cfg aws.Config) error {
			out, err := kms.NewFromConfig(cfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f")})
			if err == nil && out.KeyMetadata.KeyState != "Enabled" {
				err = fmt.Errorf("answer read as %+v", out.KeyMetadata)
			}
			return err
		}},
		"MutatingEC2Call": {wantCode: "InvalidAction", call: func(ctx context.Context, cfg aws.Config) error {
			_, err := ec2.NewFromConfig(cfg).CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
			return err
		}},
		"MutatingKMSCall": {wantCode: "UnknownOperationException", call: func(ctx context.Context, cfg aws.Config) error {
			_, err := kms.NewFromConfig(cfg).DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String("0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f")})
			return err
		}},
		"OtherParameters": {wantCode: "InvalidParameterValue", call: func(ctx context.Context, cfg aws.Config) error {
			_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			return err
		}},
		"WrongSecret": {secret: "not-the-secret", wantCode: "SignatureDoesNotMatch", call: func(ctx context.Context, cfg aws.Config) error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		"OtherRegion": {region: "us-east-1", wantCode: "SignatureDoesNotMatch", call: func(ctx context.Context, cfg aws.Config) error {
			_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0a1b2c3d4e5f60718"}})
			return err
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := awsstandin.New(rec, region, map[string]string{key: secret}, vpcs, caller, describeKey)
			r, sec := region, secret
			if tc.region != "" {
				r = tc.region
			}
			if tc.secret != "" {
				sec = tc.secret
			}
			err := tc.call(context.Background(), config(s.URL, r, sec))
			if tc.wantCode == "" {
				if err != nil || len(rec.errs) > 0 {
					t.Fatalf("call: %v; stand-in: %v", err, rec.errs)
				}
				return
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode {
				t.Errorf("call returned %v, want the API error %s", err, tc.wantCode)
			}
			// One refusal, or more if the SDK retried the request (it
			// retries a closed connection: see Server.Operations).
			if len(rec.errs) == 0 {
				t.Errorf("the stand-in reported nothing, want a refusal")
			}
			for _, e := range rec.errs {
				if !strings.Contains(e, "refused") {
					t.Errorf("the stand-in reported %q, want a refusal", e)
				}
			}
		})
	}
}
