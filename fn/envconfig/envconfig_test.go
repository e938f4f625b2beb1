package envconfig_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/fn"
	"github.com/paved-dev/paved/fn/envconfig"
)

// The constants are the function's: a tool writing an EnvironmentConfig of
// another API or kind would write one the function never reads.
func TestAPIIsTheFunctions(t *testing.T) {
	if envconfig.APIVersion != fn.EnvironmentConfigAPIVersion || envconfig.Kind != fn.EnvironmentConfigKind {
		t.Errorf("envconfig %s %s, function requires %s %s", envconfig.APIVersion, envconfig.Kind, fn.EnvironmentConfigAPIVersion, fn.EnvironmentConfigKind)
	}
}

func TestValidateForDatabases(t *testing.T) {
	cases := map[string]struct {
		yaml string
		want []string // substrings of the error; none: valid
	}{
		"Valid": {yaml: `
metadata: {name: paved-environment}
data:
  paved:
    region: eu-west-1
    vpcId: vpc-0a1b2c3d4e5f60718
    subnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]
    allowedCidrs: [10.20.0.0/16]
    kmsKeyId: arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f
`},
		"PublicCIDRAndOtherRegionKey": {yaml: `
metadata: {name: prod}
data:
  paved:
    region: eu-west-1
    vpcId: vpc-0a1b2c3d4e5f60718
    subnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002]
    allowedCidrs: [100.64.0.0/16]
    kmsKeyId: arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f
`, want: []string{`EnvironmentConfig "prod" data.paved.allowedCidrs[0]`, `EnvironmentConfig "prod" data.paved.kmsKeyId`, "this key is in us-east-1"}},
		"NetworkMissing": {yaml: `
metadata: {name: prod}
data:
  paved:
    region: eu-west-1
`, want: []string{"vpcId", "subnetIds", "allowedCidrs"}},
		"MisspeltKey": {yaml: `
metadata: {name: prod}
data:
  paved:
    subnetID: [subnet-0a1b2c3d4e5f60001]
`, want: []string{`unknown field "subnetID"`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			j, err := yaml.YAMLToJSON([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			ec := &structpb.Struct{}
			if err := ec.UnmarshalJSON(j); err != nil {
				t.Fatal(err)
			}
			err = envconfig.ValidateForDatabases(ec)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("ValidateForDatabases: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateForDatabases accepted it, want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}
