package servicebundle

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	backstagev1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	githubv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	nsbackstagev1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/backstage/v1alpha1"
	nsgithubv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"
)

var update = flag.Bool("update", false, "rewrite testdata/*.yaml from what is composed (review the diff)")

// TestComposedObjects compares every composed object of a full bundle, once
// its repository and catalog file are Ready, with testdata/<name>.yaml, and
// those of a namespaced bundle (Crossplane v2) with
// testdata/namespaced/<name>.yaml: the same resources in the bundle's
// namespace, as provider-paved's namespaced kinds with the provider config
// kind of the platform's environment, the namespaced Database and Bucket,
// and the Applications in the bundle's namespace.
func TestComposedObjects(t *testing.T) {
	for dialect, composed := range map[string]func() *compose.Set{
		"": func() *compose.Set {
			set, _ := compose1(t, fullSpec, map[string]string{Repository: readyRepo, CatalogFile: readyFile})
			return set
		},
		"namespaced": func() *compose.Set {
			set, _ := composeXR(t, nsbundle(fullSpec), nsEnvironment(t), map[string]string{Repository: readyRepo, CatalogFile: readyFile})
			return set
		},
	} {
		t.Run("dialect="+dialect, func(t *testing.T) { composedObjects(t, composed(), filepath.Join("testdata", dialect)) })
	}
}

func composedObjects(t *testing.T, set *compose.Set, dir string) {
	t.Helper()
	rsp := &fnv1.RunFunctionResponse{}
	set.Write(rsp)
	if err := set.Objects().CheckDialect(); err != nil {
		t.Error(err)
	}
	names := []string{Repository, CatalogFile, ReleaseBranch, TeamAccessPrefix + "orders", CatalogLocation, "protect-" + usageRegistered, Database, Bucket, "application-staging", "application-production",
		"protect-" + usageDeployedPrefix + "staging", "protect-" + usageDeployedPrefix + "production"}
	if len(rsp.GetDesired().GetResources()) != len(names) {
		t.Errorf("composed %d resources, want %d", len(rsp.GetDesired().GetResources()), len(names))
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			got := rsp.GetDesired().GetResources()[n].GetResource()
			path := filepath.Join(dir, n+".yaml")
			if *update {
				y, err := yaml.Marshal(got.AsMap())
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, y, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			y, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			j, err := yaml.YAMLToJSON(y)
			if err != nil {
				t.Fatal(err)
			}
			want := &structpb.Struct{}
			if err := want.UnmarshalJSON(j); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("composed %s: -want (%s), +got:\n%s", n, path, diff)
			}
		})
	}
}

func init() {
	for _, add := range []func(*runtime.Scheme) error{githubv1alpha1.AddToScheme, backstagev1alpha1.AddToScheme, nsgithubv1alpha1.AddToScheme, nsbackstagev1alpha1.AddToScheme} {
		if err := add(composed.Scheme); err != nil {
			panic(err)
		}
	}
}

// providerTypes are the Go types of the provider's kinds the bundle
// composes.
var providerTypes = map[schema.GroupVersionKind]func() runtime.Object{
	githubv1alpha1.RepositoryGroupVersionKind:         func() runtime.Object { return &githubv1alpha1.Repository{} },
	githubv1alpha1.RepositoryFileGroupVersionKind:     func() runtime.Object { return &githubv1alpha1.RepositoryFile{} },
	githubv1alpha1.BranchGroupVersionKind:             func() runtime.Object { return &githubv1alpha1.Branch{} },
	githubv1alpha1.TeamRepositoryGroupVersionKind:     func() runtime.Object { return &githubv1alpha1.TeamRepository{} },
	backstagev1alpha1.CatalogLocationGroupVersionKind: func() runtime.Object { return &backstagev1alpha1.CatalogLocation{} },
	// The namespaced kinds a namespaced bundle composes
	// (provider/apis/namespaced).
	nsgithubv1alpha1.RepositoryGroupVersionKind:         func() runtime.Object { return &nsgithubv1alpha1.Repository{} },
	nsgithubv1alpha1.RepositoryFileGroupVersionKind:     func() runtime.Object { return &nsgithubv1alpha1.RepositoryFile{} },
	nsgithubv1alpha1.BranchGroupVersionKind:             func() runtime.Object { return &nsgithubv1alpha1.Branch{} },
	nsgithubv1alpha1.TeamRepositoryGroupVersionKind:     func() runtime.Object { return &nsgithubv1alpha1.TeamRepository{} },
	nsbackstagev1alpha1.CatalogLocationGroupVersionKind: func() runtime.Object { return &nsbackstagev1alpha1.CatalogLocation{} },
}

