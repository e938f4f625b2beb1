package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/cmd/paved/internal/awsstandin"
)

// The SDK's endpoint overrides reach every client: AWS_ENDPOINT_URL_EC2
// sends EC2 to one stand-in while AWS_ENDPOINT_URL sends KMS and STS to
// another (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html:
// the service-specific variable wins over the global one). Each stand-in
// refuses the services it was given no answers for.
func TestEndpointOverrides(t *testing.T) {
	awsEnv(t)
	ec2 := awsstandin.New(t, region, credentials, allVPCs, subnetsPage1, subnetsPage2, routeTables)
	rest := awsstandin.New(t, region, credentials, join([]awsstandin.Answer{callerIdentity}, aliases, []awsstandin.Answer{rdsKey})...)
	t.Setenv("AWS_ENDPOINT_URL", rest.URL)
	t.Setenv("AWS_ENDPOINT_URL_EC2", ec2.URL)

	out, stderr, code := paved(t, "environment", "discover", "--region", region, "--kms-key", "alias/rds")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	golden(t, "three-azs.yaml", out)
	if diff := cmp.Diff(networkCalls[1:], actions(ec2)); diff != "" {
		t.Errorf("AWS_ENDPOINT_URL_EC2's stand-in saw (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(calls(networkCalls[:1], aliasCalls), actions(rest)); diff != "" {
		t.Errorf("AWS_ENDPOINT_URL's stand-in saw (-want +got):\n%s", diff)
	}
}

// --profile takes the profile's credentials and region from the shared
// files, over credentials in the environment (the SDK's credential chain
// starts with the profile when one is named:
// https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html).
// The stand-in knows the profile's key only.
func TestProfile(t *testing.T) {
	dir := awsEnv(t)
	const key, secret = "AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("config", "[profile platform]\nregion = "+region+"\n")
	write("credentials", "[platform]\naws_access_key_id = "+key+"\naws_secret_access_key = "+secret+"\n")
	s := awsstandin.New(t, region, map[string]string{key: secret}, network...)
	t.Setenv("AWS_ENDPOINT_URL", s.URL)

	out, stderr, code := paved(t, "environment", "discover", "--profile", "platform")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	golden(t, "without-key.yaml", out)
	for _, c := range s.Calls() {
		if c.AccessKey != key {
			t.Errorf("%s signed with %s, not the profile's %s", c.IAMAction(), c.AccessKey, key)
		}
	}
}

// -o writes the file, whole, and nothing to standard output.
func TestOutputFile(t *testing.T) {
	awsEnv(t)
	s := awsstandin.New(t, region, credentials, network...)
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	path := filepath.Join(t.TempDir(), "environment.yaml")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}

	out, stderr, code := paved(t, "environment", "discover", "--region", region, "-o", path)
	if code != 0 || out != "" {
		t.Fatalf("exit code %d, stdout %q: %s", code, out, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "without-key.yaml", string(b))
	if want := `wrote EnvironmentConfig "paved-environment" to ` + path + `: VPC vpc-0a1b2c3d4e5f60718, 3 private subnets in 3 Availability Zones`; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not say %q", stderr, want)
	}
}

// A refused discovery leaves an existing -o file as it was.
func TestOutputFileKeptOnError(t *testing.T) {
	awsEnv(t)
	s := awsstandin.New(t, region, credentials, callerIdentity, awsstandin.Answer{Service: "ec2", Action: "DescribeVpcs", Body: "ec2/describe-vpcs-two.xml"})
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	path := filepath.Join(t.TempDir(), "environment.yaml")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, code := paved(t, "environment", "discover", "--region", region, "-o", path); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("%s was overwritten: %q", path, b)
	}
}

func TestNoRegion(t *testing.T) {
	awsEnv(t)
	s := awsstandin.New(t, region, credentials)
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	_, stderr, code := paved(t, "environment", "discover")
	if code != 1 || !strings.Contains(stderr, "no AWS region: set --region, AWS_REGION or the profile's region") {
		t.Errorf("exit code %d: %s", code, stderr)
	}
	if n := len(s.Calls()); n != 0 {
		t.Errorf("called AWS %d times without a region", n)
	}
}

func TestUnknownRegion(t *testing.T) {
	awsEnv(t)
	s := awsstandin.New(t, region, credentials)
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	_, stderr, code := paved(t, "environment", "discover", "--region", "eu-west1")
	if code != 1 || !strings.Contains(stderr, `region "eu-west1" is not an AWS region paved knows`) {
		t.Errorf("exit code %d: %s", code, stderr)
	}
	if n := len(s.Calls()); n != 0 {
		t.Errorf("called AWS %d times for an unknown region", n)
	}
}
