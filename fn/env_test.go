package fn

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

const inputWithEC = `{
	"apiVersion": "fn.paved.dev/v1alpha1",
	"kind": "Input",
	"environmentConfigName": "paved-environment",
	"environment": {
		"region": "eu-west-1",
		"vpcId": "vpc-0a1b2c3d4e5f60718",
		"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
		"allowedCidrs": ["10.20.0.0/16"]
	}
}`

func ecResources(data string) *fnv1.Resources {
	return &fnv1.Resources{Items: []*fnv1.Resource{{Resource: mustStructJSON(`{
		"apiVersion": "apiextensions.crossplane.io/v1beta1",
		"kind": "EnvironmentConfig",
		"metadata": {"name": "paved-environment"},
		"data": {"paved": ` + data + `}
	}`)}}}
}

func withRequired(req *fnv1.RunFunctionRequest, rs *fnv1.Resources) *fnv1.RunFunctionRequest {
	req.RequiredResources = noApplications()
	req.RequiredResources[EnvironmentRequirement] = rs
	return req
}

var requirement = func() *fnv1.Requirements {
	sel := &fnv1.ResourceSelector{
		ApiVersion: "apiextensions.crossplane.io/v1beta1",
		Kind:       "EnvironmentConfig",
		Match:      &fnv1.ResourceSelector_MatchName{MatchName: "paved-environment"},
	}
	return &fnv1.Requirements{Resources: map[string]*fnv1.ResourceSelector{"environment": sel}}
}()

// get returns fields of a desired composed resource, by path.
func get(rsp *fnv1.RunFunctionResponse, name string, paths ...[]string) map[string]any {
	out := map[string]any{}
	for _, p := range paths {
		v := pb.Get(rsp.GetDesired().GetResources()[name].GetResource(), p...)
		key := ""
		for _, s := range p {
			key += "." + s
		}
		if v == nil {
			out[key] = nil
			continue
		}
		out[key] = v.AsInterface()
	}
	return out
}

func fp(f string) []string { return []string{"spec", "forProvider", f} }

