package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func read(t *testing.T, p string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := yaml.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// The XR made of examples/database/claim.yaml carries what the committed
// example XR (what Crossplane makes) carries, apart from the generated name
// and uid.
func TestConvertExampleClaims(t *testing.T) {
	xrds, err := loadXRDs("../../apis")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"database", "bucket"} {
		t.Run(kind, func(t *testing.T) {
			got, x, err := Convert(read(t, "../../examples/"+kind+"/claim.yaml"), xrds)
			if err != nil {
				t.Fatal(err)
			}
			want := read(t, "../../examples/"+kind+"/xr.yaml")
			// The connection secret moves to crossplane-system, named by the
			// XR's uid (examples/bucket/xr.yaml leaves it out).
			if s, ok := got["spec"].(map[string]any)["writeConnectionSecretToRef"].(map[string]any); !ok || s["namespace"] != "crossplane-system" || s["name"] != got["metadata"].(map[string]any)["uid"] {
				t.Errorf("writeConnectionSecretToRef %v, want crossplane-system/<uid>", s)
			}
			for _, o := range []map[string]any{got, want} {
				md := o["metadata"].(map[string]any)
				delete(md, "name")
				delete(md, "uid")
				delete(o["spec"].(map[string]any), "writeConnectionSecretToRef")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("XR of the claim (-examples/%s/xr.yaml +got):\n%s", kind, diff)
			}
			if x.CompositionFile != "../../apis/"+kind+"/composition.yaml" {
				t.Errorf("composition %s", x.CompositionFile)
			}
		})
	}
}

func TestRunRejectsUnknownKind(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run([]string{"-apis", "../../apis", "-out", dir, p}, &out)
	if err == nil || !strings.Contains(err.Error(), `apiVersion "v1", kind "ConfigMap": not a claim or composite resource of paved's XRDs`) {
		t.Errorf("run: %v", err)
	}
}
