package fn

import (
	"context"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
)

// bundleInput is the test input with the ServiceBundle's section.
const bundleInput = `{
	"apiVersion": "fn.paved.dev/v1alpha1",
	"kind": "Input",
	"environment": {
		"region": "eu-west-1",
		"vpcId": "vpc-0a1b2c3d4e5f60718",
		"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
		"allowedCidrs": ["10.20.0.0/16"],
		"serviceBundle": {"githubOwner": "acme"}
	}
}`

// refusedAll is the response to a refused composite whose composer reports
// several conditions: each is False with the reason.
func refusedAll(conditions []string, reason, msg string) *fnv1.RunFunctionResponse {
	rsp := refused(conditions[0], reason, msg)
	for _, c := range conditions[1:] {
		rsp.Conditions = append(rsp.Conditions, &fnv1.Condition{
			Type: c, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: reason, Message: &msg,
			Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
		})
	}
	return rsp
}

func TestServiceBundleRefusals(t *testing.T) {
	bundleConditions := []string{"RepositoryReady", "CatalogRegistered", "DatabaseReady", "BucketReady", "DeliveryReady"}
	const bad = `{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input", "environment": {"region": "eu-west-1", "vpcId": "vpc-0a1b2c3d4e5f60718",
		"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"], "allowedCidrs": ["10.20.0.0/16"],
		"serviceBundle": {"githubOwner": "acme", "argoCDNamespace": "Argo CD"}}}`
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   *fnv1.RunFunctionResponse
	}{
		"Redis": {
			reason: "The seed's redis is refused with a Fatal result naming spec.database.engine and the allowed values; every condition says why; nothing is composed.",
			req: runReq(bundleInput, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api",
				`{"description": "Orders API", "owner": "orders", "template": "node-service", "database": {"engine": "redis", "size": "small"}}`)}),
			want: refusedAll(bundleConditions, "InvalidClaim", `invalid ServiceBundle orders/orders-api: spec.database.engine: invalid value "redis": allowed values are "postgresql", "mysql" (redis and mongodb are not offered yet)`),
		},
		"BadArgoCDNamespace": {
			reason: "A bad Argo CD setting refuses ServiceBundles, as the platform's fault.",
			req: runReq(bad, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api",
				`{"description": "Orders API", "owner": "orders", "template": "node-service"}`)}),
			want: refusedAll(bundleConditions, "InvalidEnvironment", `invalid platform environment for ServiceBundle orders/orders-api: input environment.serviceBundle.argoCDNamespace: invalid value "Argo CD": a Kubernetes namespace name`),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := New(logging.NewNopLogger()).RunFunction(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}

	t.Run("BadAWSSettingDoesNotRefuseBundles", func(t *testing.T) {
		const badAWS = `{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input", "environment": {"region": "Europe", "allowedCidrs": ["0.0.0.0/0"],
			"serviceBundle": {"githubOwner": "acme"}}}`
		f := New(logging.NewNopLogger())
		rsp, err := f.RunFunction(context.Background(), runReq(badAWS, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api",
			`{"description": "Orders API", "owner": "orders", "template": "node-service", "database": {"engine": "postgresql", "size": "small"}}`)}))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rsp.GetResults() {
			t.Errorf("the bundle's nested database has its own Composition and environment; got %s: %s", r.GetSeverity(), r.GetMessage())
		}
		// The same settings refuse a DatabaseClaim, which uses them.
		rsp, err = f.RunFunction(context.Background(), runReq(badAWS, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}))
		if err != nil {
			t.Fatal(err)
		}
		if len(rsp.GetDesired().GetResources()) != 0 || len(rsp.GetResults()) == 0 {
			t.Errorf("a DatabaseClaim with region \"Europe\" was not refused: %v", rsp.GetResults())
		}
	})

	t.Run("BadArgoCDNamespaceDoesNotRefuseDatabases", func(t *testing.T) {
		rsp, err := New(logging.NewNopLogger()).RunFunction(context.Background(), runReq(bad, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rsp.GetResults() {
			t.Errorf("a bad ServiceBundle setting must not concern a DatabaseClaim; got %s: %s", r.GetSeverity(), r.GetMessage())
		}
		if len(rsp.GetDesired().GetResources()) == 0 {
			t.Error("the DatabaseClaim composed nothing")
		}
	})
}

// TestKinds runs every registered kind's example through RunFunction: it
// composes without a result, and an empty spec is refused with every one
// of the kind's conditions False.
func TestKinds(t *testing.T) {
	f := New(logging.NewNopLogger())
	for _, k := range Kinds {
		t.Run(k.Composite, func(t *testing.T) {
			rsp, err := f.RunFunction(context.Background(), runReq(bundleInput, &fnv1.State{Composite: xr(k.Composite, k.Claim, "example", k.Example)}))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rsp.GetResults() {
				t.Errorf("example %s: unexpected result %s: %s", k.Composite, r.GetSeverity(), r.GetMessage())
			}
			if len(rsp.GetDesired().GetResources()) == 0 {
				t.Errorf("example %s composed nothing", k.Composite)
			}

			bad := resource.MustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "` + k.Composite + `", "metadata": {"name": "x", "uid": "` + testUID + `"}, "spec": {"publicAccess": true, "publiclyAccessible": true}}`)
			rsp, err = f.RunFunction(context.Background(), runReq(bundleInput, &fnv1.State{Composite: &fnv1.Resource{Resource: bad}}))
			if err != nil {
				t.Fatal(err)
			}
			if len(rsp.GetDesired().GetResources()) != 0 {
				t.Errorf("refused %s composed %d resources", k.Composite, len(rsp.GetDesired().GetResources()))
			}
			got := map[string]string{}
			for _, c := range rsp.GetConditions() {
				got[c.GetType()] = c.GetStatus().String() + "/" + c.GetReason()
			}
			want := map[string]string{}
			for _, c := range conditionTypes(k.Composer) {
				want[c] = "STATUS_CONDITION_FALSE/InvalidClaim"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("refused %s: conditions -want, +got:\n%s", k.Composite, diff)
			}
		})
	}
}

// TestServiceBundleMemo checks that the memo never replays a bundle's
// objects for other observed facts: the catalog registration appears once
// the repository and its file are Ready, in the same function.
func TestServiceBundleMemo(t *testing.T) {
	f := New(logging.NewNopLogger())
	var example string
	for _, k := range Kinds {
		if k.Composite == "XServiceBundle" {
			example = k.Example
		}
	}
	ready := resource.MustStructJSON(`{"status": {"atProvider": {"cloneURL": "https://github.com/acme/orders-api.git", "commitSHA": "abc"}, "conditions": [{"type": "Ready", "status": "True"}]}}`)
	for i, tc := range []struct {
		observed map[string]*fnv1.Resource
		want     bool
	}{
		{observed: nil, want: false},
		{observed: nil, want: false},
		{observed: map[string]*fnv1.Resource{"repository": {Resource: ready}, "catalog-info": {Resource: ready}}, want: true},
		{observed: map[string]*fnv1.Resource{"repository": {Resource: ready}, "catalog-info": {Resource: ready}}, want: true},
	} {
		rsp, err := f.RunFunction(context.Background(), runReq(bundleInput, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api", example), Resources: tc.observed}))
		if err != nil {
			t.Fatal(err)
		}
		if _, got := rsp.GetDesired().GetResources()["catalog-location"]; got != tc.want {
			t.Errorf("request %d: catalog registration composed = %t, want %t", i, got, tc.want)
		}
	}
}
