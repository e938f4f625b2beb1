package fn

import (
	"context"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/paved-dev/paved/fn/servicebundle"
)

// BenchmarkRunFunctionServiceBundle composes the registry's example
// ServiceBundle in process: first reconcile, and once the repository and
// its file are Ready (the catalog registration is composed too). Three of
// its objects are built as the provider's typed Go structs and converted
// with composed.From. The memo replays a bundle's objects while the
// composite, the environment and the observed facts it reads
// (Composer.ObservedKey) stay the same; the Uncached variants compose anew.
func BenchmarkRunFunctionServiceBundle(b *testing.B) {
	var example string
	for _, k := range Kinds {
		if k.Composite == servicebundle.Kind {
			example = k.Example
		}
	}
	ready := func() map[string]*fnv1.Resource {
		r := `{"status": {"conditions": [{"type": "Ready", "status": "True"}]}}`
		return map[string]*fnv1.Resource{
			servicebundle.Repository:  {Resource: resource.MustStructJSON(r)},
			servicebundle.CatalogFile: {Resource: resource.MustStructJSON(r)},
		}
	}
	for name, observed := range map[string]map[string]*fnv1.Resource{"FirstReconcile": nil, "Registering": ready()} {
		b.Run(name, func(b *testing.B) {
			f := New(logging.NewNopLogger())
			req := runReq(bundleInput, &fnv1.State{Composite: xr(servicebundle.Kind, "ServiceBundle", "orders-api", example), Resources: observed})
			b.ReportAllocs()
			for b.Loop() {
				rsp, err := f.RunFunction(context.Background(), req)
				if err != nil || len(rsp.GetResults()) > 0 {
					b.Fatalf("RunFunction: %v %v", err, rsp.GetResults())
				}
			}
		})
		// Without the memo: a new function for every request, so the
		// bundle is composed anew (catalog-info.yaml, composed.From).
		b.Run(name+"Uncached", func(b *testing.B) {
			req := runReq(bundleInput, &fnv1.State{Composite: xr(servicebundle.Kind, "ServiceBundle", "orders-api", example), Resources: observed})
			b.ReportAllocs()
			for b.Loop() {
				rsp, err := New(logging.NewNopLogger()).RunFunction(context.Background(), req)
				if err != nil || len(rsp.GetResults()) > 0 {
					b.Fatalf("RunFunction: %v %v", err, rsp.GetResults())
				}
			}
		})
	}
}

// serviceBundleFirstReconcile is the registry's example ServiceBundle as a
// live composite, nothing composed yet.
func serviceBundleFirstReconcile() *fnv1.RunFunctionRequest {
	var example string
	for _, k := range Kinds {
		if k.Composite == servicebundle.Kind {
			example = k.Example
		}
	}
	return runReq(bundleInput, &fnv1.State{Composite: realistic(xr(servicebundle.Kind, "ServiceBundle", "orders-api", example), nil)})
}
