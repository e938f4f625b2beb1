package compose

import (
	"strconv"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/env"
)

func TestPin(t *testing.T) {
	pins := []Pin{
		{Setting: env.Region, Resource: "instance", Paths: [][]string{{"spec", "forProvider", "region"}}},
		{Setting: env.Region, Resource: "subnet-group", Paths: [][]string{{"spec", "forProvider", "region"}}},
		{Setting: env.SubnetIDs, Resource: "subnet-group", Paths: [][]string{{"spec", "forProvider", "subnetIds"}, {"status", "atProvider", "subnetIds"}}},
		{Setting: env.KMSKeyID, Resource: "encryption", Paths: [][]string{{"spec", "forProvider", "rule", "0", "sse", "0", "kmsMasterKeyId"}}},
	}
	const keyWest = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	const keyCentral = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	type want struct {
		region  string
		subnets []string
		kms     string
		drifts  []Drift
	}
	cases := map[string]struct {
		reason   string
		env      environment.Environment
		observed map[string]string
		want     want
	}{
		"NewComposite": {
			reason: "Nothing observed: the environment applies as it is.",
			env:    environment.Environment{Region: "eu-central-1", SubnetIDs: []string{"subnet-0000000000000000c"}},
			want:   want{region: "eu-central-1", subnets: []string{"subnet-0000000000000000c"}},
		},
		"ObservedWithoutSpec": {
			reason:   "An observed resource that does not record the setting pins nothing.",
			env:      environment.Environment{Region: "eu-central-1"},
			observed: map[string]string{"instance": `{"status": {}}`},
			want:     want{region: "eu-central-1"},
		},
		"Unchanged": {
			reason:   "The environment agrees with what exists: pinned, no drift.",
			env:      environment.Environment{Region: "eu-west-1"},
			observed: map[string]string{"instance": `{"spec": {"forProvider": {"region": "eu-west-1"}}}`},
			want:     want{region: "eu-west-1"},
		},
		"RegionChanged": {
			reason:   "A new region is not applied to an existing instance; the first resource that records a setting wins.",
			env:      environment.Environment{Region: "eu-central-1"},
			observed: map[string]string{"instance": `{"spec": {"forProvider": {"region": "eu-west-1"}}}`, "subnet-group": `{"spec": {"forProvider": {"region": "us-east-1"}}}`},
			want: want{region: "eu-west-1", drifts: []Drift{{
				Setting: "region", Resource: "instance", Pinned: []string{"eu-west-1"}, Wanted: []string{"eu-central-1"}, Source: "input environment.region",
			}}},
		},
		"SubnetsReordered": {
			reason:   "Subnets are a set: another order is no change.",
			env:      environment.Environment{SubnetIDs: []string{"subnet-0000000000000000b", "subnet-0000000000000000a"}},
			observed: map[string]string{"subnet-group": `{"status": {"atProvider": {"subnetIds": ["subnet-0000000000000000a", "subnet-0000000000000000b"]}}}`},
			want:     want{subnets: []string{"subnet-0000000000000000a", "subnet-0000000000000000b"}},
		},
		"SubnetsChanged": {
			reason:   "Other subnets are a drift, read from the first path that is set.",
			env:      environment.Environment{SubnetIDs: []string{"subnet-0000000000000000c"}},
			observed: map[string]string{"subnet-group": `{"spec": {"forProvider": {"subnetIds": ["subnet-0000000000000000a"]}}}`},
			want: want{subnets: []string{"subnet-0000000000000000a"}, drifts: []Drift{{
				Setting: "subnetIds", Resource: "subnet-group", Pinned: []string{"subnet-0000000000000000a"}, Wanted: []string{"subnet-0000000000000000c"}, Source: "input environment.subnetIds",
			}}},
		},
		"KMSLateInitialised": {
			reason:   "An environment without a key states nothing: the key that exists (e.g. late-initialised) is kept without a drift.",
			env:      environment.Environment{Region: "eu-west-1"},
			observed: map[string]string{"encryption": `{"spec": {"forProvider": {"rule": [{"sse": [{"kmsMasterKeyId": "` + keyWest + `"}]}]}}}`},
			want:     want{region: "eu-west-1", kms: keyWest},
		},
		"KMSOfAnotherRegion": {
			reason: "A resource with the managed key does not pin the key, but a key of the new region cannot encrypt in the pinned one.",
			env:    environment.Environment{Region: "eu-central-1", KMSKeyID: keyCentral},
			observed: map[string]string{
				"instance":   `{"spec": {"forProvider": {"region": "eu-west-1"}}}`,
				"encryption": `{"spec": {"forProvider": {"rule": [{"sse": [{}]}]}}}`,
			},
			want: want{region: "eu-west-1", drifts: []Drift{
				{Setting: "region", Resource: "instance", Pinned: []string{"eu-west-1"}, Wanted: []string{"eu-central-1"}, Source: "input environment.region"},
				{Setting: "kmsKeyId", Resource: "resources (region eu-west-1)", Wanted: []string{keyCentral}, Source: "input environment.kmsKeyId"},
			}},
		},
		"ExistingKeyKeptAsItIs": {
			reason: "A key that exists is kept even if it is not of the pinned region: it is what the resource has.",
			env:    environment.Environment{Region: "eu-west-1"},
			observed: map[string]string{
				"instance":   `{"spec": {"forProvider": {"region": "us-east-1"}}}`,
				"encryption": `{"spec": {"forProvider": {"rule": [{"sse": [{"kmsMasterKeyId": "` + keyWest + `"}]}]}}}`,
			},
			want: want{region: "us-east-1", kms: keyWest, drifts: []Drift{
				{Setting: "region", Resource: "instance", Pinned: []string{"us-east-1"}, Wanted: []string{"eu-west-1"}, Source: "input environment.region"},
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := env.Resolve(tc.env, "", nil)
			if err != nil {
				t.Fatalf("env.Resolve: %v", err)
			}
			obs := map[string]*fnv1.Resource{}
			for n, o := range tc.observed {
				obs[n] = &fnv1.Resource{Resource: resource.MustStructJSON(o)}
			}
			s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: obs}}, &Composite{Name: "x"}, "database")
			got, drifts := s.Pin(e, pins)
			if diff := cmp.Diff(tc.want, want{region: got.Region, subnets: got.SubnetIDs, kms: got.KMSKeyID, drifts: drifts}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nPin(...): -want, +got:\n%s", tc.reason, diff)
			}
			if e.Region != tc.env.Region {
				t.Errorf("%s\nPin(...) modified its input environment: region %q", tc.reason, e.Region)
			}
		})
	}
}

