package fn

import (
	"context"
	"slices"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/servicebundle"
)

// FuzzServiceBundle feeds arbitrary ServiceBundle specs, claim names and
// namespaces, with the repository and its file observed Ready or not, and
// checks what must hold for every input: a refused bundle composes nothing;
// otherwise the repository is private, protected and archived on delete,
// every Application deploys only from this bundle's observed repository and
// only into the claim's own namespace (no team reaches another's) with a
// manual production, the repository outlives every Application (a Usage in
// the Application's namespace keeps it), nested databases and
// buckets put their secrets only into the claim's namespace, and the
// catalog is registered only once repository and file are Ready.
func FuzzServiceBundle(f *testing.F) {
	var example string
	for _, k := range Kinds {
		if k.Composite == servicebundle.Kind {
			example = k.Example
		}
	}
	for _, seed := range []struct{ spec, name, ns string }{
		{example, "orders-api", "team-orders"},
		{`{"description": "d", "owner": "o", "template": "go-service"}`, "a", "b"},
		{`{"description": "d", "owner": "o", "template": "go-service", "database": {"engine": "redis", "size": "small"}}`, "cache", "team"},
		{`{"description": "d", "owner": "o", "template": "python-service", "bucket": {"noncurrentVersionExpirationDays": 3, "writeConnectionSecretToRef": {"namespace": "kube-system"}}}`, "x", "y"},
		{`{"description": "d", "owner": "o", "template": "node-service", "environments": ["production", "production"], "replicaCount": 11}`, "Bad--Name-", "ns"},
	} {
		f.Add(seed.spec, seed.name, seed.ns, true)
		f.Add(seed.spec, seed.name, seed.ns, false)
	}
	fn := New(logging.NewNopLogger())
	ready := `{"status": {"conditions": [{"type": "Ready", "status": "True"}]}}`

	f.Fuzz(func(t *testing.T, specJSON, claim, namespace string, observedReady bool) {
		spec := &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(specJSON), spec); err != nil {
			return // Not an object; Crossplane never sends one.
		}
		spec.Fields["claimRef"] = pb.Obj(pb.Fields{"kind": pb.Str("ServiceBundle"), "name": pb.Str(claim), "namespace": pb.Str(namespace)})
		xr := &structpb.Struct{Fields: pb.Fields{
			"apiVersion": pb.Str("platform.paved.dev/v1alpha1"), "kind": pb.Str(servicebundle.Kind),
			"metadata": pb.Obj(pb.Fields{"name": pb.Str("bundle-x7k2p"), "uid": pb.Str(testUID)}), "spec": structpb.NewStructValue(spec),
		}}
		observed := map[string]*fnv1.Resource{}
		if observedReady {
			observed[servicebundle.Repository] = &fnv1.Resource{Resource: resource.MustStructJSON(
				`{"status": {"atProvider": {"cloneURL": "https://github.com/acme/repo.git"}, "conditions": [{"type": "Ready", "status": "True"}]}}`)}
			observed[servicebundle.CatalogFile] = &fnv1.Resource{Resource: resource.MustStructJSON(ready)}
		}
		req := runReq(bundleInput, &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: observed})
		rsp, err := fn.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatalf("RunFunction returned an error instead of a result: %v", err)
		}
		desired := rsp.GetDesired().GetResources()
		if specJSON == example && claim == "orders-api" && namespace == "team-orders" && len(desired) == 0 {
			t.Fatalf("the registry's example composed nothing: %v", rsp.GetResults())
		}
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				if len(desired) > 0 {
					t.Fatalf("refused bundle composed %d resources", len(desired))
				}
				return
			}
		}
		// What holds for every kind: valid names and labels, siblings
		// bound by controller reference only.
		for _, e := range checkComposed(rsp, xr) {
			t.Error(e)
		}
		if claim == "" || namespace == "" {
			// Not a claim's composite; nothing below concerns it.
			return
		}

		repo := desired[servicebundle.Repository].GetResource()
		if repo == nil {
			t.Fatal("no repository composed")
		}
		for path, want := range map[string]any{
			"visibility": "private", "archiveOnDelete": true, "owner": "acme",
		} {
			if got := pb.Get(repo, "spec", "forProvider", path).AsInterface(); got != want {
				t.Errorf("repository spec.forProvider.%s = %v, want %v", path, got, want)
			}
		}
		if n, _ := pb.Number(repo, "spec", "forProvider", "branchProtection", "requiredApprovingReviewCount"); n < 1 {
			t.Errorf("repository default branch needs %v approving reviews, want at least 1", n)
		}
		if n, _ := pb.String(repo, "metadata", "name"); n != claim {
			t.Errorf("repository is named %q, want the service's name %q", n, claim)
		}
		if _, ok := desired[servicebundle.CatalogLocation]; ok != observedReady {
			t.Errorf("catalog registration composed = %t with repository and file Ready = %t", ok, observedReady)
		}

		// Usages in force: "by" name in its namespace -> what it keeps.
		keeps := map[string]string{}
		for _, r := range desired {
			o := r.GetResource()
			if k, _ := pb.String(o, "kind"); k != "Usage" {
				continue
			}
			ns, _ := pb.String(o, "metadata", "namespace")
			by, _ := pb.String(o, "spec", "by", "resourceRef", "name")
			ofKind, _ := pb.String(o, "spec", "of", "kind")
			of, _ := pb.String(o, "spec", "of", "resourceRef", "name")
			ofNS, ok := pb.String(o, "spec", "of", "resourceRef", "namespace")
			if replay, _ := pb.Bool(o, "spec", "replayDeletion"); !replay || !ok || ofNS != "" {
				t.Errorf("Usage %s/%s: replayDeletion %t, of.resourceRef.namespace %q (set: %t); want true and an explicit \"\" for the cluster-scoped %s", ns, by, replay, ofNS, ok, ofKind)
			}
			keeps[ns+"/"+by] = ofKind + " " + of
		}

		for name, r := range desired {
			o := r.GetResource()
			kind, _ := pb.String(o, "kind")
			switch kind {
			case "Application":
				appNS, _ := pb.String(o, "metadata", "namespace")
				appName, _ := pb.String(o, "metadata", "name")
				if got, want := keeps[appNS+"/"+appName], "Repository "+claim; got != want {
					t.Errorf("%s keeps %q, want a Usage in its namespace keeping %q", name, got, want)
				}
				if !observedReady {
					t.Errorf("%s composed before this bundle's repository reported its clone URL", name)
				}
				if u, _ := pb.String(o, "spec", "source", "repoURL"); u != "https://github.com/acme/repo.git" {
					t.Errorf("%s deploys from %q, want the observed clone URL of this bundle's repository", name, u)
				}
				if ns, _ := pb.String(o, "spec", "destination", "namespace"); ns != namespace {
					t.Errorf("%s delivers into namespace %q, want only the claim's %q", name, ns, namespace)
				}
				if ns, _ := pb.String(o, "metadata", "namespace"); ns != "argocd" {
					t.Errorf("%s is in namespace %q, want Argo CD's", name, ns)
				}
				if name == servicebundle.ApplicationPrefix+"production" && pb.Has(o, "spec", "syncPolicy", "automated") {
					t.Errorf("production syncs by itself; it must wait for a person")
				}
				fins := pb.Get(o, "metadata", "finalizers").AsInterface()
				if l, _ := fins.([]any); !slices.Contains(l, any("resources-finalizer.argocd.argoproj.io")) {
					t.Errorf("%s has finalizers %v, want Argo CD's resources finalizer", name, fins)
				}
			case "XDatabase", "XBucket":
				if ns, _ := pb.String(o, "spec", "writeConnectionSecretToRef", "namespace"); ns != namespace {
					t.Errorf("%s writes its secret into namespace %q, want the claim's %q", name, ns, namespace)
				}
				for _, k := range []string{"compositionRef", "compositionSelector", "claimRef", "publiclyAccessible", "publicAccess"} {
					if v := pb.Get(o, "spec", k); v != nil && k != "publiclyAccessible" && k != "publicAccess" {
						t.Errorf("%s passes on spec.%s", name, k)
					} else if b, ok := pb.Bool(o, "spec", k); ok && b {
						t.Errorf("%s asks for %s", name, k)
					}
				}
			}
		}
	})
}
