package envconfig_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

func TestResolveServiceBundle(t *testing.T) {
	cases := map[string]struct {
		yaml    string
		none    bool
		want    []string // substrings of the error; none: valid
		tenants []envconfig.Tenant
		argocd  string
	}{
		"NoSection": {yaml: `
metadata: {name: paved-environment}
data: {paved: {region: eu-west-1}}
`, none: true},
		"MappedWithDefaults": {yaml: `
metadata: {name: paved-environment}
data:
  paved:
    serviceBundle:
      githubOwner: acme
      namespaces:
        team-orders: {team: orders}
        sandbox: {team: platform, argoCDProject: default}
`, argocd: "argocd", tenants: []envconfig.Tenant{
			{Namespace: "sandbox", Team: "platform", ArgoCDProject: "default", Mapped: true},
			{Namespace: "team-orders", Team: "orders", ArgoCDProject: "orders-project", Mapped: true},
		}},
		"OwnerPattern": {yaml: `
metadata: {name: prod}
data:
  paved:
    serviceBundle:
      argoCDNamespace: gitops
      argoCDProject: "{owner}"
`, argocd: "gitops", want: []string{`EnvironmentConfig "prod" data.paved.serviceBundle.argoCDProject`, `without "{owner}"`}},
		"Misspelt": {yaml: `
metadata: {name: prod}
data:
  paved:
    serviceBundle: {argoCDProjects: x}
`, none: true, want: []string{`EnvironmentConfig "prod" data.paved.serviceBundle`, `unknown field "argoCDProjects"`}},
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
			sb, err := envconfig.ResolveServiceBundle(ec)
			if (sb == nil) != tc.none {
				t.Fatalf("ResolveServiceBundle: section %v, want none: %t", sb, tc.none)
			}
			if len(tc.want) == 0 && err != nil {
				t.Fatalf("ResolveServiceBundle: %v", err)
			}
			if len(tc.want) > 0 && err == nil {
				t.Fatalf("ResolveServiceBundle accepted it, want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if sb == nil {
				return
			}
			if sb.ArgoCDNamespace != tc.argocd {
				t.Errorf("argoCDNamespace %q, want %q", sb.ArgoCDNamespace, tc.argocd)
			}
			if err != nil {
				return
			}
			got, err := sb.MappedTenants()
			if err != nil {
				t.Fatalf("MappedTenants: %v", err)
			}
			if diff := cmp.Diff(tc.tenants, got); diff != "" {
				t.Errorf("MappedTenants: -want, +got:\n%s", diff)
			}
		})
	}
}
