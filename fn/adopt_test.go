package fn

import (
	"maps"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/servicebundle"
)

// TestAdopt: a namespaced managed resource that the namespaced composite
// controls but Crossplane has not listed yet (what `paved migrate`
// creates before it lets the composite compose) is read as observed: the
// composite keeps its external name and identifying parameters instead of
// naming a new cloud object after its own uid. A legacy composite adopts
// nothing (Crossplane observes every resource it composed); one the
// composite does not control is refused (TestTakeover).
func TestAdopt(t *testing.T) {
	controlled := func(uid string) string {
		return `"ownerReferences": [{"apiVersion": "paved.dev/v1alpha1", "kind": "X", "name": "orders", "uid": "` + uid + `", "controller": true}]`
	}
	obj := func(apiVersion, kind, ns, name, meta, spec string) *fnv1.Resources {
		nsField := ""
		if ns != "" {
			nsField = `"namespace": "` + ns + `", `
		}
		o := mustStructJSON(`{"apiVersion": "` + apiVersion + `", "kind": "` + kind + `", "metadata": {` + nsField + `"name": "` + name + `", ` + meta + `}, "spec": ` + spec + `}`)
		return &fnv1.Resources{Items: []*fnv1.Resource{{Resource: o}}}
	}
	desired := func(t *testing.T, composite *fnv1.Resource, required map[string]*fnv1.Resources) map[string]*structpb.Struct {
		t.Helper()
		req := runReq(bundleInput, &fnv1.State{Composite: composite})
		maps.Copy(req.RequiredResources, required)
		rsp, err := run(New(logging.NewNopLogger()), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				t.Fatalf("refused: %s", r.GetMessage())
			}
		}
		out := map[string]*structpb.Struct{}
		for k, v := range rsp.GetDesired().GetResources() {
			out[k] = v.GetResource()
		}
		return out
	}

	t.Run("Bucket", func(t *testing.T) {
		const legacy = "orders-x7k2p-0123456789ab"
		got := desired(t, nsxr("Bucket", "orders", `{}`), map[string]*fnv1.Resources{
			"bucket": obj("s3.aws.m.upbound.io/v1beta1", "Bucket", "team-orders", "orders-bucket",
				`"annotations": {"crossplane.io/external-name": "`+legacy+`"}, `+controlled(testUID),
				`{"forProvider": {"region": "us-east-2"}, "managementPolicies": ["Observe"]}`),
		})
		if n := extName(got["bucket"]); n != legacy {
			t.Errorf("bucket external name %q, want the adopted %q", n, legacy)
		}
		if r, _ := pb.String(got["bucket"], "spec", "forProvider", "region"); r != "us-east-2" {
			t.Errorf("bucket region %q, want the adopted bucket's us-east-2", r)
		}
		if p, _ := pb.String(got["policy"], "spec", "forProvider", "policy"); !strings.Contains(p, "arn:aws:s3:::"+legacy) {
			t.Errorf("the bucket policy does not name the adopted bucket: %s", p)
		}
	})

	t.Run("Database", func(t *testing.T) {
		got := desired(t, nsxr("Database", "orders", `{"engine": "postgresql", "size": "small"}`), map[string]*fnv1.Resources{
			"instance": obj("rds.aws.m.upbound.io/v1beta1", "Instance", "team-orders", "orders-instance",
				`"annotations": {"crossplane.io/external-name": "db-ABCDEF"}, `+controlled(testUID),
				`{"forProvider": {"region": "eu-west-1", "identifier": "orders-x7k2p-0123456789ab", "finalSnapshotIdentifier": "orders-x7k2p-0123456789ab-final", "passwordSecretRef": {"name": "orders-x7k2p-instance-master-0123456789ab", "key": "password"}}}`),
			"security-group": obj("ec2.aws.m.upbound.io/v1beta1", "SecurityGroup", "team-orders", "orders-security-group",
				`"annotations": {"crossplane.io/external-name": "sg-0a1b2c"}, `+controlled(testUID),
				`{"forProvider": {"region": "eu-west-1", "name": "orders-x7k2p-0123456789ab", "description": "paved database security group for orders/orders", "vpcId": "vpc-legacy"}}`),
		})
		for path, want := range map[string]string{
			"identifier":              "orders-x7k2p-0123456789ab",
			"finalSnapshotIdentifier": "orders-x7k2p-0123456789ab-final",
			"passwordSecretRef.name":  "orders-x7k2p-instance-master-0123456789ab",
		} {
			if v, _ := pb.String(got["instance"], append([]string{"spec", "forProvider"}, strings.Split(path, ".")...)...); v != want {
				t.Errorf("instance %s %q, want the adopted %q", path, v, want)
			}
		}
		for path, want := range map[string]string{"name": "orders-x7k2p-0123456789ab", "description": "paved database security group for orders/orders", "vpcId": "vpc-legacy"} {
			if v, _ := pb.String(got["security-group"], "spec", "forProvider", path); v != want {
				t.Errorf("security group %s %q, want the adopted %q", path, v, want)
			}
		}
	})

	t.Run("NotLegacy", func(t *testing.T) {
		got := desired(t, xr("XBucket", "BucketClaim", "orders", `{}`), map[string]*fnv1.Resources{
			"bucket": obj("s3.aws.upbound.io/v1beta1", "Bucket", "", "orders-x7k2p-bucket",
				`"annotations": {"crossplane.io/external-name": "someone-elses"}, `+controlled(testUID), `{"forProvider": {}}`),
		})
		if n := extName(got["bucket"]); n == "someone-elses" {
			t.Errorf("a legacy composite adopted an object Crossplane does not observe: %q", n)
		}
	})

}

