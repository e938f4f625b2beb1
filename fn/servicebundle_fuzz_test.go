package fn

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/servicebundle"
)

// FuzzServiceBundle feeds arbitrary ServiceBundle specs, claim names and
// namespaces, with the repository and its file observed Ready or not, and
// checks what must hold for every input: a refused bundle composes nothing;
// otherwise the repository is private, protected and archived on delete,
// every Application deploys only from this bundle's observed repository and
// only into its environment's own namespace of the claim's namespace (no
// team reaches another's, no environment another's), in the
// namespace's Argo CD project with its team whatever spec.owner says, named
// after the namespace, with a manual production, the repository outlives every Application (a Usage in
// the Application's namespace keeps it), nested databases,
// buckets and queues put their secrets only into the claim's namespace, a
// nested database is a valid DatabaseClaim of the bundle's engine and size
// (any of database.Engines: checkNestedDatabase), and the
// catalog is registered only once repository and file are Ready.
//
// A hostile second tenant (otherClaim in otherNamespace: another
// namespace, or the same claim name elsewhere, or another name in the same
// namespace) composes its own bundle, and hostile bits put binding
// attempts into the first tenant's observed state: its nested XDatabase,
// XBucket and XQueue (bits 1, 2 and 8) observed bound to the other tenant's claims (spec.claimRef,
// their spec and secret as a force-applied claim would leave them), and
// the composite labelled with the other's claim. For both tenants the
// tenant boundary holds (checkTenantBoundary): every nested composite is
// bound to its own claim and no claim of the other tenant can bind it, no
// composed object names the other's namespace; what the first tenant's
// nested composites are is the same with or without the binding attempts;
// and the tenants' nested composites and secrets never share a name.
func FuzzServiceBundle(f *testing.F) {
	var example string
	for _, k := range Kinds {
		if k.Composite == servicebundle.Kind {
			example = k.Example
		}
	}
	for _, seed := range []struct{ spec, name, ns, otherName, otherNS string }{
		{example, "orders-api", "team-orders", "orders-api", "team-mallory"},
		{example, "orders-api", "team-orders", "orders-api-x7k2p", "team-orders"},
		{example, "orders-api", "team-orders", "bundle-x7k2p-database", "team-mallory"},
		{`{"description": "d", "template": "go-service"}`, "a", "b", "a", "argocd"},
		{`{"description": "d", "template": "go-service", "database": {"engine": "redis", "size": "small"}}`, "cache", "team", "cache", "team2"},
		{`{"description": "d", "template": "go-service", "database": {"engine": "redis", "size": "large", "version": "8.2", "storageGB": 50}}`, "cache", "team-cache", "cache-database", "team-cache"},
		{`{"description": "d", "template": "node-service", "database": {"engine": "mongodb", "size": "medium", "version": "8.0", "claimRef": {"name": "steal", "namespace": "mallory"}}}`, "docs", "team-docs", "steal", "mallory"},
		{`{"description": "d", "template": "node-service", "database": {"engine": "cassandra", "size": "small"}}`, "x", "y", "x", "z"},
		{`{"description": "d", "template": "python-service", "bucket": {"noncurrentVersionExpirationDays": 3, "writeConnectionSecretToRef": {"namespace": "kube-system"}}}`, "x", "y", "x-bucket", "y"},
		{`{"description": "d", "template": "node-service", "database": {"engine": "mysql", "size": "large", "claimRef": {"kind": "DatabaseClaim", "name": "steal", "namespace": "mallory"}}}`, "x", "y", "steal", "mallory"},
		{`{"description": "d", "template": "node-service", "environments": ["production", "production"], "replicaCount": 11}`, "Bad--Name-", "ns", "Bad--Name-", "ns2"},
		{`{"description": "d", "template": "go-service", "queue": {"fifo": true, "maxReceiveCount": 3, "writeConnectionSecretToRef": {"name": "s", "namespace": "kube-system"}}}`, "jobs", "team-jobs", "jobs-queue", "team-jobs"},
		{`{"description": "d", "template": "go-service", "queue": {"engine": "kafka", "publicAccess": true}}`, "jobs", "team-jobs", "jobs", "team-mallory"},
	} {
		for _, hostile := range []uint8{0, 15} {
			f.Add(seed.spec, seed.name, seed.ns, true, seed.otherName, seed.otherNS, hostile)
			f.Add(seed.spec, seed.name, seed.ns, false, seed.otherName, seed.otherNS, hostile)
		}
	}
	fn := New(logging.NewNopLogger())
	ready := `{"status": {"conditions": [{"type": "Ready", "status": "True"}]}}`

	f.Fuzz(func(t *testing.T, specJSON, claim, namespace string, observedReady bool, otherClaim, otherNamespace string, hostile uint8) {
		spec := &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(specJSON), spec); err != nil {
			return // Not an object; Crossplane never sends one.
		}
		own, other := tenant{claim, namespace}, tenant{otherClaim, otherNamespace}
		if own == other {
			other.namespace += "-other" // one claim per name and namespace
		}
		xr := bundleXR(spec, "bundle-x7k2p", testUID, own)
		observed := map[string]*fnv1.Resource{}
		if observedReady {
			repo := mustStructJSON(
				`{"status": {"atProvider": {"fullName": "acme/repo", "cloneURL": "https://github.com/acme/repo.git"}, "conditions": [{"type": "Ready", "status": "True"}]}}`)
			pb.Set(repo, pb.Str(claim), "metadata", "name")
			observed[servicebundle.Repository] = &fnv1.Resource{Resource: repo}
			observed[servicebundle.CatalogFile] = &fnv1.Resource{Resource: mustStructJSON(ready)}
		}
		run := func(xr *structpb.Struct, observed map[string]*fnv1.Resource) *fnv1.RunFunctionResponse {
			rsp, err := run(fn, runReq(bundleInput, &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: observed}))
			if err != nil {
				t.Fatalf("RunFunction returned an error instead of a result: %v", err)
			}
			return rsp
		}
		rsp := run(xr, observed)
		desired := rsp.GetDesired().GetResources()

		// The hostile second tenant: its own bundle of the same spec, and
		// its binding attempts in the first tenant's observed state.
		otherRsp := run(bundleXR(proto.Clone(spec).(*structpb.Struct), "bundle-q4w8z", testUID+"-other", other), nil)
		hostileObserved, hostileXR := maps.Clone(observed), proto.Clone(xr).(*structpb.Struct)
		for n, bit := range map[string]uint8{servicebundle.Database: 1, servicebundle.Bucket: 2, servicebundle.Queue: 8} {
			if hostile&bit == 0 || desired[n] == nil {
				continue
			}
			// What a claim of the other tenant that bound the nested
			// composite would have left: its claimRef, its spec and its
			// secret (crossplane v2.4.0 claim/syncer_ssa.go).
			o := proto.Clone(desired[n].GetResource()).(*structpb.Struct)
			kind, _ := pb.String(o, "kind")
			pb.Set(o, pb.Obj(pb.Fields{"apiVersion": pb.Str("platform.paved.dev/v1alpha1"), "kind": pb.Str(nestedKinds[kind]),
				"name": pb.Str(other.claim), "namespace": pb.Str(other.namespace)}), "spec", "claimRef")
			pb.Set(o, pb.Obj(pb.Fields{"name": pb.Str("stolen"), "namespace": pb.Str(other.namespace)}), "spec", "writeConnectionSecretToRef")
			pb.Set(o, pb.Str("mysql"), "spec", "engine")
			pb.Set(o, pb.Obj(pb.Fields{"crossplane.io/claim-name": pb.Str(other.claim), "crossplane.io/claim-namespace": pb.Str(other.namespace)}), "metadata", "labels")
			hostileObserved[n] = &fnv1.Resource{Resource: o}
		}
		if hostile&4 != 0 {
			pb.Set(hostileXR, pb.Obj(pb.Fields{"crossplane.io/claim-name": pb.Str(other.claim), "crossplane.io/claim-namespace": pb.Str(other.namespace)}), "metadata", "labels")
		}
		hostileDesired := run(hostileXR, hostileObserved).GetDesired().GetResources()
		for _, n := range []string{servicebundle.Database, servicebundle.Bucket, servicebundle.Queue} {
			if diff := cmp.Diff(desired[n].GetResource(), hostileDesired[n].GetResource(), protocmp.Transform()); diff != "" {
				t.Errorf("the other tenant's binding attempts (hostile %03b) changed the nested %s: -without, +with:\n%s", hostile, n, diff)
			}
		}
		if claim != "" && namespace != "" {
			ownRef := claimRef{"platform.paved.dev/v1alpha1", servicebundle.ClaimKind, own.claim, own.namespace}
			otherRef := claimRef{"platform.paved.dev/v1alpha1", servicebundle.ClaimKind, other.claim, other.namespace}
			for _, e := range checkTenantBoundary(rsp, own, other, ownRef) {
				t.Error(e)
			}
			for _, e := range checkTenantBoundary(otherRsp, other, own, otherRef) {
				t.Error("the other tenant: " + e)
			}
			// Neither tenant's bundle can adopt what the other's composed:
			// no nested composite or connection secret shared.
			mine := map[string]string{}
			for n, r := range desired {
				for _, id := range boundaryIDs(r.GetResource()) {
					mine[id] = n
				}
			}
			for n, r := range otherRsp.GetDesired().GetResources() {
				for _, id := range boundaryIDs(r.GetResource()) {
					if m, ok := mine[id]; ok {
						t.Errorf("the other tenant's %s and this tenant's %s are both %s", n, m, id)
					}
				}
			}
		}
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
		for _, e := range checkNestedDatabase(spec, desired[servicebundle.Database].GetResource()) {
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
		// Production deploys from release: it exists, protected with a
		// review enforced on administrators, in this bundle's repository
		// (by controller reference, and once the provider observed it by
		// the reference and full name it resolves to), never adopted. It
		// is composed once the repository is observed.
		release := desired[servicebundle.ReleaseBranch].GetResource()
		if (release != nil) != observedReady {
			t.Fatalf("release branch composed = %t with the repository observed = %t", release != nil, observedReady)
		}
		if release != nil {
			if r, _ := pb.String(release, "spec", "forProvider", "repository"); r != "acme/repo" {
				t.Errorf("the release Branch names repository %q, want the observed acme/repo", r)
			}
			if r, _ := pb.String(release, "spec", "forProvider", "repositoryRef", "name"); r != claim {
				t.Errorf("the release Branch references Repository %q, want this bundle's %q", r, claim)
			}
			if b, _ := pb.String(release, "spec", "forProvider", "branch"); b != "release" {
				t.Errorf("release branch is %q, want release", b)
			}
			if n, _ := pb.Number(release, "spec", "forProvider", "protection", "requiredApprovingReviewCount"); n < 1 {
				t.Errorf("release needs %v approving reviews, want at least 1", n)
			}
			if a, _ := pb.Bool(release, "spec", "forProvider", "protection", "enforceAdmins"); !a {
				t.Error("release's protection does not apply to administrators")
			}
			if a, _ := pb.Bool(release, "spec", "forProvider", "adoptExisting"); a {
				t.Error("the release Branch adopts an existing branch")
			}
			if m, _ := pb.Bool(release, "spec", "forProvider", "repositorySelector", "matchControllerRef"); !m {
				t.Error("the release Branch does not select its Repository by controller reference")
			}
		}
		// The fuzzed environment maps no namespace: no team, whatever
		// spec.owner says, gets access to the repository.
		for n := range desired {
			if strings.HasPrefix(n, servicebundle.TeamAccessPrefix) {
				t.Errorf("%s composed for namespace %q, which the platform did not map to a team", n, namespace)
			}
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
				// Into the environment's own namespace, as the platform's
				// pattern (the default here) makes it for the claim's
				// namespace and its team (the namespace: the input maps
				// none): never another environment's or another team's.
				environment := strings.TrimPrefix(name, servicebundle.ApplicationPrefix)
				if ns, _ := pb.String(o, "spec", "destination", "namespace"); ns != env.DestinationNamespace(env.DefaultApplicationNamespace, namespace, namespace, environment) || !strings.HasSuffix(ns, "-"+environment) {
					t.Errorf("%s delivers into namespace %q, want only the %s namespace of the claim's %q", name, ns, environment, namespace)
				}
				if ns, _ := pb.String(o, "metadata", "namespace"); ns != "argocd" {
					t.Errorf("%s is in namespace %q, want Argo CD's", name, ns)
				}
				// The project and team are the platform's for the claim's
				// namespace (the input maps none: the namespace is its own
				// team, {team}-project), whatever the spec says; the name
				// carries the namespace, so no other namespace's bundle has it.
				if p, _ := pb.String(o, "spec", "project"); p != namespace+"-project" {
					t.Errorf("%s uses Argo CD project %q, want the namespace's %q", name, p, namespace+"-project")
				}
				if team, _ := pb.String(o, "metadata", "labels", "team"); team != namespace {
					t.Errorf("%s has team label %q, want the namespace's team %q", name, team, namespace)
				}
				if !strings.HasPrefix(appName, namespace+"--"+claim+"-") && len(appName) != 63 {
					t.Errorf("%s is named %q: neither <namespace>--<service>-<environment> nor shortened to 63 characters", name, appName)
				}
				if name == servicebundle.ApplicationPrefix+"production" && pb.Has(o, "spec", "syncPolicy", "automated") {
					t.Errorf("production syncs by itself; it must wait for a person")
				}
				fins := pb.Get(o, "metadata", "finalizers").AsInterface()
				if l, _ := fins.([]any); !slices.Contains(l, any("resources-finalizer.argocd.argoproj.io")) {
					t.Errorf("%s has finalizers %v, want Argo CD's resources finalizer", name, fins)
				}
			case "XDatabase", "XBucket", "XQueue":
				if ns, _ := pb.String(o, "spec", "writeConnectionSecretToRef", "namespace"); ns != namespace {
					t.Errorf("%s writes its secret into namespace %q, want the claim's %q", name, ns, namespace)
				}
				// The Composition its XRD enforces, never the claim's choice.
				enforced := map[string]string{"XDatabase": "xdatabases.aws.platform.paved.dev", "XBucket": "xbuckets.aws.platform.paved.dev", "XQueue": "xqueues.aws.platform.paved.dev"}[kind]
				if c, _ := pb.String(o, "spec", "compositionRef", "name"); c != enforced {
					t.Errorf("%s names Composition %q, want the enforced %q", name, c, enforced)
				}
				for _, k := range []string{"compositionSelector", "compositionRevisionRef", "resourceRef", "publiclyAccessible", "publicAccess"} {
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

// bundleXR is a ServiceBundle's composite called name with spec, made by
// the claim of t as Crossplane makes it (spec.claimRef, its labels).
func bundleXR(spec *structpb.Struct, name, uid string, t tenant) *structpb.Struct {
	spec.Fields["claimRef"] = pb.Obj(pb.Fields{"apiVersion": pb.Str("platform.paved.dev/v1alpha1"), "kind": pb.Str(servicebundle.ClaimKind),
		"name": pb.Str(t.claim), "namespace": pb.Str(t.namespace)})
	return &structpb.Struct{Fields: pb.Fields{
		"apiVersion": pb.Str("platform.paved.dev/v1alpha1"), "kind": pb.Str(servicebundle.Kind),
		"metadata": pb.Obj(pb.Fields{"name": pb.Str(name), "uid": pb.Str(uid)}), "spec": structpb.NewStructValue(spec),
	}}
}

// boundaryIDs are the identities of what a composed object is or writes
// that one tenant must never share with another: a nested composite
// (cluster-scoped, by kind and name) and the Secret it writes.
func boundaryIDs(o *structpb.Struct) []string {
	kind, _ := pb.String(o, "kind")
	if _, nested := nestedKinds[kind]; !nested {
		return nil
	}
	name, _ := pb.String(o, "metadata", "name")
	sn, _ := pb.String(o, "spec", "writeConnectionSecretToRef", "name")
	sns, _ := pb.String(o, "spec", "writeConnectionSecretToRef", "namespace")
	return []string{kind + " " + name, "Secret " + sns + "/" + sn}
}

// checkNestedDatabase checks a bundle's nested database (nil: none
// composed) against the bundle's spec: it is composed exactly when the
// bundle asks for one, with the bundle's engine and size, and its spec is
// one database.Validate accepts, so the nested composite's own Composition
// composes it as a DatabaseClaim of that engine (redis and mongodb too).
func checkNestedDatabase(spec, nested *structpb.Struct) []string {
	asked := pb.Struct(spec, "database")
	switch {
	case asked == nil && nested == nil:
		return nil
	case asked == nil:
		return []string{"a nested database is composed, but the bundle asks for none"}
	case nested == nil:
		return []string{"the bundle asks for a database, but none is composed"}
	}
	var errs []string
	for _, f := range []string{"engine", "size"} {
		if want, got := pb.Get(asked, f).AsInterface(), pb.Get(nested, "spec", f).AsInterface(); want != got {
			errs = append(errs, fmt.Sprintf("the nested database's spec.%s is %v, want the bundle's %v", f, got, want))
		}
	}
	if err := database.Validate(pb.Struct(nested, "spec")); err != nil {
		errs = append(errs, fmt.Sprintf("the nested database is not a valid DatabaseClaim: %v", err))
	}
	return errs
}
