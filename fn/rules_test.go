package fn

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// checkComposed checks what the function composed against AWS's rules
// (awsrules.Fields, the one table of which rule applies to which field) and
// the binding rule: a composed resource never references a sibling by
// name, only by a matchControllerRef selector. When the composite's and its
// claim's names are ones Kubernetes allows (the API server refuses any
// other), what it composes must have valid Kubernetes names and labels too.
// Every composed object whose controller paved names carries that
// controller's finalizer (controllerFinalizerOf).
func checkComposed(rsp *fnv1.RunFunctionResponse, xr *structpb.Struct) []string {
	k8sNames := true
	for _, p := range [][]string{{"metadata", "name"}, {"spec", "claimRef", "name"}, {"metadata", "labels", "crossplane.io/claim-name"}} {
		if v, ok := pb.String(xr, p...); pb.Has(xr, p...) && (!ok || len(validation.IsDNS1123Subdomain(v)) > 0) {
			k8sNames = false
		}
	}
	for _, p := range [][]string{{"spec", "claimRef", "namespace"}, {"metadata", "labels", "crossplane.io/claim-namespace"}, {"metadata", "namespace"}} {
		if v, ok := pb.String(xr, p...); pb.Has(xr, p...) && (!ok || len(validation.IsDNS1123Label(v)) > 0) {
			k8sNames = false
		}
	}
	var errs []string
	for name, r := range rsp.GetDesired().GetResources() {
		o := r.GetResource()
		for _, e := range awsrules.CheckComposed(o) {
			errs = append(errs, fmt.Sprintf("%s: %v", name, e))
		}
		// Every name or description composed has its rule in the table.
		apiVersion, _ := pb.String(o, "apiVersion")
		kind, _ := pb.String(o, "kind")
		group, _, _ := strings.Cut(apiVersion, "/")
		ruled := map[string]bool{}
		for _, f := range awsrules.FieldsOf(group, kind) {
			ruled[f.Name()] = true
		}
		for _, k := range []string{"name", "description", "identifier", "finalSnapshotIdentifier", "bucket"} {
			// AWS's rules are for AWS's kinds; a GitHub repository's
			// description is not one.
			if !strings.HasSuffix(awsrules.ClusterGroup(group), ".aws.upbound.io") {
				break
			}
			if pb.Has(o, "spec", "forProvider", k) && !ruled["spec.forProvider."+k] {
				errs = append(errs, fmt.Sprintf("%s: %s spec.forProvider.%s has no rule in awsrules.Fields", name, kind, k))
			}
		}
		if want := controllerFinalizerOf[group]; want != "" && !slices.ContainsFunc(pb.Get(o, "metadata", "finalizers").GetListValue().GetValues(),
			func(v *structpb.Value) bool { return v.GetStringValue() == want }) {
			errs = append(errs, fmt.Sprintf("%s: %s %s composed without its controller's finalizer %s", name, apiVersion, kind, want))
		}
		for k, v := range pb.Struct(o, "spec", "forProvider").GetFields() {
			// A reference is the resolution of a selector by controller
			// reference, composed with it once the sibling it picks was
			// observed (servicebundle's repositoryOf); the fuzz tests
			// check it names that sibling.
			resolves := pb.Has(o, "spec", "forProvider", strings.TrimSuffix(k, "Ref")+"Selector")
			if (strings.HasSuffix(k, "Ref") || strings.HasSuffix(k, "Refs")) && !strings.HasSuffix(k, "SecretRef") && !resolves {
				errs = append(errs, fmt.Sprintf("%s: spec.forProvider.%s binds a sibling by name", name, k))
			}
			if strings.HasSuffix(k, "Selector") {
				if c, _ := pb.Bool(v.GetStructValue(), "matchControllerRef"); !c {
					errs = append(errs, fmt.Sprintf("%s: spec.forProvider.%s does not match the controller", name, k))
				}
			}
		}
		if !k8sNames {
			continue
		}
		objName, _ := pb.String(o, "metadata", "name")
		if es := validation.IsDNS1123Subdomain(objName); len(es) > 0 {
			errs = append(errs, fmt.Sprintf("%s: metadata.name %q: %v", name, objName, es))
		}
		for k, v := range pb.Struct(o, "metadata", "labels").GetFields() {
			if es := validation.IsValidLabelValue(v.GetStringValue()); len(es) > 0 {
				errs = append(errs, fmt.Sprintf("%s: label %s=%q: %v", name, k, v.GetStringValue(), es))
			}
		}
		for _, ref := range []string{"writeConnectionSecretToRef"} {
			if n, ok := pb.String(o, "spec", ref, "name"); ok && len(validation.IsDNS1123Subdomain(n)) > 0 {
				errs = append(errs, fmt.Sprintf("%s: spec.%s.name %q is not a Secret name", name, ref, n))
			}
		}
		if n, ok := pb.String(o, "spec", "forProvider", "passwordSecretRef", "name"); ok && len(validation.IsDNS1123Subdomain(n)) > 0 {
			errs = append(errs, fmt.Sprintf("%s: passwordSecretRef.name %q is not a Secret name", name, n))
		}
	}
	return errs
}