// TestAdoptOnly: a namespaced composite annotated paved.dev/adopt-only
// (paved migrate, while it adopts) composes only if every managed
// resource it composes exists; otherwise it is refused, reason Conflict,
// naming each it would create, and composes nothing.
func TestAdoptOnly(t *testing.T) {
	composite := nsxr("Bucket", "orders", `{}`)
	pb.Set(composite.GetResource(), pb.Str("true"), "metadata", "annotations", "paved.dev/adopt-only")
	own := `"ownerReferences": [{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket", "name": "orders", "uid": "` + testUID + `", "controller": true}]`
	managed := map[string]string{
		"bucket": "Bucket", "versioning": "BucketVersioning", "encryption": "BucketServerSideEncryptionConfiguration",
		"public-access-block": "BucketPublicAccessBlock", "ownership-controls": "BucketOwnershipControls",
		"policy": "BucketPolicy", "lifecycle": "BucketLifecycleConfiguration",
	}
	run1 := func(t *testing.T, adopted map[string]string) *fnv1.RunFunctionResponse {
		t.Helper()
		req := runReq(bundleInput, &fnv1.State{Composite: composite})
		for name, kind := range adopted {
			o := mustStructJSON(`{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "` + kind + `", "metadata": {"namespace": "team-orders", "name": "orders-` + name + `",
				"annotations": {"crossplane.io/external-name": "orders-legacy-0123456789ab"}, ` + own + `}, "spec": {"forProvider": {"region": "eu-west-1"}}}`)
			req.RequiredResources[name] = &fnv1.Resources{Items: []*fnv1.Resource{{Resource: o}}}
		}
		rsp, err := run(New(logging.NewNopLogger()), req)
		if err != nil {
			t.Fatal(err)
		}
		return rsp
	}
	fatal := func(rsp *fnv1.RunFunctionResponse) string {
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				return r.GetMessage()
			}
		}
		return ""
	}

	partial := maps.Clone(managed)
	delete(partial, "lifecycle")
	delete(partial, "policy")
	rsp := run1(t, partial)
	msg := fatal(rsp)
	for _, want := range []string{"may only adopt", "BucketLifecycleConfiguration team-orders/orders-lifecycle", "BucketPolicy team-orders/orders-policy"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q: %q", want, msg)
		}
	}
	if strings.Contains(msg, "orders-bucket") {
		t.Errorf("the refusal names an adopted resource: %q", msg)
	}
	if n := len(rsp.GetDesired().GetResources()); n > 0 {
		t.Errorf("%d resources composed", n)
	}

	rsp = run1(t, managed)
	if msg := fatal(rsp); msg != "" {
		t.Fatalf("every managed resource adopted, refused: %s", msg)
	}
	if n := extName(rsp.GetDesired().GetResources()["bucket"].GetResource()); n != "orders-legacy-0123456789ab" {
		t.Errorf("bucket external name %q", n)
	}
}

func extName(o *structpb.Struct) string {
	v, _ := pb.String(o, "metadata", "annotations", "crossplane.io/external-name")
	return v
}

