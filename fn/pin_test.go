package fn

import (
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
)

const (
	keyWest = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyEast = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
)

// movedEnvironment is an EnvironmentConfig that moves every placement
// setting away from what inputWithEC and the observed resources below say.
const movedEnvironment = `{
	"region": "us-east-1",
	"vpcId": "vpc-0f1e2d3c4b5a69788",
	"subnetIds": ["subnet-0f1e2d3c4b5a60011", "subnet-0f1e2d3c4b5a60012"],
	"kmsKeyId": "` + keyEast + `",
	"connectionSecretNamespace": "db-secrets"
}`

func observed(name, apiVersion, kind, spec string) *fnv1.Resource {
	return &fnv1.Resource{Resource: mustStructJSON(`{
		"apiVersion": "` + apiVersion + `", "kind": "` + kind + `",
		"metadata": {"name": "` + name + `"},
		"spec": ` + spec + `,
		"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}, {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"}]}
	}`)}
}

// existingDatabase is what provider-aws reports for orders-db in eu-west-1.
func existingDatabase() map[string]*fnv1.Resource {
	return usagesReady(map[string]*fnv1.Resource{
		"subnet-group": observed("orders-db-x7k2p-subnet-group", "rds.aws.upbound.io/v1beta1", "SubnetGroup",
			`{"forProvider": {"region": "eu-west-1", "subnetIds": ["subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60001"]}}`),
		"security-group": observed("orders-db-x7k2p-security-group", "ec2.aws.upbound.io/v1beta1", "SecurityGroup",
			`{"forProvider": {"region": "eu-west-1", "vpcId": "vpc-0a1b2c3d4e5f60718"}}`),
		"security-group-rule": observed("orders-db-x7k2p-security-group-rule", "ec2.aws.upbound.io/v1beta1", "SecurityGroupRule",
			`{"forProvider": {"region": "eu-west-1"}}`),
		"parameter-group-postgres15": observed("orders-db-x7k2p-postgres15", "rds.aws.upbound.io/v1beta1", "ParameterGroup",
			`{"forProvider": {"region": "eu-west-1", "family": "postgres15"}}`),
		"instance": observed("orders-db-x7k2p-instance", "rds.aws.upbound.io/v1beta2", "Instance", `{
			"forProvider": {"region": "eu-west-1", "engine": "postgres", "engineVersion": "15", "allocatedStorage": 20,
				"kmsKeyId": "`+keyWest+`", "passwordSecretRef": {"namespace": "crossplane-system", "name": "x", "key": "password"}},
			"writeConnectionSecretToRef": {"namespace": "crossplane-system", "name": "orders-db-x7k2p-instance-connection"}
		}`),
	}, desiredDatabase(fnv1.Ready_READY_TRUE))
}