// controllerFinalizerOf is the finalizer each controller adds first to
// what it controls, by API group, which paved composes with it
// (fn/internal/compose, withControllerFinalizer): crossplane-runtime
// v2.4.0's managed reconciler's (pkg/reconciler/managed/reconciler.go,
// FinalizerName) for provider-paved's kinds, core v2.4.0's composite
// reconciler's (internal/controller/apiextensions/composite/reconciler.go)
// for paved's nested composites and its usage reconciler's
// (internal/controller/protection/usage/reconciler.go) for Usages.
var controllerFinalizerOf = map[string]string{
	"github.paved.dev":         "finalizer.managedresource.crossplane.io",
	"github.m.paved.dev":       "finalizer.managedresource.crossplane.io",
	"backstage.paved.dev":      "finalizer.managedresource.crossplane.io",
	"backstage.m.paved.dev":    "finalizer.managedresource.crossplane.io",
	"platform.paved.dev":       "composite.apiextensions.crossplane.io",
	"paved.dev":                "composite.apiextensions.crossplane.io",
	"protection.crossplane.io": "usage.apiextensions.crossplane.io",
}

// cloudNames are the cloud names composed, by the rule that governs them.
func cloudNames(rsp *fnv1.RunFunctionResponse) map[*awsrules.Rule]string {
	names := map[*awsrules.Rule]string{}
	for _, r := range rsp.GetDesired().GetResources() {
		o := r.GetResource()
		apiVersion, _ := pb.String(o, "apiVersion")
		kind, _ := pb.String(o, "kind")
		group, _, _ := strings.Cut(apiVersion, "/")
		for _, f := range awsrules.FieldsOf(group, kind) {
			if strings.Contains(f.Rule.What, "description") || !f.Applies(o) {
				continue
			}
			v := awsrules.ExternalName(o)
			if f.Path != nil {
				v, _ = pb.String(o, f.Path...)
			}
			names[f.Rule] = v
		}
	}
	return names
}

