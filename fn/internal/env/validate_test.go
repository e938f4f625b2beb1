package env

import (
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
)

func TestCheckCIDR(t *testing.T) {
	const path = "input environment.allowedCidrs[0]"
	notPrivate := privateAllowed + "; paved never opens a database to public addresses"
	cases := map[string]struct {
		reason string
		cidr   string
		want   string // allowed of the error; "" when accepted
	}{
		"TenSlash8":            {"The whole of 10.0.0.0/8 is private.", "10.0.0.0/8", ""},
		"Subnet":               {"A block inside 10.0.0.0/8 is private.", "10.20.0.0/16", ""},
		"OneSeventyTwo":        {"172.16.0.0/12 is private.", "172.16.0.0/12", ""},
		"OneNinetyTwo":         {"A block inside 192.168.0.0/16 is private.", "192.168.10.0/24", ""},
		"Host":                 {"A single private host is a block too.", "10.1.2.3/32", ""},
		"ULA":                  {"IPv6 unique local addresses are private.", "fd00:10::/48", ""},
		"WholeULA":             {"The whole of fc00::/7 is private.", "fc00::/7", ""},
		"TenSlash7":            {"10.0.0.0/7 starts privately but covers the public 11.0.0.0/8.", "10.0.0.0/7", notPrivate},
		"OneSeventyTwoSlash11": {"172.0.0.0/11 covers the public 172.0.0.0 to 172.15.255.255.", "172.0.0.0/11", notPrivate},
		"Public":               {"A public block is refused.", "203.0.113.0/24", notPrivate},
		"CGNAT":                {"Shared address space (RFC 6598) is not RFC 1918.", "100.64.0.0/10", notPrivate},
		"FCSlash6":             {"fc00::/6 covers more than the unique local range.", "fc00::/6", notPrivate},
		"PublicIPv6":           {"Global unicast IPv6 is refused.", "2001:db8::/32", notPrivate},
		"LinkLocalIPv6":        {"Link-local IPv6 is not fc00::/7.", "fe80::/10", notPrivate},
		"Internet":             {"The whole internet is refused.", "0.0.0.0/0", "a private range; paved never opens a database to the whole internet"},
		"InternetIPv6":         {"The whole IPv6 internet is refused.", "::/0", "a private range; paved never opens a database to the whole internet"},
		"Mapped":               {"An IPv4-mapped IPv6 block is refused.", "::ffff:10.0.0.0/104", "an IPv4 block written as IPv4 (such as 10.0.0.0/16), not as an IPv4-mapped IPv6 block"},
		"HostBits":             {"Host bits are refused.", "10.0.0.1/8", "a CIDR block without host bits, such as 10.0.0.0/8"},
		"NotACIDR":             {"A bare address is refused.", "10.0.0.1", "a CIDR block such as 10.0.0.0/16 or fd00:10::/48"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if err := checkCIDR(path, tc.cidr); err != nil {
				if err.Field != path || err.Value != tc.cidr {
					t.Errorf("%s\ncheckCIDR(%q): error names %s=%v, want %s=%q", tc.reason, tc.cidr, err.Field, err.Value, path, tc.cidr)
				}
				got = err.Allowed
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncheckCIDR(%q): -want, +got:\n%s", tc.reason, tc.cidr, diff)
			}
		})
	}
}

