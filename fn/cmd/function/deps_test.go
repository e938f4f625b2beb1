package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// heavy are the modules the function must not link. Their code and
// start-up were most of its resident memory (docs/design.md, "Composed
// objects are structured maps"; figures in docs/performance.md): function-sdk-go
// links them only through its request, response and resource packages,
// and the provider's API packages link them through their generated
// reference resolvers. The function builds its objects and its response on
// the proto types instead (fn/response.go, fn/servicebundle/repository.go).
// Without meta/v1 and runtime as well: 407 packages, 15 MiB at rest.
var heavy = []string{
	"sigs.k8s.io/controller-runtime",
	"k8s.io/client-go",
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource",
	"github.com/crossplane/crossplane-runtime/v2/pkg/reference",
	"github.com/paved-dev/paved/provider",
	"github.com/crossplane/function-sdk-go/request",
	"github.com/crossplane/function-sdk-go/response",
	"github.com/crossplane/function-sdk-go/resource",
	// apimachinery's object metadata and runtime (~2 MiB): linked by
	// v1alpha1.Input, which the function does not decode into
	// (fn/input.go).
	"k8s.io/apimachinery/pkg/apis/meta/v1",
	"k8s.io/apimachinery/pkg/runtime",
	// The AWS SDK: only the paved command (cmd/paved) reads AWS.
	"github.com/aws/aws-sdk-go-v2",
	"github.com/aws/smithy-go",
}

// TestNoHeavyDependencies fails if the function links any of heavy, and
// names the chain of imports that brings it in.
func TestNoHeavyDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	imports := map[string][]string{}
	for l := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		p, deps, _ := strings.Cut(l, ":")
		imports[p] = strings.Fields(deps)
	}
	for _, h := range heavy {
		if chain := importChain(imports, "github.com/paved-dev/paved/fn/cmd/function", h); chain != nil {
			t.Errorf("the function links %s: %s", h, strings.Join(chain, " -> "))
		}
	}
}

// importChain is the shortest chain of imports from root to a package
// whose path is prefix or below it, or nil.
func importChain(imports map[string][]string, root, prefix string) []string {
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		for _, d := range imports[p] {
			if _, seen := prev[d]; !seen {
				prev[d] = p
				queue = append(queue, d)
			}
		}
	}
	return nil
}

// fuzzed returns the directories of the module's packages with a fuzz
// target, found as
// hack/fuzz.sh finds them (a `func FuzzXxx(f *testing.F)` in a _test.go
// file; nested modules, _output and node_modules left out).
func fuzzed(t *testing.T) []string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	target := regexp.MustCompile(`(?m)^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)`)
	var pkgs []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); path != root && err == nil ||
				d.Name() == "_output" || d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if target.Match(b) {
			pkgs = append(pkgs, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(pkgs)
	pkgs = slices.Compact(pkgs)
	if len(pkgs) == 0 {
		t.Fatal("no fuzz targets found")
	}
	return pkgs
}

// TestFuzzedPackagesLinkNoKubernetesTypes fails if a fuzz target's test
// binary links Kubernetes' API types or client-go, and names the chain:
// go test -fuzz compiles every package the binary links with coverage
// instrumentation (cmd/go/internal/test: FuzzInstrument on every package
// but a few of the runtime's), so on a cold machine make fuzz compiled
// client-go and Kubernetes' API types a second time for nothing the
// fuzzers exercise.
func TestFuzzedPackagesLinkNoKubernetesTypes(t *testing.T) {
	for _, dir := range fuzzed(t) {
		p, err := exec.Command("go", "list", dir).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", dir, err)
		}
		pkg := strings.TrimSpace(string(p))
		// A test variant's path has a space ("p [p.test]"): the imports
		// are joined by tabs.
		out, err := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}}:{{join .Imports \"\\t\"}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps -test %s: %v", pkg, err)
		}
		imports := map[string][]string{}
		for l := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
			p, deps, _ := strings.Cut(l, ":")
			imports[p] = strings.Split(deps, "\t")
		}
		if _, ok := imports[pkg+".test"]; !ok {
			t.Fatalf("go list -deps -test %s: no test binary %s.test in its output", pkg, pkg)
		}
		for _, h := range []string{"k8s.io/api", "k8s.io/client-go"} {
			if chain := importChain(imports, pkg+".test", h); chain != nil {
				t.Errorf("%s's test binary, which go test -fuzz instruments whole, links %s: %s", pkg, h, strings.Join(chain, " -> "))
			}
		}
	}
}