func TestRunFunctionPinsPlacement(t *testing.T) {
	const dbDrift = `DatabaseClaim orders/orders-db: environment changes not applied, existing resources cannot move: ` +
		`region stays "eu-west-1" as the existing instance has it; EnvironmentConfig "paved-environment" data.paved.region asks for "us-east-1"; ` +
		`vpcId stays "vpc-0a1b2c3d4e5f60718" as the existing security-group has it; EnvironmentConfig "paved-environment" data.paved.vpcId asks for "vpc-0f1e2d3c4b5a69788"; ` +
		`subnetIds stays "subnet-0a1b2c3d4e5f60002,subnet-0a1b2c3d4e5f60001" as the existing subnet-group has it; EnvironmentConfig "paved-environment" data.paved.subnetIds asks for "subnet-0f1e2d3c4b5a60011,subnet-0f1e2d3c4b5a60012"; ` +
		`kmsKeyId stays "` + keyWest + `" as the existing instance has it; EnvironmentConfig "paved-environment" data.paved.kmsKeyId asks for "` + keyEast + `"; ` +
		`connectionSecretNamespace stays "crossplane-system" as the existing instance has it; EnvironmentConfig "paved-environment" data.paved.connectionSecretNamespace asks for "db-secrets"`
	paths := [][]string{fp("region"), fp("kmsKeyId"), {"spec", "writeConnectionSecretToRef", "namespace"}, fp("passwordSecretRef")}
	reason := "EnvironmentChanged"

	cases := map[string]struct {
		reason      string
		observed    map[string]*fnv1.Resource
		want        map[string]map[string]any
		wantResults []*fnv1.Result
		wantReason  string
	}{
		"ExistingDatabaseStays": {
			reason:   "An existing database keeps its region, VPC, subnets, KMS key and secret namespace; the change is reported, not applied.",
			observed: existingDatabase(),
			want: map[string]map[string]any{
				"instance": {
					".spec.forProvider.region":                   "eu-west-1",
					".spec.forProvider.kmsKeyId":                 keyWest,
					".spec.writeConnectionSecretToRef.namespace": "crossplane-system",
					".spec.forProvider.passwordSecretRef":        map[string]any{"namespace": "crossplane-system", "name": "x", "key": "password"},
				},
				"security-group": {".spec.forProvider.region": "eu-west-1", ".spec.forProvider.vpcId": "vpc-0a1b2c3d4e5f60718"},
				"subnet-group":   {".spec.forProvider.region": "eu-west-1", ".spec.forProvider.subnetIds": []any{"subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60001"}},
			},
			wantResults: []*fnv1.Result{{
				Severity: fnv1.Severity_SEVERITY_WARNING, Message: dbDrift, Reason: &reason,
				Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
			}},
			wantReason: "EnvironmentChanged",
		},
		"NewClaimMoves": {
			reason: "A new claim uses the new environment.",
			want: map[string]map[string]any{
				"instance": {
					".spec.forProvider.region":                   "us-east-1",
					".spec.forProvider.kmsKeyId":                 keyEast,
					".spec.writeConnectionSecretToRef.namespace": "db-secrets",
					".spec.forProvider.passwordSecretRef":        map[string]any{"namespace": "db-secrets", "name": "orders-db-x7k2p-instance-master-" + testID, "key": "password"},
				},
				"security-group": {".spec.forProvider.region": "us-east-1", ".spec.forProvider.vpcId": "vpc-0f1e2d3c4b5a69788"},
				"subnet-group":   {".spec.forProvider.region": "us-east-1", ".spec.forProvider.subnetIds": []any{"subnet-0f1e2d3c4b5a60011", "subnet-0f1e2d3c4b5a60012"}},
			},
			wantReason: "Creating",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			// Both orders: the memo must not replay one for the other.
			for _, obs := range []map[string]*fnv1.Resource{nil, tc.observed} {
				req := withRequired(runReq(inputWithEC, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: obs}), ecResources(movedEnvironment))
				rsp, err := run(f, req)
				if err != nil {
					t.Fatalf("%s\nRunFunction(...): unexpected error: %v", tc.reason, err)
				}
				if obs == nil && tc.observed != nil {
					continue
				}
				for res, w := range tc.want {
					p := paths
					if res != "instance" {
						p = [][]string{fp("region"), fp("vpcId"), fp("subnetIds")}
					}
					got := get(rsp, res, p...)
					for k := range got {
						if _, ok := w[k]; !ok {
							delete(got, k)
						}
					}
					if diff := cmp.Diff(w, got); diff != "" {
						t.Errorf("%s\n%s: -want, +got:\n%s", tc.reason, res, diff)
					}
				}
				if diff := cmp.Diff(tc.wantResults, rsp.GetResults(), protocmp.Transform()); diff != "" {
					t.Errorf("%s\nresults: -want, +got:\n%s", tc.reason, diff)
				}
				if got := rsp.GetConditions()[0].GetReason(); got != tc.wantReason {
					t.Errorf("%s\nDatabaseReady reason = %q, want %q (message: %s)", tc.reason, got, tc.wantReason, rsp.GetConditions()[0].GetMessage())
				}
			}
		})
	}
}