func TestEnvironment(t *testing.T) {
	db := xdatabase(`{"engine": "postgresql", "size": "small"}`)
	paths := [][]string{fp("region"), fp("instanceClass"), fp("kmsKeyId"), fp("backupRetentionPeriod"), {"spec", "writeConnectionSecretToRef", "namespace"}}

	t.Run("RequiresEnvironmentConfigFirst", func(t *testing.T) {
		rsp, err := New(logging.NewNopLogger()).RunFunction(t.Context(), runReq(inputWithEC, &fnv1.State{Composite: db}))
		if err != nil {
			t.Fatal(err)
		}
		want := &fnv1.RunFunctionResponse{Meta: meta(), Requirements: requirement}
		if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
			t.Errorf("before Crossplane supplied it, only the requirement is returned: -want, +got:\n%s", diff)
		}
	})

	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   map[string]any
	}{
		"Missing": {
			reason: "Without an EnvironmentConfig the input applies as it is.",
			req:    withRequired(runReq(inputWithEC, &fnv1.State{Composite: db}), &fnv1.Resources{}),
			want: map[string]any{
				".spec.forProvider.region": "eu-west-1", ".spec.forProvider.instanceClass": "db.t3.medium", ".spec.forProvider.kmsKeyId": nil,
				".spec.forProvider.backupRetentionPeriod": 7.0, ".spec.writeConnectionSecretToRef.namespace": "crossplane-system",
			},
		},
		"Overrides": {
			reason: "Fields the EnvironmentConfig sets win; the rest keep the input's values.",
			req: withRequired(runReq(inputWithEC, &fnv1.State{Composite: db}), ecResources(`{
				"region": "us-east-1",
				"instanceClasses": {"small": "db.t4g.medium"},
				"kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
				"backupRetentionDays": 14,
				"connectionSecretNamespace": "platform-secrets"
			}`)),
			want: map[string]any{
				".spec.forProvider.region": "us-east-1", ".spec.forProvider.instanceClass": "db.t4g.medium",
				".spec.forProvider.kmsKeyId":              "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
				".spec.forProvider.backupRetentionPeriod": 14.0, ".spec.writeConnectionSecretToRef.namespace": "platform-secrets",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := run(New(logging.NewNopLogger()), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if len(rsp.GetResults()) > 0 {
				t.Fatalf("%s\nunexpected results: %v", tc.reason, rsp.GetResults())
			}
			if diff := cmp.Diff(requirement.GetResources()[EnvironmentRequirement], rsp.GetRequirements().GetResources()[EnvironmentRequirement], protocmp.Transform()); diff != "" {
				t.Errorf("%s\nthe requirement must stay stable: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, get(rsp, "instance", paths...)); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}

	bad := map[string]struct {
		data string
		want string
	}{
		"PublicCIDR": {
			data: `{"allowedCidrs": ["0.0.0.0/0"]}`,
			want: `invalid platform environment for DatabaseClaim orders/orders-db: EnvironmentConfig "paved-environment" data.paved.allowedCidrs[0]: invalid value "0.0.0.0/0": a private range; paved never opens a database to the whole internet`,
		},
		"UnknownKey": {
			data: `{"vpcID": "vpc-0a1b2c3d"}`,
			want: `invalid platform environment for DatabaseClaim orders/orders-db: EnvironmentConfig "paved-environment" data.paved: cannot read settings (allowed keys: region, vpcId, subnetIds, allowedCidrs, kmsKeyId, instanceClasses, documentDBInstanceClasses, cacheNodeTypes, backupRetentionDays, connectionSecretNamespace, awsProviderConfigRef, serviceBundle): unknown field "vpcID"`,
		},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			rsp, err := run(New(logging.NewNopLogger()),
				withRequired(runReq(inputWithEC, &fnv1.State{Composite: db}), ecResources(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			want := refused("DatabaseReady", "InvalidEnvironment", tc.want)
			want.Requirements = requirement
			if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("-want, +got:\n%s", diff)
			}
		})
	}
}

func TestMySQL(t *testing.T) {
	req := runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "mysql", "size": "medium", "version": "8.4.3", "storageGB": 100}`)})
	rsp, err := run(New(logging.NewNopLogger()), req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		".spec.forProvider.engine": "mysql", ".spec.forProvider.engineVersion": "8.4.3", ".spec.forProvider.instanceClass": "db.r6g.large",
		".spec.forProvider.allocatedStorage": 100.0, ".spec.forProvider.port": 3306.0,
		".spec.forProvider.enabledCloudwatchLogsExports": []any{"error", "slowquery"},
	}
	got := get(rsp, "instance", fp("engine"), fp("engineVersion"), fp("instanceClass"), fp("allocatedStorage"), fp("port"), fp("enabledCloudwatchLogsExports"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("instance: -want, +got:\n%s", diff)
	}
	rule := get(rsp, "security-group-rule", fp("fromPort"), fp("toPort"))
	if diff := cmp.Diff(map[string]any{".spec.forProvider.fromPort": 3306.0, ".spec.forProvider.toPort": 3306.0}, rule); diff != "" {
		t.Errorf("ingress rule: -want, +got:\n%s", diff)
	}
}

// TestDeterministic: every registered kind's example, as a claim's
// composite and as a namespaced composite, composes the same bytes on
// every run of a fresh function.
func TestDeterministic(t *testing.T) {
	composites := map[string]*fnv1.Resource{}
	for _, k := range Kinds {
		composites[k.Composite] = xr(k.Composite, k.Claim, "example", k.Example)
		if k.Namespaced != "" {
			composites[k.Namespaced] = nsxr(k.Namespaced, "example", k.Example)
		}
	}
	for name, xr := range composites {
		t.Run(name, func(t *testing.T) {
			var first []byte
			for i := range 20 {
				rsp, err := run(New(logging.NewNopLogger()), runReq(bundleInput, &fnv1.State{Composite: xr}))
				if err != nil {
					t.Fatal(err)
				}
				b, err := proto.MarshalOptions{Deterministic: true}.Marshal(rsp)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if len(rsp.GetDesired().GetResources()) == 0 || len(rsp.GetResults()) > 0 {
						t.Fatalf("the example composes nothing or has results: %v", rsp.GetResults())
					}
					first = b
					continue
				}
				if !bytes.Equal(b, first) {
					t.Fatalf("run %d differs from run 0: same request, different output", i)
				}
			}
		})
	}
}

func TestInputMemo(t *testing.T) {
	f := New(logging.NewNopLogger())
	a1, _, err := f.input(runReq(input, nil))
	if err != nil {
		t.Fatal(err)
	}
	a2, _, _ := f.input(runReq(input, nil))
	b, _, _ := f.input(runReq(inputWithEC, nil))
	if a1 != a2 {
		t.Error("the same input was decoded twice")
	}
	if a1 == b || b.EnvironmentConfigName != "paved-environment" || a1.EnvironmentConfigName != "" {
		t.Errorf("different inputs share a decoding: %+v, %+v", a1, b)
	}
	for i := range maxMemo + 1 {
		req := runReq(input, nil)
		req.Input.Fields["environmentConfigName"] = structpb.NewStringValue(strconv.Itoa(i))
		got, _, err := f.input(req)
		if err != nil || got.EnvironmentConfigName != strconv.Itoa(i) {
			t.Fatalf("input %d: got %+v, %v", i, got, err)
		}
	}
	if len(f.inputs.m) > maxMemo {
		t.Errorf("memo holds %d inputs, more than %d", len(f.inputs.m), maxMemo)
	}
}

// A function that has answered before must answer exactly as a fresh one
// does, whatever changed in between (its memos of inputs and
// environments).
func TestWarmAnswersAsFresh(t *testing.T) {
	warm := New(logging.NewNopLogger())
	ready := map[string]*fnv1.Resource{}
	for _, n := range []string{"subnet-group", "security-group", "security-group-rule", "instance"} {
		ready[n] = observedReady(n, `{"apiVersion": "v1", "kind": "X"}`, nil)
	}
	ec := ecResources(`{"region": "us-east-1", "instanceClasses": {"small": "db.t4g.medium"}}`)
	requests := []*fnv1.RunFunctionRequest{
		runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}),
		runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: ready}),
		runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "medium"}`), Resources: ready}),
		runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "huge"}`)}),
		runReq(input, &fnv1.State{Composite: xr("XDatabase", "DatabaseClaim", "other-db", `{"engine": "postgresql", "size": "medium"}`)}),
		withRequired(runReq(inputWithEC, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}), ec),
		withRequired(runReq(inputWithEC, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}), &fnv1.Resources{}),
		withRequired(runReq(inputWithEC, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}), ecResources(`{"region": "not-a-region"}`)),
		runReq(input, &fnv1.State{Composite: xbucket(`{}`)}),
		runReq(input, &fnv1.State{Composite: xbucket(`{"noncurrentVersionExpirationDays": 5}`)}),
	}
	for round := range 2 {
		for i, req := range requests {
			got, err := run(warm, req)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := run(New(logging.NewNopLogger()), req)
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("round %d, request %d: a warm function answers differently from a fresh one: -fresh, +warm:\n%s", round, i, diff)
			}
		}
	}
}
