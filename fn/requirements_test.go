package fn

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/paved-dev/paved/fn/servicebundle"
)

// TestRequirementsInOneField holds addRequirement to the field the calling
// Crossplane reads, and only that one, for every kind, on the request that
// requires the EnvironmentConfig and on the one that requires what the
// composer must see (a ServiceBundle's Applications).
//
// A field Crossplane v1.20 does not know reaches its reflect.DeepEqual as
// unknown bytes in Go's map order, and the requirements never stabilise
// (see addRequirement); the render of make render-compat failed at random
// that way.
func TestRequirementsInOneField(t *testing.T) {
	// The EnvironmentConfig as Crossplane fetches it; the bundle's section
	// comes from the input (inputWithEC has none).
	input := strings.Replace(inputWithEC, `"allowedCidrs": ["10.20.0.0/16"]`,
		`"allowedCidrs": ["10.20.0.0/16"], "serviceBundle": {"githubOwner": "acme"}`, 1)
	callers := map[string]struct {
		reason       string
		capabilities []fnv1.Capability
		want         string
	}{
		"CrossplaneV1": {
			reason: "Crossplane v1.20 sends no capabilities and reads requirements.extra_resources only (crossplane v1.20.1 run_function.proto, Requirements).",
			want:   "extra_resources",
		},
		"CrossplaneV2.4": {
			reason:       "Crossplane v2.4 advertises CAPABILITY_REQUIRED_RESOURCES and reads requirements.resources.",
			capabilities: v2Capabilities,
			want:         "resources",
		},
	}
	for name, caller := range callers {
		for _, k := range Kinds {
			t.Run(name+"/"+k.Claim, func(t *testing.T) {
				f := New(logging.NewNopLogger())
				req := runReq(input, &fnv1.State{Composite: xr(k.Composite, k.Claim, "orders", k.Example)})
				req.Meta.Capabilities = caller.capabilities
				req.RequiredResources = nil

				// First call: nothing fetched, the EnvironmentConfig is required.
				first, err := f.RunFunction(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				// Crossplane answers in the field it read it from.
				fetched := map[string]*fnv1.Resources{EnvironmentRequirement: ecResources(`{}`)}
				if caller.want == "resources" {
					req.RequiredResources = fetched
				} else {
					req.ExtraResources = fetched //nolint:staticcheck // Crossplane v1 support.
				}
				second, err := f.RunFunction(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				for i, rsp := range []*fnv1.RunFunctionResponse{first, second} {
					if rs := rsp.GetResults(); len(rs) > 0 {
						t.Fatalf("call %d: unexpected results: %v", i+1, rs)
					}
					var got []string
					rsp.GetRequirements().ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
						got = append(got, string(fd.Name()))
						return true
					})
					if diff := cmp.Diff([]string{caller.want}, got); diff != "" {
						t.Errorf("%s\ncall %d: requirement fields: -want, +got:\n%s", caller.reason, i+1, diff)
					}
				}
				if k.Composite == servicebundle.Kind {
					// The bundle's second call adds its Applications.
					if n := len(second.GetRequirements().GetResources()) + len(second.GetRequirements().GetExtraResources()); n != 3 { //nolint:staticcheck // Crossplane v1 support.
						t.Errorf("second call: %d requirements, want the EnvironmentConfig and two Applications", n)
					}
				}
				// The same request gives the same requirements: Crossplane
				// stops calling once two responses agree.
				again, err := f.RunFunction(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(second.GetRequirements(), again.GetRequirements()) {
					t.Errorf("requirements differ between two calls with the same request")
				}
			})
		}
	}
}