func TestDescribeDrifts(t *testing.T) {
	got := DescribeDrifts([]Drift{{Setting: "vpcId", Resource: "security-group", Pinned: []string{"vpc-1"}, Wanted: []string{"vpc-2"}, Source: `EnvironmentConfig "e" data.paved.vpcId`}})
	want := `environment changes not applied, existing resources cannot move: vpcId stays "vpc-1" as the existing security-group has it; EnvironmentConfig "e" data.paved.vpcId asks for "vpc-2"`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DescribeDrifts(...): -want, +got:\n%s", diff)
	}
}

func TestListIndex(t *testing.T) {
	// A path segment is a list index where strconv.Atoi reads a number
	// lookup can use (not negative, within any list); every other
	// segment is a field name.
	for _, seg := range []string{"0", "1", "07", "42", "999999999", "", "forProvider", "1a", "a1", "-1", "+1", " 1", "1 ", "1.0", "1234567890"} {
		got, ok := listIndex(seg)
		want, err := strconv.Atoi(seg)
		wantOK := err == nil && want >= 0 && len(seg) <= 9 && seg[0] != '+'
		if ok != wantOK || ok && got != want {
			t.Errorf("listIndex(%q) = %d, %t; want %d, %t", seg, got, ok, want, wantOK)
		}
	}
}
