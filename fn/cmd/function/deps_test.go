package main

import (
	"os/exec"
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
