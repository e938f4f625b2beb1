package fn

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// root is the repository's root, seen from this package's folder.
const root = ".."

// configurationDescription is what the Configuration's description says
// before the function's Description.
const configurationDescription = "Secure self-service for platform teams on Crossplane. "

// xrd is the part of an XRD in apis/ that names its kinds.
type xrd struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		ClaimNames *struct {
			Kind string `json:"kind"`
		} `json:"claimNames"`
	} `json:"spec"`
}

// packageMeta is the part of a package's crossplane.yaml the registry
// drives.
type packageMeta struct {
	Metadata struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		DependsOn []struct {
			Package string `json:"package"`
		} `json:"dependsOn"`
	} `json:"spec"`
}

func readYAML(t *testing.T, path string, out any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestRegistry: what the kind registry drives cannot drift from it. Every
// XRD in apis/ defines a registered kind, in the registered folder, with
// the registered claim (or none for a namespaced composite), and every
// registered kind has them and examples; both packages describe what the
// registry says the function composes; and the Configuration depends on a
// package for every group the kinds' examples compose, a database's with
// each engine (kindExamples): a family missing from dependsOn is a
// provider the install never gets, and claims of that engine fail.
func TestRegistry(t *testing.T) {
	want := map[string]string{} // apis/ folder -> "kind/claim"
	for _, k := range Kinds {
		if k.Dir == "" || k.Summary == "" {
			t.Errorf("%s: Dir and Summary are required", k.Composite)
		}
		want[k.Dir] = k.Composite + "/" + k.Claim
		if k.Namespaced != "" {
			want[k.Dir+"-v2"] = k.Namespaced + "/"
		}
		if _, err := os.Stat(filepath.Join(root, "examples", k.Dir, "claim.yaml")); err != nil {
			t.Errorf("%s: no example claim: %v", k.Composite, err)
		}
	}
	defs, err := filepath.Glob(filepath.Join(root, "apis", "*", "definition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range defs {
		rel, _ := filepath.Rel(root, d)
		var x xrd
		readYAML(t, rel, &x)
		claim := ""
		if x.Spec.ClaimNames != nil {
			claim = x.Spec.ClaimNames.Kind
		}
		got[filepath.Base(filepath.Dir(d))] = x.Spec.Names.Kind + "/" + claim
		if _, err := os.Stat(filepath.Join(filepath.Dir(d), "composition.yaml")); err != nil {
			t.Errorf("%s has no composition.yaml next to it", rel)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apis/<folder>/definition.yaml's kind/claim: -registry (Kinds), +apis/:\n%s", diff)
	}

	var function, configuration packageMeta
	readYAML(t, "package/crossplane.yaml", &function)
	readYAML(t, "crossplane.yaml", &configuration)
	const description = "meta.crossplane.io/description"
	if got, want := function.Metadata.Annotations[description], Description(); got != want {
		t.Errorf("package/crossplane.yaml %s:\n got %q\nwant %q (fn.Description)", description, got, want)
	}
	if got, want := configuration.Metadata.Annotations[description], configurationDescription+Description(); got != want {
		t.Errorf("crossplane.yaml %s:\n got %q\nwant %q", description, got, want)
	}

	var deps []string
	for _, d := range configuration.Spec.DependsOn {
		deps = append(deps, d.Package)
	}
	f := New(logging.NewNopLogger())
	for _, k := range Kinds {
		var composites []*fnv1.Resource
		for _, ex := range kindExamples(k) {
			composites = append(composites, xr(k.Composite, k.Claim, "example", ex))
			if k.Namespaced != "" {
				composites = append(composites, nsxr(k.Namespaced, "example", ex))
			}
		}
		for _, c := range composites {
			rsp, err := run(f, runReq(bundleInput, &fnv1.State{Composite: c}))
			if err != nil {
				t.Fatal(err)
			}
			if len(rsp.GetDesired().GetResources()) == 0 {
				t.Fatalf("the example of %s composes nothing", k.Composite)
			}
			for name, r := range rsp.GetDesired().GetResources() {
				apiVersion, _ := pb.String(r.GetResource(), "apiVersion")
				group, _, _ := strings.Cut(apiVersion, "/")
				if !strings.Contains(apiVersion, "/") {
					group = ""
				}
				if p, ok := providedBy(group); ok && p != "" && !slices.Contains(deps, p) {
					t.Errorf("%s composes %s (%s), but crossplane.yaml's dependsOn lacks %s", k.Composite, name, apiVersion, p)
				} else if !ok {
					t.Errorf("%s composes %s (%s): no package provides group %q; add it to crossplane.yaml's dependsOn and to providedBy", k.Composite, name, apiVersion, group)
				}
			}
		}
	}
}

// providedBy is the package that serves an API group paved composes, ""
// for groups that need none: Kubernetes' core, Crossplane's own,
// paved's XRDs (this Configuration) and Argo CD's Application, which the
// platform installs with Argo CD (docs/operations.md). ok is false for a
// group it does not know.
func providedBy(group string) (pkg string, ok bool) {
	switch group {
	case "", "protection.crossplane.io", "platform.paved.dev", "paved.dev", "argoproj.io":
		return "", true
	case "github.paved.dev", "backstage.paved.dev", "github.m.paved.dev", "backstage.m.paved.dev":
		return "xpkg.paved.dev/paved-dev/provider-paved", true
	}
	// provider-aws's family packages: <family>.aws.upbound.io and, for
	// its namespaced kinds, <family>.aws.m.upbound.io.
	for _, suffix := range []string{".aws.upbound.io", ".aws.m.upbound.io"} {
		if family, found := strings.CutSuffix(group, suffix); found && !strings.Contains(family, ".") {
			return "xpkg.upbound.io/upbound/provider-aws-" + family, true
		}
	}
	return "", false
}

// kindExamples are valid specs of kind k for tests: its Example and, for
// a database, one of each engine, so that every engine family's
// resources are composed.
func kindExamples(k Kind) []string {
	ex := []string{k.Example}
	if k.Composite == database.Kind {
		for _, e := range database.Engines {
			ex = append(ex, `{"engine": "`+e+`", "size": "small"}`)
		}
	}
	return ex
}
