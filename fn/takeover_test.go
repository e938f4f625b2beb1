package fn

import (
	"sort"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/servicebundle"
)

// TestTakeover: an object of the name a composite would create that
// exists and is not the composite's (made by hand, left behind with
// --cascade=orphan, or another composite's) is never taken over. Crossplane
// would: it applies composed resources with server-side apply and
// ForceOwnership and adds its controller reference to an object that has
// none (crossplane v2.4.0 internal/controller/apiextensions/composite/
// composition_functions.go). For every kind and dialect of the registry
// and every resource it composes, such an object refuses the composite
// with reason Conflict, naming it, and nothing is composed; one the
// composite controls changes nothing. A ServiceBundle is also taken
// where its repository and catalog file are ready, when it composes its
// catalog registration, Applications and the Usages that keep the
// repository for them.
func TestTakeover(t *testing.T) {
	type variant struct {
		name     string
		xr       *fnv1.Resource
		observed map[string]*fnv1.Resource
	}
	// What a bundle's provider reports once its repository and catalog
	// file exist (the legacy and namespaced kinds alike).
	registered := map[string]*fnv1.Resource{
		servicebundle.Repository: {Resource: mustStructJSON(`{"status": {"atProvider": {"htmlURL": "https://github.com/acme/orders", "cloneURL": "https://github.com/acme/orders.git"},
			"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`)},
		servicebundle.CatalogFile: {Resource: mustStructJSON(`{"status": {"atProvider": {"commitSHA": "0123abcd"}, "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`)},
	}
	var variants []variant
	for _, k := range Kinds {
		variants = append(variants, variant{name: k.Claim, xr: xr(k.Composite, k.Claim, "orders", k.Example)})
		if k.Namespaced != "" {
			variants = append(variants, variant{name: "Namespaced" + k.Namespaced, xr: nsxr(k.Namespaced, "orders", k.Example)})
		}
		if k.Composite == servicebundle.Kind {
			variants = append(variants, variant{k.Claim + "Registered", xr(k.Composite, k.Claim, "orders", k.Example), registered},
				variant{"Namespaced" + k.Namespaced + "Registered", nsxr(k.Namespaced, "orders", k.Example), registered})
		}
	}
	for _, v := range variants {
		f := New(logging.NewNopLogger())
		req := runReq(bundleInput, &fnv1.State{Composite: v.xr, Resources: v.observed})
		fresh, err := run(f, req)
		if err != nil {
			t.Fatal(err)
		}
		if rs := fresh.GetResults(); len(rs) > 0 {
			t.Fatalf("%s: unexpected results: %v", v.name, rs)
		}
		names := make([]string, 0, len(fresh.GetDesired().GetResources()))
		for name := range fresh.GetDesired().GetResources() {
			// What exists is the composite's (Crossplane observed it).
			if v.observed[name] == nil {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		if len(names) == 0 {
			t.Fatalf("%s composes nothing", v.name)
		}
		for _, name := range names {
			desired := fresh.GetDesired().GetResources()[name].GetResource()
			// The existing object: the same kind and name, and whatever
			// owner the case gives it.
			existing := func(owners string) *fnv1.Resources {
				obj := mustStructJSON(`{"metadata": {` + owners + `}, "spec": {"forProvider": {"note": "made by someone else"}}}`)
				for _, f := range []string{"apiVersion", "kind"} {
					pb.Set(obj, desired.GetFields()[f], f)
				}
				for _, f := range []string{"name", "namespace"} {
					if val := pb.Get(desired, "metadata", f); val != nil {
						pb.Set(obj, val, "metadata", f)
					}
				}
				return &fnv1.Resources{Items: []*fnv1.Resource{{Resource: obj}}}
			}
			with := func(rs *fnv1.Resources) *fnv1.RunFunctionRequest {
				r := proto.Clone(req).(*fnv1.RunFunctionRequest)
				r.RequiredResources[name] = rs
				return r
			}
			subject, _ := pb.String(desired, "kind")
			objName, _ := pb.String(desired, "metadata", "name")
			t.Run(v.name+"/"+name, func(t *testing.T) {
				for owner, controller := range map[string]string{
					"HandMade":         "none",
					"AnotherComposite": `XDatabase someone-else (uid 00000000-0000-4000-8000-000000000099)`,
				} {
					owners := ""
					if owner == "AnotherComposite" {
						owners = `"ownerReferences": [{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "name": "someone-else", "uid": "00000000-0000-4000-8000-000000000099", "controller": true}]`
					}
					rsp, err := run(f, with(existing(owners)))
					if err != nil {
						t.Fatal(err)
					}
					if n := len(rsp.GetDesired().GetResources()); n > 0 {
						t.Errorf("%s: %d resources composed over a %s object", owner, n, subject)
					}
					var fatal, warning *fnv1.Result
					for _, r := range rsp.GetResults() {
						switch r.GetSeverity() {
						case fnv1.Severity_SEVERITY_FATAL:
							fatal = r
						case fnv1.Severity_SEVERITY_WARNING:
							warning = r
						}
					}
					if fatal == nil || warning == nil || warning.GetReason() != "Conflict" {
						t.Fatalf("%s: want a Fatal result and a Warning with reason Conflict, got %v", owner, rsp.GetResults())
					}
					which := "the " + name + " this "
					if environment, ok := strings.CutPrefix(name, servicebundle.ApplicationPrefix); ok {
						// Refused before anything is composed
						// (servicebundle's Check).
						which = "the " + environment + " Application of this bundle"
					}
					for _, want := range []string{subject + " ", objName, which, "(its controller: " + controller + ")", "never takes over"} {
						if !strings.Contains(fatal.GetMessage(), want) {
							t.Errorf("%s: the refusal does not say %q: %s", owner, want, fatal.GetMessage())
						}
					}
				}
				// The composite's own object (Crossplane has not observed it
				// yet: it was just created) changes nothing. A namespaced
				// managed resource of its own is adopted as observed
				// (compose.Set.adopt): as the function composed it, it
				// changes nothing either.
				ours := `"ownerReferences": [{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "X", "name": "orders", "uid": "` + testUID + `", "controller": true}]`
				own := existing(ours)
				want, got := any(fresh), func(r *fnv1.RunFunctionResponse) any { return r }
				if a, _ := pb.String(desired, "apiVersion"); strings.Contains(a, ".aws.m.upbound.io/") {
					// What it composes; the status may say that it
					// exists (an existing database's TLS settings).
					want = fresh.GetDesired().GetResources()
					got = func(r *fnv1.RunFunctionResponse) any { return r.GetDesired().GetResources() }
					o := own.GetItems()[0].GetResource()
					o.Fields["spec"] = desired.GetFields()["spec"]
					if an := pb.Get(desired, "metadata", "annotations"); an != nil {
						pb.Set(o, an, "metadata", "annotations")
					}
				}
				rsp, err := run(f, with(own))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got(rsp), protocmp.Transform()); diff != "" {
					t.Errorf("the composite's own object: -fresh, +got:\n%s", diff)
				}
			})
		}
	}
}
