package fn

import (
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"
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
	// A refusal sets False the conditions of the parts the bundle always
	// has, and of those its spec asks for or its status already reports.
	bundleConditions := []string{"RepositoryReady", "CatalogRegistered", "DeliveryReady"}
	withDatabase := []string{"RepositoryReady", "CatalogRegistered", "DatabaseReady", "DeliveryReady"}
	// A bundle that reported QueueReady (its queue was composed) and is
	// refused on a later change.
	reported := xr("XServiceBundle", "ServiceBundle", "orders-api", `{"description": "Orders API", "owner": "orders", "template": "node-service"}`)
	pb.Set(reported.GetResource(), structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{
		structpb.NewStructValue(mustStructJSON(`{"type": "QueueReady", "status": "True", "reason": "Available"}`)),
	}}), "status", "conditions")
	const bad = `{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input", "environment": {"region": "eu-west-1", "vpcId": "vpc-0a1b2c3d4e5f60718",
		"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"], "allowedCidrs": ["10.20.0.0/16"],
		"serviceBundle": {"githubOwner": "acme", "argoCDNamespace": "Argo CD"}}}`
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   *fnv1.RunFunctionResponse
	}{
		"UnknownEngine": {
			reason: "An engine no DatabaseClaim offers is refused with a Fatal result naming spec.database.engine and the allowed values; every condition says why; nothing is composed.",
			req: runReq(bundleInput, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api",
				`{"description": "Orders API", "owner": "orders", "template": "node-service", "database": {"engine": "cassandra", "size": "small"}}`)}),
			want: refusedAll(withDatabase, "InvalidClaim", `invalid ServiceBundle orders/orders-api: spec.database.engine: invalid value "cassandra": allowed values are "postgresql", "mysql", "redis", "mongodb"`),
		},
		"BadArgoCDNamespace": {
			reason: "A bad Argo CD setting refuses ServiceBundles, as the platform's fault.",
			req: runReq(bad, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api",
				`{"description": "Orders API", "owner": "orders", "template": "node-service"}`)}),
			want: refusedAll(bundleConditions, "InvalidEnvironment", `invalid platform environment for ServiceBundle orders/orders-api: input environment.serviceBundle.argoCDNamespace: invalid value "Argo CD": a Kubernetes namespace name`),
		},
		"ReportedPartRefused": {
			reason: "A bundle whose status reports a part it no longer asks for has that condition False too: core keeps a condition the function stops returning.",
			req:    runReq(bad, &fnv1.State{Composite: reported}),
			want: refusedAll([]string{"RepositoryReady", "CatalogRegistered", "QueueReady", "DeliveryReady"}, "InvalidEnvironment",
				`invalid platform environment for ServiceBundle orders/orders-api: input environment.serviceBundle.argoCDNamespace: invalid value "Argo CD": a Kubernetes namespace name`),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := run(New(logging.NewNopLogger()), tc.req)
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
		rsp, err := run(f, runReq(badAWS, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api",
			`{"description": "Orders API", "owner": "orders", "template": "node-service", "database": {"engine": "postgresql", "size": "small"}}`)}))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rsp.GetResults() {
			t.Errorf("the bundle's nested database has its own Composition and environment; got %s: %s", r.GetSeverity(), r.GetMessage())
		}
		// The same settings refuse a DatabaseClaim, which uses them.
		rsp, err = run(f, runReq(badAWS, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}))
		if err != nil {
			t.Fatal(err)
		}
		if len(rsp.GetDesired().GetResources()) != 0 || len(rsp.GetResults()) == 0 {
			t.Errorf("a DatabaseClaim with region \"Europe\" was not refused: %v", rsp.GetResults())
		}
	})

	t.Run("BadArgoCDNamespaceDoesNotRefuseDatabases", func(t *testing.T) {
		rsp, err := run(New(logging.NewNopLogger()), runReq(bad, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}))
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

// TestKinds runs every registered kind's example through RunFunction, as
// a claim's composite and, for a kind that has one, as a namespaced
// composite: it composes without a result, and an empty spec is refused
// with every one of the kind's conditions False.
func TestKinds(t *testing.T) {
	f := New(logging.NewNopLogger())
	type variant struct {
		kind    Kind
		name    string // the composite's kind
		example *fnv1.Resource
		bad     string // apiVersion and metadata of a composite of the kind
		// claimRef of the bad composite: a legacy one made by the
		// platform, bound to itself; none for a namespaced one.
		claimRef string
	}
	var variants []variant
	for _, k := range Kinds {
		variants = append(variants, variant{k, k.Composite, xr(k.Composite, k.Claim, "example", k.Example),
			`"apiVersion": "platform.paved.dev/v1alpha1", "kind": "` + k.Composite + `", "metadata": {"name": "x", "uid": "` + testUID + `"}`,
			compose.PlatformClaimRef("platform.paved.dev/v1alpha1", k.Composite, "x")})
		if k.Namespaced != "" {
			variants = append(variants, variant{k, k.Namespaced, nsxr(k.Namespaced, "example", k.Example),
				`"apiVersion": "paved.dev/v1alpha1", "kind": "` + k.Namespaced + `", "metadata": {"name": "x", "namespace": "team-orders", "uid": "` + testUID + `"}`, ""})
		}
	}
	for _, v := range variants {
		k := v.kind
		t.Run(v.name, func(t *testing.T) {
			rsp, err := run(f, runReq(bundleInput, &fnv1.State{Composite: v.example}))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rsp.GetResults() {
				t.Errorf("example %s: unexpected result %s: %s", v.name, r.GetSeverity(), r.GetMessage())
			}
			if len(rsp.GetDesired().GetResources()) == 0 {
				t.Errorf("example %s composed nothing", v.name)
			}

			bad := mustStructJSON(`{` + v.bad + `, "spec": {"publicAccess": true, "publiclyAccessible": true}}`)
			if v.claimRef != "" {
				pb.Set(bad, structpb.NewStructValue(mustStructJSON(v.claimRef)), "spec", "claimRef")
			}
			rsp, err = run(f, runReq(bundleInput, &fnv1.State{Composite: &fnv1.Resource{Resource: bad}}))
			if err != nil {
				t.Fatal(err)
			}
			if len(rsp.GetDesired().GetResources()) != 0 {
				t.Errorf("refused %s composed %d resources", v.name, len(rsp.GetDesired().GetResources()))
			}
			got := map[string]string{}
			for _, c := range rsp.GetConditions() {
				got[c.GetType()] = c.GetStatus().String() + "/" + c.GetReason()
			}
			want := map[string]string{}
			for _, c := range conditionTypes(k.Composer) {
				if p, ok := k.Composer.(interface{ PartConditions() map[string]string }); ok {
					if _, part := p.PartConditions()[c]; part {
						continue // the bad spec asks for no part
					}
				}
				want[c] = "STATUS_CONDITION_FALSE/InvalidClaim"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("refused %s: conditions -want, +got:\n%s", v.name, diff)
			}
		})
	}
}

// TestServiceBundleObservedFacts checks that one function composes a
// bundle from the observed facts of each request: the catalog registration
// appears, with the file, once the provider observed the repository (its
// full name, as provider-paved reports it in status.atProvider).
func TestServiceBundleObservedFacts(t *testing.T) {
	f := New(logging.NewNopLogger())
	var example string
	for _, k := range Kinds {
		if k.Composite == "XServiceBundle" {
			example = k.Example
		}
	}
	ready := mustStructJSON(`{"metadata": {"name": "orders-api"}, "status": {"atProvider": {"fullName": "acme/orders-api", "cloneURL": "https://github.com/acme/orders-api.git", "htmlURL": "https://github.com/acme/orders-api", "defaultBranch": "main", "commitSHA": "abc"}, "conditions": [{"type": "Ready", "status": "True"}]}}`)
	for i, tc := range []struct {
		observed map[string]*fnv1.Resource
		want     bool
	}{
		{observed: nil, want: false},
		{observed: nil, want: false},
		{observed: map[string]*fnv1.Resource{"repository": {Resource: ready}, "catalog-info": {Resource: ready}}, want: true},
		{observed: map[string]*fnv1.Resource{"repository": {Resource: ready}, "catalog-info": {Resource: ready}}, want: true},
	} {
		rsp, err := run(f, runReq(bundleInput, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api", example), Resources: tc.observed}))
		if err != nil {
			t.Fatal(err)
		}
		if _, got := rsp.GetDesired().GetResources()["catalog-location"]; got != tc.want {
			t.Errorf("request %d: catalog registration composed = %t, want %t", i, got, tc.want)
		}
	}
}

// TestServiceBundleApplicationTaken: the function requires the bundle's
// Applications by name before it composes, and refuses, as Conflict on
// every condition, an Application of that name this composite does not
// control; nothing is composed.
func TestServiceBundleApplicationTaken(t *testing.T) {
	// The spec asks for no database, bucket or queue: no condition of theirs.
	bundleConditions := []string{"RepositoryReady", "CatalogRegistered", "DeliveryReady"}
	const spec = `{"description": "Orders API", "template": "node-service", "environments": ["staging", "production"]}`
	app := func(name, owners string) *fnv1.Resources {
		return &fnv1.Resources{Items: []*fnv1.Resource{{Resource: mustStructJSON(`{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": {"name": "` + name + `", "namespace": "argocd"` + owners + `}, "spec": {"project": "default"}}`)}}}
	}
	ours := `, "ownerReferences": [{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XServiceBundle", "name": "orders-api-x7k2p", "uid": "` + testUID + `", "controller": true}]`
	f := New(logging.NewNopLogger())
	call := func(required map[string]*fnv1.Resources) *fnv1.RunFunctionResponse {
		t.Helper()
		req := runReq(bundleInput, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api", spec)})
		req.RequiredResources = required
		rsp, err := run(f, req)
		if err != nil {
			t.Fatal(err)
		}
		return rsp
	}

	t.Run("RequiresApplicationsFirst", func(t *testing.T) {
		req := runReq(bundleInput, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api", spec)})
		req.RequiredResources = nil
		rsp, err := f.RunFunction(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		sel := func(name string) *fnv1.ResourceSelector {
			ns := "argocd"
			return &fnv1.ResourceSelector{ApiVersion: "argoproj.io/v1alpha1", Kind: "Application", Namespace: &ns,
				Match: &fnv1.ResourceSelector_MatchName{MatchName: name}}
		}
		sels := map[string]*fnv1.ResourceSelector{
			"application-staging":    sel("orders--orders-api-staging"),
			"application-production": sel("orders--orders-api-production"),
		}
		want := &fnv1.RunFunctionResponse{Meta: meta(), Requirements: &fnv1.Requirements{Resources: sels}}
		if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
			t.Errorf("first request: the Applications are required before anything is composed: -want, +got:\n%s", diff)
		}
	})
	t.Run("HandMadeRefused", func(t *testing.T) {
		rsp := call(map[string]*fnv1.Resources{
			"application-staging":    app("orders--orders-api-staging", ""),
			"application-production": {},
		})
		want := refusedAll(bundleConditions, "Conflict", "refused ServiceBundle orders/orders-api, nothing was changed: "+
			"Application argocd/orders--orders-api-staging, the staging Application of this bundle, exists and was not created by it (its controller: none): paved never takes over or rewrites an object it did not create; the platform team can delete or rename that Application")
		want.Requirements = rsp.GetRequirements()
		if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
			t.Errorf("-want, +got:\n%s", diff)
		}
	})
	t.Run("OursComposed", func(t *testing.T) {
		rsp := call(map[string]*fnv1.Resources{
			"application-staging":    app("orders--orders-api-staging", ours),
			"application-production": {},
		})
		for _, r := range rsp.GetResults() {
			t.Errorf("unexpected result %s: %s", r.GetSeverity(), r.GetMessage())
		}
		if _, ok := rsp.GetDesired().GetResources()["repository"]; !ok {
			t.Error("the bundle's own Application refused it: nothing composed")
		}
	})
}

// TestServiceBundleDeliveryChanges: an existing Application keeps the
// namespace it deploys into, with a Warning (EnvironmentChanged) naming the
// environment's new one; dropping an environment whose Application exists
// is refused (ChangeRefused), nothing composed.
func TestServiceBundleDeliveryChanges(t *testing.T) {
	// The spec asks for no database, bucket or queue: no condition of theirs.
	bundleConditions := []string{"RepositoryReady", "CatalogRegistered", "DeliveryReady"}
	ours := `"ownerReferences": [{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XServiceBundle", "name": "orders-api-x7k2p", "uid": "` + testUID + `", "controller": true}]`
	// The staging Application as paved composed it before each environment
	// had its own namespace: it deploys into the claim's namespace.
	staging := mustStructJSON(`{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": {"name": "orders--orders-api-staging", "namespace": "argocd", ` + ours + `},
		"spec": {"project": "orders-project", "source": {"repoURL": "https://github.com/acme/orders-api.git"}, "destination": {"namespace": "orders"}},
		"status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced"}, "history": [{"id": 0}]}}`)
	repo := mustStructJSON(`{"status": {"atProvider": {"cloneURL": "https://github.com/acme/orders-api.git"}, "conditions": [{"type": "Ready", "status": "True"}]}}`)
	call := func(spec string) *fnv1.RunFunctionResponse {
		t.Helper()
		req := runReq(bundleInput, &fnv1.State{
			Composite: xr("XServiceBundle", "ServiceBundle", "orders-api", spec),
			Resources: map[string]*fnv1.Resource{"repository": {Resource: repo}, "application-staging": {Resource: staging}},
		})
		req.RequiredResources["application-staging"] = &fnv1.Resources{Items: []*fnv1.Resource{{Resource: staging}}}
		rsp, err := run(New(logging.NewNopLogger()), req)
		if err != nil {
			t.Fatal(err)
		}
		return rsp
	}

	t.Run("KeepsDestination", func(t *testing.T) {
		rsp := call(`{"description": "Orders API", "template": "node-service", "environments": ["staging", "production"]}`)
		reason := compose.ReasonEnvironmentChanged
		want := []*fnv1.Result{{
			Severity: fnv1.Severity_SEVERITY_WARNING, Reason: &reason, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
			Message: `ServiceBundle orders/orders-api: environment changes not applied, existing resources cannot move: ` +
				`serviceBundle.applicationNamespace stays "orders" as the existing application-staging has it; input environment.serviceBundle.applicationNamespace asks for "orders-staging"`,
		}}
		if diff := cmp.Diff(want, rsp.GetResults(), protocmp.Transform()); diff != "" {
			t.Errorf("results: -want, +got:\n%s", diff)
		}
		got := map[string]string{}
		for _, e := range []string{"staging", "production"} {
			got[e], _ = pb.String(rsp.GetDesired().GetResources()["application-"+e].GetResource(), "spec", "destination", "namespace")
		}
		if diff := cmp.Diff(map[string]string{"staging": "orders", "production": "orders-production"}, got); diff != "" {
			t.Errorf("destination namespaces: the existing staging keeps its own, the new production gets the pattern's: -want, +got:\n%s", diff)
		}
	})
	t.Run("DropEnvironmentRefused", func(t *testing.T) {
		rsp := call(`{"description": "Orders API", "template": "node-service", "environments": ["production"]}`)
		want := refusedAll(bundleConditions, "ChangeRefused", `refused change of ServiceBundle orders/orders-api, nothing was changed: `+
			`spec.environments: invalid value [production]: a list that keeps "staging": its Application orders--orders-api-staging exists, and removing the environment would delete it and, through Argo CD's resources finalizer, everything it deployed; `+
			`to stop delivering to staging, the platform team deletes that Application first (docs/operations.md, "Removing an environment"), or delete the whole ServiceBundle to decommission the service`)
		want.Requirements = rsp.GetRequirements()
		if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
			t.Errorf("-want, +got:\n%s", diff)
		}
	})
}
