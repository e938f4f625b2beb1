package servicebundle

import (
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	inputenv "github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// nsbundle is a namespaced ServiceBundle (Crossplane v2) orders-api in
// team-orders: no claim, its namespace the team's.
func nsbundle(spec string) *compose.Composite {
	return &compose.Composite{
		Object:     resource.MustStructJSON(`{"spec": ` + spec + `}`),
		APIVersion: compose.NamespacedCompositeAPIVersion, Kind: NamespacedKind, Name: "orders-api",
		UID: "00000000-0000-4000-8000-000000000001", Namespace: "team-orders",
	}
}

// nsEnvironment is environment(t) with the provider-paved configs a
// platform names for namespaced bundles: ProviderConfigs github and
// backstage, which each team's namespace holds.
func nsEnvironment(t *testing.T) *env.Environment {
	t.Helper()
	e, err := env.Resolve(inputenv.Environment{ServiceBundle: &inputenv.ServiceBundleEnvironment{
		GitHubOwner: "acme", GrafanaURL: "https://grafana.example.com",
		GitHubProviderConfig: "github", BackstageProviderConfig: "backstage", ProviderConfigKind: "ProviderConfig",
		Namespaces: map[string]inputenv.NamespaceTeam{"team-orders": {Team: "orders"}},
	}}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateEnvironment(e); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestNamespacedDialect: a namespaced ServiceBundle is the same service as
// a claim of the same name in the same namespace, composed by the same
// composer: the same resources by the same pipeline names, the same
// parameters, readiness and conditions; what differs is the dialect
// alone, each difference stated here. Nothing is outside the bundle's
// namespace or cluster-scoped.
func TestNamespacedDialect(t *testing.T) {
	observed := map[string]string{Repository: readyRepo, CatalogFile: readyFile, CatalogLocation: registeredLoc, Database: readyDB, Bucket: readyBucket,
		"application-staging": stagingSynced, "application-production": prodNever}
	claim := bundle(fullSpec)
	// The claim's composite of the bundle's name and uid (a composite's
	// name is the claim's and a suffix).
	claim.Name, claim.UID = "orders-api", nsbundle(fullSpec).UID
	legacy, legacyResult := composeXR(t, claim, nsEnvironment(t), observed)
	namespaced, nsResult := composeXR(t, nsbundle(fullSpec), nsEnvironment(t), observed)
	if err := namespaced.Objects().CheckDialect(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(legacyResult, nsResult, protocmp.Transform(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("readiness, status and conditions: -claim, +namespaced:\n%s", diff)
	}
	if diff := cmp.Diff(legacy.Objects().Names(), namespaced.Objects().Names()); diff != "" {
		t.Errorf("composed resources: -claim, +namespaced:\n%s", diff)
	}
	for _, name := range legacy.Objects().Names() {
		want := proto.Clone(legacy.Desired(name)).(*structpb.Struct)
		got := namespaced.Desired(name)
		// The dialect's differences.
		apiVersion, _ := pb.String(want, "apiVersion")
		kind, _ := pb.String(want, "kind")
		switch {
		case strings.HasPrefix(apiVersion, "github.paved.dev/"), strings.HasPrefix(apiVersion, "backstage.paved.dev/"):
			// provider-paved's namespaced kind, in the bundle's namespace,
			// with the platform's provider config kind; deletionPolicy
			// Orphan is the management policies without Delete.
			pb.Set(want, pb.Str(strings.Replace(apiVersion, ".paved.dev/", ".m.paved.dev/", 1)), "apiVersion")
			pb.Set(want, pb.Str("team-orders"), "metadata", "namespace")
			pb.Set(want, pb.Str("ProviderConfig"), "spec", "providerConfigRef", "kind")
			if p, _ := pb.String(want, "spec", "deletionPolicy"); p == "Orphan" {
				delete(pb.Struct(want, "spec").GetFields(), "deletionPolicy")
				pb.Set(want, pb.Strs([]string{"Observe", "Create", "Update", "LateInitialize"}), "spec", "managementPolicies")
			}
		case kind == "XDatabase" || kind == "XBucket":
			// paved's namespaced Database and Bucket in the bundle's
			// namespace, which write the connection Secret there
			// themselves and have no claim to bind.
			pb.Set(want, pb.Str("paved.dev/v1alpha1"), "apiVersion")
			pb.Set(want, pb.Str(strings.TrimPrefix(kind, "X")), "kind")
			pb.Set(want, pb.Str("team-orders"), "metadata", "namespace")
			delete(pb.Struct(want, "spec").GetFields(), "claimRef")
			delete(pb.Struct(want, "spec", "writeConnectionSecretToRef").GetFields(), "namespace")
			// The cluster-scoped kinds name their enforced Composition
			// (nested.go); the namespaced ones leave it to core.
			delete(pb.Struct(want, "spec").GetFields(), "compositionRef")
		case kind == "Application":
			// In the bundle's namespace, not Argo CD's.
			pb.Set(want, pb.Str("team-orders"), "metadata", "namespace")
		case kind == "ClusterUsage" || kind == "Usage":
			// A Usage in the bundle's namespace, whose references name
			// the namespaced kinds there.
			pb.Set(want, pb.Str("Usage"), "kind")
			pb.Set(want, pb.Str("team-orders"), "metadata", "namespace")
			for _, ref := range []string{"of", "by"} {
				v, _ := pb.String(want, "spec", ref, "apiVersion")
				pb.Set(want, pb.Str(strings.Replace(v, ".paved.dev/", ".m.paved.dev/", 1)), "spec", ref, "apiVersion")
			}
			pb.Set(want, pb.Str("team-orders"), "spec", "of", "resourceRef", "namespace")
			// Core's usage-details text names the namespace of an "of"
			// that has one (compose.usageDetails).
			d, _ := pb.String(want, "metadata", "annotations", "crossplane.io/usage-details")
			pb.Set(want, pb.Str(d+" in namespace team-orders"), "metadata", "annotations", "crossplane.io/usage-details")
		default:
			t.Errorf("%s: %s %s, which the test does not know", name, apiVersion, kind)
		}
		// Labels name no claim: the namespaced bundle has none.
		for _, l := range []string{compose.LabelClaimName, compose.LabelClaimNamespace} {
			delete(pb.Struct(want, "metadata", "labels").GetFields(), l)
		}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s: -the claim's in the namespaced dialect, +namespaced:\n%s", name, diff)
		}
	}
}