// adversarialXR is a composite of kind for a claim the author named, in the
// namespace they chose; the composite's name is the claim's (as a claim's
// spec.resourceRef.name can make it).
//
// A namespaced composite (claimKind "") is what its author named, in the
// namespace they chose.
func adversarialXR(kind, claimKind, spec, namespace, claim, uid string) *fnv1.Resource {
	if claimKind == "" {
		o := mustStructJSON(`{"apiVersion": "paved.dev/v1alpha1", "kind": "` + kind + `", "spec": ` + spec + `}`)
		pb.Set(o, pb.Str(claim), "metadata", "name")
		pb.Set(o, pb.Str(namespace), "metadata", "namespace")
		pb.Set(o, pb.Str(uid), "metadata", "uid")
		return &fnv1.Resource{Resource: o}
	}
	o := mustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "` + kind + `", "spec": ` + spec + `}`)
	pb.Set(o, pb.Str(claim), "metadata", "name")
	pb.Set(o, pb.Str(uid), "metadata", "uid")
	pb.Set(o, pb.Obj(pb.Fields{
		"apiVersion": pb.Str("platform.paved.dev/v1alpha1"), "kind": pb.Str(claimKind),
		"name": pb.Str(claim), "namespace": pb.Str(namespace),
	}), "spec", "claimRef")
	return &fnv1.Resource{Resource: o}
}

// TestAdversarialClaimsComposeValidNames composes claims whose authors chose
// hostile names — the longest namespace and name Kubernetes allows, dots,
// names AWS reserves or refuses (sg-, xn--, sthree-, amzn-s3-demo-,
// -s3alias, an IP address), digits first, names that sanitise alike, and
// Unicode, which Kubernetes would refuse in a name but the function must
// cope with) — for every kind, and checks every composed value against
// AWS's rules. No two composites get the same cloud name. The same holds
// for the namespaced composites of every kind that has them, which their
// authors name directly.
func TestAdversarialClaimsComposeValidNames(t *testing.T) {
	ns63 := strings.Repeat("n", 62) + "s"
	names := []string{
		strings.Repeat("a", 253),
		strings.Repeat("a.", 126) + "b",
		strings.Repeat("b", 200) + "." + strings.Repeat("c", 52),
		"sg-reports", "sg", "xn--bcher-kva", "sthree-x", "sthree-configurator", "amzn-s3-demo-bucket",
		"x-s3alias", "x--ol-s3", "x--x-s3", "x--table-s3", "x.mrap", "192.168.5.4", "default",
		"9lives", "007", "0", "a.b-x", "a-b-x", "a..b-x", "a", "données", "数据库", "it's", "aws:x",
		"ORDERS", "-", ".",
	}
	namespaces := []string{"orders", ns63}
	seen := map[*awsrules.Rule]map[string]string{}
	i := 0
	type kind struct {
		xr, claim, spec string
		nameRule        bool
	}
	var kinds []kind
	for _, k := range Kinds {
		kinds = append(kinds, kind{k.Composite, k.Claim, k.Example, k.NameRule})
		if k.Namespaced != "" {
			kinds = append(kinds, kind{k.Namespaced, "", k.Example, k.NameRule})
		}
	}
	// rulesOf are the AWS rules of the names each kind composes, the same
	// for every name.
	rulesOf := map[string][]string{}
	composed := map[string]int{} // kind -> composites composed
	for _, kind := range kinds {
		for _, ns := range namespaces {
			for _, n := range names {
				i++
				uid := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
				req := runReq(bundleInput, &fnv1.State{Composite: adversarialXR(kind.xr, kind.claim, kind.spec, ns, n, uid)})
				rsp, err := run(New(logging.NewNopLogger()), req)
				if err != nil {
					t.Fatalf("%s %s/%q: %v", kind.claim, ns, n, err)
				}
				refused := false
				for _, r := range rsp.GetResults() {
					if r.GetSeverity() != fnv1.Severity_SEVERITY_FATAL {
						continue
					}
					// A kind with name rules of its own refuses a name or
					// namespace outside them as an invalid claim, and
					// composes nothing.
					if !kind.nameRule || !strings.Contains(r.GetMessage(), ": invalid value ") {
						t.Fatalf("%s %s/%q refused: %s", kind.xr, ns, n, r.GetMessage())
					}
					refused = true
				}
				if refused {
					if len(rsp.GetDesired().GetResources()) != 0 {
						t.Errorf("%s %s/%q refused but composed %d resources", kind.xr, ns, n, len(rsp.GetDesired().GetResources()))
					}
					continue
				}
				if len(rsp.GetDesired().GetResources()) == 0 {
					t.Fatalf("%s %s/%q composed nothing", kind.xr, ns, n)
				}
				composed[kind.xr]++
				for _, e := range checkComposed(rsp, req.GetObserved().GetComposite().GetResource()) {
					t.Errorf("%s %s/%q: %s", kind.claim, ns, n, e)
				}
				var rules []string
				for rule, v := range cloudNames(rsp) {
					rules = append(rules, rule.What)
					if seen[rule] == nil {
						seen[rule] = map[string]string{}
					}
					if other, ok := seen[rule][v]; ok {
						t.Errorf("%s %q of %s/%q is also %s's", rule.What, v, ns, n, other)
					}
					seen[rule][v] = ns + "/" + n
				}
				slices.Sort(rules)
				if want, ok := rulesOf[kind.xr]; !ok {
					rulesOf[kind.xr] = rules
				} else if !slices.Equal(rules, want) {
					t.Errorf("%s %s/%q composes names of %v, other names of the kind %v", kind.xr, ns, n, rules, want)
				}
			}
		}
	}
	// Each kind that composes a cloud object names one per composite: as
	// many distinct names as composites composed it.
	for rule, vs := range seen {
		want := 0
		for _, k := range kinds {
			if slices.Contains(rulesOf[k.xr], rule.What) {
				want += composed[k.xr]
			}
		}
		if len(vs) != want {
			t.Errorf("%s: %d distinct names composed, want %d", rule.What, len(vs), want)
		}
	}
	for _, k := range kinds {
		if composed[k.xr] == 0 || !k.nameRule && composed[k.xr] != len(names)*len(namespaces) {
			t.Errorf("%s: %d of %d composites composed", k.xr, composed[k.xr], len(names)*len(namespaces))
		}
	}
	if len(seen) == 0 {
		t.Fatal("no composite composed a cloud name")
	}
}

// An upgrade of paved never renames what exists: the observed names are
// kept (AWS would replace a database, bucket or security group to rename
// it), unless AWS refused them, in which case nothing exists under them.
func TestRunFunctionKeepsExistingNames(t *testing.T) {
	observed := map[string]*fnv1.Resource{
		"subnet-group": {Resource: mustStructJSON(`{"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "SubnetGroup",
			"metadata": {"name": "orders-db-x7k2p-subnet-group"}}`)},
		"security-group": {Resource: mustStructJSON(`{"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "SecurityGroup",
			"metadata": {"name": "orders-db-x7k2p-security-group", "annotations": {"crossplane.io/external-name": "sg-0123456789abcdef0"}},
			"spec": {"forProvider": {"name": "orders-db-x7k2p", "description": "paved database security group for orders/orders-db"}}}`)},
		"instance": {Resource: mustStructJSON(`{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
			"metadata": {"name": "orders-db-x7k2p-instance"},
			"spec": {"forProvider": {"identifier": "orders-db-x7k2p", "finalSnapshotIdentifier": "Not--Valid",
				"passwordSecretRef": {"name": "orders-db-x7k2p-instance-master", "namespace": "crossplane-system", "key": "password"}},
				"writeConnectionSecretToRef": {"name": "orders-db-x7k2p-instance-connection", "namespace": "crossplane-system"}}}`)},
	}
	req := runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: observed})
	rsp, err := run(New(logging.NewNopLogger()), req)
	if err != nil {
		t.Fatal(err)
	}
	d := rsp.GetDesired().GetResources()
	for _, c := range []struct {
		resource string
		path     []string
		want     string
	}{
		{"subnet-group", []string{"metadata", "annotations", "crossplane.io/external-name"}, "orders-db-x7k2p-subnet-group"},
		{"security-group", []string{"spec", "forProvider", "name"}, "orders-db-x7k2p"},
		{"security-group", []string{"spec", "forProvider", "description"}, "paved database security group for orders/orders-db"},
		{"instance", []string{"spec", "forProvider", "identifier"}, "orders-db-x7k2p"},
		// AWS would have refused this one: a valid name replaces it.
		{"instance", []string{"spec", "forProvider", "finalSnapshotIdentifier"}, "orders-db-x7k2p-" + testID + "-final"},
		{"instance", []string{"spec", "forProvider", "passwordSecretRef", "name"}, "orders-db-x7k2p-instance-master"},
		{"instance", []string{"spec", "writeConnectionSecretToRef", "name"}, "orders-db-x7k2p-instance-connection"},
	} {
		if got, _ := pb.String(d[c.resource].GetResource(), c.path...); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.resource, strings.Join(c.path, "."), got, c.want)
		}
	}
	if got, _ := pb.String(rsp.GetDesired().GetComposite().GetResource(), "status", "secretName"); got != "orders-db-x7k2p-instance-connection" {
		t.Errorf("status.secretName = %q, want the existing connection secret", got)
	}
	// The security group's external name is the provider's (its id): paved
	// never sets it.
	if pb.Has(d["security-group"].GetResource(), "metadata", "annotations") {
		t.Errorf("security group: paved set annotations: %v", pb.Get(d["security-group"].GetResource(), "metadata", "annotations"))
	}

	// The same composite composed afresh (a new memo key) gets new names, and
	// the old ones are not replayed for it.
	fresh, err := run(New(logging.NewNopLogger()), runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := pb.String(fresh.GetDesired().GetResources()["instance"].GetResource(), "spec", "forProvider", "identifier"); got != "orders-db-x7k2p-"+testID {
		t.Errorf("new identifier = %q", got)
	}
}

// The memo must not replay names across composites or observed states.
func TestRunFunctionMemoKeysOnUIDAndObservedNames(t *testing.T) {
	f := New(logging.NewNopLogger())
	id := func(xr *fnv1.Resource, observed map[string]*fnv1.Resource) string {
		rsp, err := run(f, runReq(input, &fnv1.State{Composite: xr, Resources: observed}))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := pb.String(rsp.GetDesired().GetResources()["bucket"].GetResource(), "metadata", "annotations", "crossplane.io/external-name")
		return v
	}
	a := xbucket(`{}`)
	b := xbucket(`{}`)
	pb.Set(b.GetResource(), pb.Str("another-uid"), "metadata", "uid")
	first := id(a, nil)
	if again := id(b, nil); again == first {
		t.Errorf("a composite with another uid got the same bucket name %q", first)
	}
	old := map[string]*fnv1.Resource{"bucket": {Resource: mustStructJSON(`{"metadata": {"name": "orders-assets-x7k2p", "annotations": {"crossplane.io/external-name": "orders-assets-x7k2p"}}}`)}}
	if kept := id(a, old); kept != "orders-assets-x7k2p" {
		t.Errorf("existing bucket renamed to %q", kept)
	}
	if again := id(a, nil); again != first {
		t.Errorf("bucket name is not stable: %q then %q", first, again)
	}
}