// TestAdoptBundle: a namespaced ServiceBundle adopts provider-paved's
// namespaced kinds it controls, as it adopts provider-aws's: the catalog
// registration is composed from the adopted repository and file as from
// observed ones. An Application it controls is adopted only while the
// bundle may only adopt (paved migrate moving a claim's Applications): it
// keeps the Application's destination; otherwise the environment's
// pattern decides. With every managed resource adopted, an adopt-only
// bundle composes.
func TestAdoptBundle(t *testing.T) {
	const own = `"ownerReferences": [{"apiVersion": "paved.dev/v1alpha1", "kind": "ServiceBundle", "name": "orders-api", "uid": "` + testUID + `", "controller": true}]`
	item := func(o *structpb.Struct) *fnv1.Resources {
		return &fnv1.Resources{Items: []*fnv1.Resource{{Resource: o}}}
	}
	ready := func(apiVersion, kind, name string) *structpb.Struct {
		return mustStructJSON(`{"apiVersion": "` + apiVersion + `", "kind": "` + kind + `", "metadata": {"namespace": "team-orders", "name": "` + name + `",
			"annotations": {"crossplane.io/external-name": "` + name + `"}, ` + own + `}, "spec": {"forProvider": {}},
			"status": {"atProvider": {"fullName": "acme/orders-api", "cloneURL": "https://github.com/acme/orders-api.git", "htmlURL": "https://github.com/acme/orders-api", "defaultBranch": "main", "commitSHA": "abc"},
			"conditions": [{"type": "Ready", "status": "True"}]}}`)
	}
	app := mustStructJSON(`{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"namespace": "team-orders", "name": "team-orders--orders-api-staging", ` + own + `},
		"spec": {"project": "team-orders-project", "source": {"repoURL": "https://github.com/acme/orders-api.git"}, "destination": {"server": "https://kubernetes.default.svc", "namespace": "orders-legacy"}}}`)
	compose := func(t *testing.T, adoptOnly bool, required map[string]*fnv1.Resources) (map[string]*structpb.Struct, string) {
		t.Helper()
		composite := nsxr("ServiceBundle", "orders-api", `{"description": "Orders API", "template": "go-service", "environments": ["staging"]}`)
		if adoptOnly {
			pb.Set(composite.GetResource(), pb.Str("true"), "metadata", "annotations", "paved.dev/adopt-only")
		}
		req := runReq(bundleInput, &fnv1.State{Composite: composite})
		maps.Copy(req.RequiredResources, required)
		rsp, err := run(New(logging.NewNopLogger()), req)
		if err != nil {
			t.Fatal(err)
		}
		fatal := ""
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				fatal = r.GetMessage()
			}
		}
		out := map[string]*structpb.Struct{}
		for k, v := range rsp.GetDesired().GetResources() {
			out[k] = v.GetResource()
		}
		return out, fatal
	}
	destination := func(o *structpb.Struct) string {
		v, _ := pb.String(o, "spec", "destination", "namespace")
		return v
	}

	adopted := map[string]*fnv1.Resources{
		"repository":   item(ready("github.m.paved.dev/v1alpha1", "Repository", "orders-api")),
		"catalog-info": item(ready("github.m.paved.dev/v1alpha1", "RepositoryFile", "orders-api-catalog-info")),
	}
	got, fatal := compose(t, false, adopted)
	if fatal != "" {
		t.Fatalf("refused: %s", fatal)
	}
	if got["catalog-location"] == nil {
		t.Fatal("the catalog registration is not composed from the adopted repository and file")
	}

	withApp := maps.Clone(adopted)
	withApp[servicebundle.ApplicationPrefix+"staging"] = item(app)
	got, fatal = compose(t, false, withApp)
	if fatal != "" {
		t.Fatalf("refused: %s", fatal)
	}
	if d := destination(got[servicebundle.ApplicationPrefix+"staging"]); d == "orders-legacy" || d == "" {
		t.Errorf("a bundle that may compose anything adopted its Application's destination %q", d)
	}

	// Adopt-only: refused while a managed resource it composes does not
	// exist, composed once each does, keeping the Application's
	// destination.
	_, fatal = compose(t, true, withApp)
	if !strings.Contains(fatal, "may only adopt") || !strings.Contains(fatal, "CatalogLocation") {
		t.Errorf("an adopt-only bundle without its catalog registration: refusal %q, want one naming the CatalogLocation it would create", fatal)
	}
	all := maps.Clone(withApp)
	for name, o := range got {
		apiVersion, _ := pb.String(o, "apiVersion")
		if all[name] != nil || !strings.HasSuffix(strings.Split(apiVersion, "/")[0], ".m.paved.dev") && !strings.Contains(apiVersion, ".aws.m.upbound.io/") {
			continue
		}
		kind, _ := pb.String(o, "kind")
		n, _ := pb.String(o, "metadata", "name")
		all[name] = item(ready(apiVersion, kind, n))
	}
	got, fatal = compose(t, true, all)
	if fatal != "" {
		t.Fatalf("every managed resource adopted, refused: %s", fatal)
	}
	if d := destination(got[servicebundle.ApplicationPrefix+"staging"]); d != "orders-legacy" {
		t.Errorf("the adopt-only bundle's Application deploys into %q, want the adopted Application's orders-legacy", d)
	}
}