func TestCheckKMSKey(t *testing.T) {
	const path = "input environment.kmsKeyId"
	const example = "a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/<key id> (multi-Region keys: key/mrk-<32 hex digits>)"
	cases := map[string]struct {
		reason string
		arn    string
		region string
		want   string
	}{
		"KeyARN": {"A key ARN in the region is accepted.",
			"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "eu-west-1", ""},
		"MultiRegionKey": {"A multi-Region key ARN is accepted.",
			"arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab", "eu-west-1", ""},
		"China": {"In China the partition is aws-cn.",
			"arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "cn-north-1", ""},
		"GovCloud": {"In GovCloud the partition is aws-us-gov.",
			"arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "us-gov-west-1", ""},
		"AliasARN": {"An alias ARN gives RDS a permanent diff.",
			"arn:aws:kms:eu-west-1:111122223333:alias/paved", "eu-west-1",
			example + "; not an alias: RDS and S3 report the key ARN an alias points to, so an alias never stops differing"},
		"AliasName": {"An alias name is refused too.",
			"alias/aws/rds", "eu-west-1",
			example + "; not an alias: RDS and S3 report the key ARN an alias points to, so an alias never stops differing"},
		"KeyID": {"A bare key id is refused.",
			"1234abcd-12ab-34cd-56ef-1234567890ab", "eu-west-1", example},
		"OtherRegion": {"A key of another region cannot encrypt here.",
			"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "eu-west-1",
			"a KMS key in the composition's region eu-west-1 (this key is in us-east-1); RDS and S3 use keys of their own region only"},
		"WrongPartition": {"A China region's key ARN starts with arn:aws-cn.",
			"arn:aws:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "cn-north-1",
			`an ARN of partition "aws-cn", the partition of region cn-north-1 (arn:aws-cn:kms:...)`},
		"ShortMRK": {"A multi-Region key id has 32 hex digits.",
			"arn:aws:kms:eu-west-1:111122223333:key/mrk-1234", "eu-west-1", example},
		"ShortAccount": {"An account id has 12 digits.",
			"arn:aws:kms:eu-west-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab", "eu-west-1", example},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if err := checkKMSKey(path, tc.arn, tc.region); err != nil {
				got = err.Allowed
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\ncheckKMSKey(%q, %q): -want, +got:\n%s", tc.reason, tc.arn, tc.region, diff)
			}
		})
	}
}

func TestCIDRs(t *testing.T) {
	e := &Environment{AllowedCIDRs: []string{"10.0.0.0/16", "fd00:1::/64", "192.168.0.0/24"}}
	v4, v6 := e.CIDRs()
	if diff := cmp.Diff([]string{"10.0.0.0/16", "192.168.0.0/24"}, v4); diff != "" {
		t.Errorf("CIDRs() ipv4: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"fd00:1::/64"}, v6); diff != "" {
		t.Errorf("CIDRs() ipv6: -want, +got:\n%s", diff)
	}
}

// The provider config of namespaced managed resources: provider-aws's
// default, set field by field by the input and the EnvironmentConfig, and
// refused unless it is a kind namespaced managed resources can name.
func TestAWSProviderConfigRef(t *testing.T) {
	ec := func(data string) *structpb.Struct {
		return resource.MustStructJSON(`{"data": {"paved": ` + data + `}}`)
	}
	cases := map[string]struct {
		reason string
		in     *environment.ProviderConfigReference
		ec     *structpb.Struct
		want   ProviderConfigRef
		err    string
	}{
		"Default": {reason: "Nothing set is provider-aws's own default.",
			want: ProviderConfigRef{"ClusterProviderConfig", "default"}},
		"Input": {reason: "The input names a ClusterProviderConfig.",
			in: &environment.ProviderConfigReference{Name: "aws-prod"}, want: ProviderConfigRef{"ClusterProviderConfig", "aws-prod"}},
		"EnvironmentConfigOverrides": {reason: "The EnvironmentConfig overrides the input field by field.",
			in: &environment.ProviderConfigReference{Name: "aws-prod"}, ec: ec(`{"awsProviderConfigRef": {"kind": "ProviderConfig"}}`),
			want: ProviderConfigRef{"ProviderConfig", "aws-prod"}},
		"UnknownKind": {reason: "Only the kinds a namespaced managed resource can name.",
			in: &environment.ProviderConfigReference{Kind: "Secret"}, want: ProviderConfigRef{"Secret", "default"},
			err: `input environment.awsProviderConfigRef.kind: invalid value "Secret": allowed values are "ClusterProviderConfig", "ProviderConfig"`},
		"BadName": {reason: "A name must be an object's name.",
			ec: ec(`{"awsProviderConfigRef": {"name": "Prod Config"}}`), want: ProviderConfigRef{"ClusterProviderConfig", "Prod Config"},
			err: `EnvironmentConfig "env" data.paved.awsProviderConfigRef.name: invalid value "Prod Config": the name of a provider-aws ProviderConfig or ClusterProviderConfig`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := Resolve(environment.Environment{AWSProviderConfigRef: tc.in}, "env", tc.ec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, e.AWSProviderConfigRef); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
			got := ""
			if err := e.ValidateAWS(); err != nil {
				got = err.Error()
			}
			if got != tc.err {
				t.Errorf("%s\nValidateAWS(): got %q, want %q", tc.reason, got, tc.err)
			}
		})
	}
}
