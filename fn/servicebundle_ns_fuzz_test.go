package fn

import (
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/servicebundle"
)

// FuzzNamespacedServiceBundle feeds arbitrary specs, names and namespaces
// to the namespaced ServiceBundle (Crossplane v2 dialect), with its
// repository and file observed Ready or not, beside a second tenant's
// bundle of the same spec in another namespace, and checks what
// FuzzServiceBundle checks of the claim where the dialect changes it: a
// refused bundle composes nothing; otherwise everything is composed into
// the bundle's namespace (checkNamespaced); provider-paved's kinds use the
// provider config the platform's environment names, whatever the spec
// says; the repository is private and archived on delete; every
// Application lives in the bundle's namespace (Argo CD's applications in
// any namespace), deploys this bundle's observed repository into its
// environment's own namespace of the bundle's namespace, in the
// namespace's project with its team, production by hand; the nested
// Database and Bucket are paved's namespaced composites and write their
// Secrets into the bundle's namespace only, the Database a valid one of the
// bundle's engine and size (checkNestedDatabase); and no Application of one
// tenant deploys where the other's does.
func FuzzNamespacedServiceBundle(f *testing.F) {
	var example string
	for _, k := range Kinds {
		if k.Namespaced == servicebundle.NamespacedKind {
			example = k.Example
		}
	}
	if example == "" {
		f.Fatal("no registered kind has the namespaced ServiceBundle")
	}
	for _, seed := range []struct{ spec, name, ns, otherNS string }{
		{example, "orders-api", "team-orders", "team-mallory"},
		{example, "orders-api", "team-orders", "team-orders-staging"},
		{`{"description": "d", "template": "go-service", "providerConfigRef": {"kind": "ProviderConfig", "name": "mallory"}}`, "a", "b", "c"},
		{`{"description": "d", "template": "python-service", "bucket": {"writeConnectionSecretToRef": {"name": "s", "namespace": "kube-system"}}}`, "x", "y", "z"},
		{`{"description": "d", "template": "node-service", "database": {"engine": "mysql", "size": "large", "claimRef": {"name": "steal", "namespace": "mallory"}}}`, "x", "y", "mallory"},
		{`{"description": "d", "template": "go-service", "database": {"engine": "redis", "size": "medium"}}`, "cache", "team-cache", "team-mallory"},
		{`{"description": "d", "template": "node-service", "database": {"engine": "mongodb", "size": "large", "version": "5.0", "writeConnectionSecretToRef": {"name": "s", "namespace": "kube-system"}}}`, "docs", "team-docs", "team-docs-staging"},
		{`{"description": "d", "template": "node-service", "environments": ["production", "production"], "owner": "mallory"}`, "Bad--Name-", "ns", "ns2"},
		{`{"description": "d", "template": "go-service", "queue": {"fifo": true, "writeConnectionSecretToRef": {"name": "s", "namespace": "kube-system"}}}`, "jobs", "team-jobs", "team-mallory"},
	} {
		f.Add(seed.spec, seed.name, seed.ns, true, seed.otherNS)
		f.Add(seed.spec, seed.name, seed.ns, false, seed.otherNS)
	}
	fn := New(logging.NewNopLogger())
	observedReady := func(ready bool) map[string]*fnv1.Resource {
		if !ready {
			return nil
		}
		return map[string]*fnv1.Resource{
			servicebundle.Repository: {Resource: mustStructJSON(
				`{"status": {"atProvider": {"fullName": "acme/repo", "cloneURL": "https://github.com/acme/repo.git"}, "conditions": [{"type": "Ready", "status": "True"}]}}`)},
			servicebundle.CatalogFile: {Resource: mustStructJSON(`{"status": {"conditions": [{"type": "Ready", "status": "True"}]}}`)},
		}
	}
	run := func(t testing.TB, spec *structpb.Struct, name, namespace string, observed map[string]*fnv1.Resource) *fnv1.RunFunctionResponse {
		t.Helper()
		xr := &structpb.Struct{Fields: pb.Fields{
			"apiVersion": pb.Str(NamespacedGroup + "/" + Version), "kind": pb.Str(servicebundle.NamespacedKind),
			"metadata": pb.Obj(pb.Fields{"name": pb.Str(name), "namespace": pb.Str(namespace), "uid": pb.Str(testUID + "-" + namespace)}),
			"spec":     structpb.NewStructValue(spec),
		}}
		rsp, err := run(fn, runReq(bundleInput, &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: observed}))
		if err != nil {
			t.Fatalf("RunFunction returned an error instead of a result: %v", err)
		}
		return rsp
	}
	// The provider configs the platform's environment gives
	// provider-paved's kinds, by kind: what the example composes.
	platformConfigs := map[string]*structpb.Value{}
	for _, r := range run(f, mustStructJSON(example), "orders-api", "team-orders", observedReady(true)).GetDesired().GetResources() {
		o := r.GetResource()
		if v := pb.Get(o, "spec", "providerConfigRef"); v != nil && providerPaved(o) {
			kind, _ := pb.String(o, "kind")
			platformConfigs[kind] = v
		}
	}
	if len(platformConfigs) == 0 {
		f.Fatal("the registry's example composed none of provider-paved's kinds")
	}

	f.Fuzz(func(t *testing.T, specJSON, name, namespace string, ready bool, otherNamespace string) {
		spec := &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(specJSON), spec); err != nil {
			return // Not an object; Crossplane never sends one.
		}
		if namespace == "" || otherNamespace == namespace {
			return // A namespaced composite has a namespace; the other tenant another.
		}
		rsp := run(t, spec, name, namespace, observedReady(ready))
		desired := rsp.GetDesired().GetResources()
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				if len(desired) > 0 {
					t.Fatalf("refused bundle composed %d resources", len(desired))
				}
				return
			}
		}
		for _, e := range checkNamespaced(rsp, namespace) {
			t.Error(e)
		}
		for _, e := range checkNestedDatabase(spec, desired[servicebundle.Database].GetResource()) {
			t.Error(e)
		}
		destinations := map[string]string{}
		for n, r := range desired {
			o := r.GetResource()
			kind, _ := pb.String(o, "kind")
			if providerPaved(o) {
				if diff := cmp.Diff(platformConfigs[kind], pb.Get(o, "spec", "providerConfigRef"), protocmp.Transform()); diff != "" {
					t.Errorf("%s: providerConfigRef is not the platform's for %s: -want, +got:\n%s", n, kind, diff)
				}
			}
			switch kind {
			case "Repository":
				if v, _ := pb.String(o, "spec", "forProvider", "visibility"); v != "private" {
					t.Errorf("repository visibility %q, want private", v)
				}
				if a, _ := pb.Bool(o, "spec", "forProvider", "archiveOnDelete"); !a {
					t.Error("repository is not archived on delete")
				}
			case "Application":
				if !ready {
					t.Errorf("%s composed before this bundle's repository reported its clone URL", n)
				}
				if u, _ := pb.String(o, "spec", "source", "repoURL"); u != "https://github.com/acme/repo.git" {
					t.Errorf("%s deploys from %q, want this bundle's observed repository", n, u)
				}
				environment := strings.TrimPrefix(n, servicebundle.ApplicationPrefix)
				dest, _ := pb.String(o, "spec", "destination", "namespace")
				if dest != env.DestinationNamespace(env.DefaultApplicationNamespace, namespace, namespace, environment) {
					t.Errorf("%s delivers into namespace %q, want only the %s namespace of %q", n, dest, environment, namespace)
				}
				destinations[dest] = n
				if p, _ := pb.String(o, "spec", "project"); p != namespace+"-project" {
					t.Errorf("%s uses Argo CD project %q, want the namespace's %q", n, p, namespace+"-project")
				}
				if team, _ := pb.String(o, "metadata", "labels", "team"); team != namespace {
					t.Errorf("%s has team label %q, want the namespace's team %q", n, team, namespace)
				}
				if environment == "production" && pb.Has(o, "spec", "syncPolicy", "automated") {
					t.Error("production syncs by itself; it must wait for a person")
				}
			case "Database", "Bucket", "Queue":
				if av, _ := pb.String(o, "apiVersion"); av != NamespacedGroup+"/"+Version {
					t.Errorf("%s is %s %s, want paved's namespaced composite", n, av, kind)
				}
				if pb.Has(o, "spec", "claimRef") || pb.Has(o, "spec", "writeConnectionSecretToRef", "namespace") {
					t.Errorf("%s passes on a claimRef or a Secret's namespace: %v", n, pb.Get(o, "spec").AsInterface())
				}
			}
		}
		// The other tenant's bundle of the same spec deploys nowhere this
		// one does.
		for n, r := range run(t, spec, name, otherNamespace, observedReady(ready)).GetDesired().GetResources() {
			o := r.GetResource()
			if kind, _ := pb.String(o, "kind"); kind != "Application" {
				continue
			}
			if dest, _ := pb.String(o, "spec", "destination", "namespace"); destinations[dest] != "" {
				t.Errorf("namespace %q's %s and namespace %q's %s both deploy into %q", otherNamespace, n, namespace, destinations[dest], dest)
			}
		}
	})
}

// providerPaved reports whether o is one of provider-paved's namespaced
// managed resources.
func providerPaved(o *structpb.Struct) bool {
	av, _ := pb.String(o, "apiVersion")
	group, _, _ := strings.Cut(av, "/")
	return group == "github.m.paved.dev" || group == "backstage.m.paved.dev"
}
