package servicebundle

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite testdata/*.yaml from what is composed (review the diff)")

// TestComposedObjects compares every composed object of a full bundle, once
// its repository and catalog file are Ready, with testdata/<name>.yaml.
func TestComposedObjects(t *testing.T) {
	set, _ := compose1(t, fullSpec, map[string]string{Repository: readyRepo, CatalogFile: readyFile})
	rsp := &fnv1.RunFunctionResponse{}
	set.Write(rsp)
	names := []string{Repository, CatalogFile, CatalogLocation, "protect-" + usageRegistered, Database, Bucket, "application-staging", "application-production"}
	if len(rsp.GetDesired().GetResources()) != len(names) {
		t.Errorf("composed %d resources, want %d", len(rsp.GetDesired().GetResources()), len(names))
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			got := rsp.GetDesired().GetResources()[n].GetResource()
			path := filepath.Join("testdata", n+".yaml")
			if *update {
				y, err := yaml.Marshal(got.AsMap())
				if err != nil {
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