func TestRunFunctionPinsBucket(t *testing.T) {
	existing := map[string]*fnv1.Resource{
		"bucket": observed("orders-assets-x7k2p", "s3.aws.upbound.io/v1beta1", "Bucket", `{"forProvider": {"region": "cn-north-1"}}`),
		"encryption": observed("orders-assets-x7k2p-encryption", "s3.aws.upbound.io/v1beta1", "BucketServerSideEncryptionConfiguration",
			`{"forProvider": {"region": "cn-north-1", "rule": [{"applyServerSideEncryptionByDefault": [{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}]}}`),
	}
	req := withRequired(runReq(inputWithEC, &fnv1.State{Composite: xbucket(`{}`), Resources: existing}), ecResources(`{"region": "us-east-1", "kmsKeyId": "`+keyEast+`"}`))
	rsp, err := run(New(logging.NewNopLogger()), req)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for k, v := range get(rsp, "bucket", fp("region")) {
		got["bucket"+k] = v
	}
	for k, v := range get(rsp, "encryption", fp("region"), []string{"spec", "forProvider", "rule"}) {
		got["encryption"+k] = v
	}
	for k, v := range get(rsp, "policy", fp("policy")) {
		got["policy"+k] = v
	}
	arn := "arn:aws-cn:s3:::orders-assets-x7k2p"
	want := map[string]any{
		"bucket.spec.forProvider.region":     "cn-north-1",
		"encryption.spec.forProvider.region": "cn-north-1",
		"encryption.spec.forProvider.rule": []any{map[string]any{
			"applyServerSideEncryptionByDefault": []any{map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}},
			"bucketKeyEnabled":                   true,
		}},
		"policy.spec.forProvider.policy": `{"Statement":[{"Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Principal":"*","Resource":["` + arn + `","` + arn + `/*"],"Sid":"DenyInsecureTransport"},{"Action":"s3:*","Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}},"Effect":"Deny","Principal":"*","Resource":["` + arn + `","` + arn + `/*"],"Sid":"DenyOutdatedTLS"}],"Version":"2012-10-17"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("An existing bucket in China stays there with its key, and its policy names it in partition aws-cn: -want, +got:\n%s", diff)
	}
	if n := len(rsp.GetResults()); n != 1 || rsp.GetResults()[0].GetReason() != "EnvironmentChanged" {
		t.Errorf("want one EnvironmentChanged warning, got %v", rsp.GetResults())
	}
}

func TestRunFunctionIPv6Ingress(t *testing.T) {
	in := `{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input", "environment": {
		"region": "eu-west-1", "vpcId": "vpc-0a1b2c3d4e5f60718",
		"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
		"allowedCidrs": ["10.20.0.0/16", "fd00:10::/48", "192.168.0.0/24"]}}`
	cases := map[string]struct {
		reason string
		input  string
		want   map[string]any
	}{
		"Both": {
			reason: "IPv4 blocks go to cidrBlocks, IPv6 blocks to ipv6CidrBlocks.",
			input:  in,
			want: map[string]any{
				".spec.forProvider.cidrBlocks":     []any{"10.20.0.0/16", "192.168.0.0/24"},
				".spec.forProvider.ipv6CidrBlocks": []any{"fd00:10::/48"},
			},
		},
		"IPv6Only": {
			reason: "Without IPv4 blocks the rule has no cidrBlocks at all.",
			input:  strings.Replace(in, `"10.20.0.0/16", "fd00:10::/48", "192.168.0.0/24"`, `"fd00:10::/48"`, 1),
			want: map[string]any{
				".spec.forProvider.cidrBlocks":     nil,
				".spec.forProvider.ipv6CidrBlocks": []any{"fd00:10::/48"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := run(New(logging.NewNopLogger()), runReq(tc.input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, get(rsp, "security-group-rule", fp("cidrBlocks"), fp("ipv6CidrBlocks"))); diff != "" {
				t.Errorf("%s\nsecurity-group-rule: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
