package compose

import (
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// TestWithControllerFinalizer: every object is composed with the finalizer
// its controller adds, next to those it has, never twice, and kinds whose
// controller paved does not name get none.
func TestWithControllerFinalizer(t *testing.T) {
	cases := map[string]struct {
		obj  string
		want []string // the object's finalizers after, nil for none
	}{
		"Repository":           {`{"apiVersion": "github.paved.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "r"}}`, []string{ManagedFinalizer}},
		"NamespacedBranch":     {`{"apiVersion": "github.m.paved.dev/v1alpha1", "kind": "Branch", "metadata": {"name": "b"}}`, []string{ManagedFinalizer}},
		"CatalogLocation":      {`{"apiVersion": "backstage.paved.dev/v1alpha1", "kind": "CatalogLocation", "metadata": {"name": "l"}}`, []string{ManagedFinalizer}},
		"NestedXDatabase":      {`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "d"}}`, []string{CompositeFinalizer}},
		"NestedDatabase":       {`{"apiVersion": "paved.dev/v1alpha1", "kind": "Database", "metadata": {"name": "d", "namespace": "n"}}`, []string{CompositeFinalizer}},
		"ClusterUsage":         {`{"apiVersion": "protection.crossplane.io/v1beta1", "kind": "ClusterUsage", "metadata": {"name": "u"}}`, []string{UsageFinalizer}},
		"Usage":                {`{"apiVersion": "protection.crossplane.io/v1beta1", "kind": "Usage", "metadata": {"name": "u", "namespace": "n"}}`, []string{UsageFinalizer}},
		"AlreadyThere":         {`{"apiVersion": "github.paved.dev/v1alpha1", "kind": "Repository", "metadata": {"name": "r", "finalizers": ["finalizer.managedresource.crossplane.io"]}}`, []string{ManagedFinalizer}},
		"NextToAnother":        {`{"apiVersion": "protection.crossplane.io/v1beta1", "kind": "Usage", "metadata": {"name": "u", "finalizers": ["example.org/other"]}}`, []string{"example.org/other", UsageFinalizer}},
		"ApplicationKeepsArgo": {`{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "a", "finalizers": ["resources-finalizer.argocd.argoproj.io"]}}`, []string{"resources-finalizer.argocd.argoproj.io"}},
		"Secret":               {`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}`, nil},
		"ProviderAWS":          {`{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance", "metadata": {"name": "i"}}`, nil},
		"NoMetadata":           {`{"apiVersion": "github.paved.dev/v1alpha1", "kind": "Repository"}`, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := resource.MustStructJSON(tc.obj)
			before := proto.Clone(pb.Struct(obj, "metadata"))
			var list *structpb.Value
			if before != nil {
				list = obj.GetFields()["metadata"].GetStructValue().GetFields()["finalizers"]
			}
			listBefore := proto.Clone(list)
			withControllerFinalizer(obj)
			var got []string
			for _, v := range pb.Get(obj, "metadata", "finalizers").GetListValue().GetValues() {
				got = append(got, v.GetStringValue())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("metadata.finalizers: -want, +got:\n%s", diff)
			}
			// The list it had is shared with whoever built it: a new
			// one replaces it, it is never appended to.
			if diff := cmp.Diff(listBefore, list, protocmp.Transform()); list != nil && diff != "" {
				t.Errorf("the object's own finalizers list was modified: -before, +after:\n%s", diff)
			}
		})
	}
}

// TestControllerFinalizerPavedKinds: every provider-paved kind paved
// composes, of both scopes, is composed with the managed reconciler's
// finalizer, and every namespaced composite paved composes with core's
// composite finalizer.
func TestControllerFinalizerPavedKinds(t *testing.T) {
	for from, to := range pavedNamespacedKinds {
		apiVersion, _, _ := strings.Cut(from, " ")
		for _, av := range []string{apiVersion, to} {
			if got := ControllerFinalizer(av); got != ManagedFinalizer {
				t.Errorf("ControllerFinalizer(%q) = %q, want %q", av, got, ManagedFinalizer)
			}
		}
	}
	if got := ControllerFinalizer(NamespacedCompositeAPIVersion); got != CompositeFinalizer {
		t.Errorf("ControllerFinalizer(%q) = %q, want %q", NamespacedCompositeAPIVersion, got, CompositeFinalizer)
	}
	if got := ControllerFinalizer(UsageAPIVersion); got != UsageFinalizer {
		t.Errorf("ControllerFinalizer(%q) = %q, want %q", UsageAPIVersion, got, UsageFinalizer)
	}
}