// providerGroups are the groups of the provider's kinds.
var providerGroups = []string{githubv1alpha1.Group, backstagev1alpha1.Group, nsgithubv1alpha1.Group, nsbackstagev1alpha1.Group}

// TestProviderTypes checks every object of the provider's kinds a bundle
// composes against the provider's Go types (provider/apis), which the
// function does not link (repository.go): it decodes strictly (a field
// the type does not have, or a value of the wrong type, is an error) and
// the typed object, encoded as the provider encodes it when it updates
// the object, without status, must be the composed object itself: a field
// the provider drops on its updates (a false boolean its type omits)
// would be written back by Crossplane's next apply, and the two would
// take turns changing the object (dropFalse).
func TestProviderTypes(t *testing.T) {
	cases := map[string]struct {
		spec     string
		observed map[string]string
	}{
		"FirstReconcile":   {spec: `{"description": "Billing", "template": "go-service"}`},
		"Full":             {spec: fullSpec},
		"Registered":       {spec: fullSpec, observed: map[string]string{Repository: readyRepo, CatalogFile: readyFile}},
		"WithoutCommitYet": {spec: fullSpec, observed: map[string]string{Repository: readyRepo, CatalogFile: `{"status": {"conditions": [{"type": "Ready", "status": "True"}]}}`}},
	}
	for name, tc := range cases {
		for _, namespaced := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/namespaced=%t", name, namespaced), func(t *testing.T) {
				set, _ := compose1(t, tc.spec, tc.observed)
				if namespaced {
					set, _ = composeXR(t, nsbundle(tc.spec), nsEnvironment(t), tc.observed)
				}
				providerTypesOf(t, set)
			})
		}
	}
}

// providerTypesOf checks the objects of the provider's kinds in set (see
// TestProviderTypes).
func providerTypesOf(t *testing.T, set *compose.Set) {
	t.Helper()
	rsp := &fnv1.RunFunctionResponse{}
	set.Write(rsp)
	checked := 0
	for n, r := range rsp.GetDesired().GetResources() {
		obj := r.GetResource()
		gvk := schema.FromAPIVersionAndKind(obj.GetFields()["apiVersion"].GetStringValue(), obj.GetFields()["kind"].GetStringValue())
		if !slices.Contains(providerGroups, gvk.Group) {
			continue
		}
		newTyped, ok := providerTypes[gvk]
		if !ok {
			t.Errorf("%s: %s is not a kind of the provider", n, gvk)
			continue
		}
		j, err := obj.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		typed := newTyped()
		strict, err := kjson.UnmarshalStrict(j, typed)
		if err != nil || len(strict) > 0 {
			t.Errorf("%s does not decode into %T: %v %v", n, typed, err, strict)
			continue
		}
		// What the provider writes back when it updates the
		// object: its types encoded as the API machinery encodes
		// them (encoding/json, omitempty honoured).
		back, err := json.Marshal(typed)
		if err != nil {
			t.Fatal(err)
		}
		want := &structpb.Struct{}
		if err := want.UnmarshalJSON(back); err != nil {
			t.Fatal(err)
		}
		delete(want.GetFields(), "status")
		delete(pb.Struct(want, "metadata").GetFields(), "creationTimestamp") // null: the API server sets it
		if diff := cmp.Diff(want, obj, protocmp.Transform()); diff != "" {
			t.Errorf("%s: -as the provider writes it back, +composed:\n%s", n, diff)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no object of the provider's kinds was composed")
	}
}
