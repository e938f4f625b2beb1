package compose

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestAddObject(t *testing.T) {
	xr := &Composite{APIVersion: "v", Kind: "XServiceBundle", Name: "x", ClaimKind: "ServiceBundle", ClaimName: "orders-api", ClaimNamespace: "team-orders"}
	health := func(obs *structpb.Struct) (bool, string) {
		st := obs.GetFields()["status"].GetStructValue().GetFields()["health"].GetStringValue()
		return st == "Healthy", "health " + st
	}
	req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{
		"app":  {Resource: resource.MustStructJSON(`{"status": {"health": "Progressing"}}`)},
		"repo": {Resource: resource.MustStructJSON(`{"status": {"conditions": [{"type": "Ready", "status": "True"}]}}`)},
	}}}
	s := NewSet(req, xr, "service")
	s.AddObject("app", resource.MustStructJSON(`{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": {"name": "orders-api-staging", "namespace": "argocd", "labels": {"environment": "staging", "app.kubernetes.io/name": "kept"}}}`), health)
	s.AddObject("repo", resource.MustStructJSON(`{"apiVersion": "github.paved.dev/v1alpha1", "kind": "Repository",
		"metadata": {"name": "orders-api"}, "spec": {"forProvider": {"owner": "acme"}}}`), nil)
	labels := func(name string) string {
		return `"app.kubernetes.io/component": "service", "app.kubernetes.io/instance": "x", "app.kubernetes.io/managed-by": "paved",
			"app.kubernetes.io/part-of": "orders-api", "paved.dev/claim-name": "orders-api", "paved.dev/claim-namespace": "team-orders"` + name
	}
	want := map[string]*fnv1.Resource{
		"app": {Ready: fnv1.Ready_READY_FALSE, Resource: resource.MustStructJSON(`{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
			"metadata": {"name": "orders-api-staging", "namespace": "argocd", "labels": {"environment": "staging", ` + labels(`, "app.kubernetes.io/name": "kept"`) + `}}}`)},
		"repo": {Ready: fnv1.Ready_READY_TRUE, Resource: resource.MustStructJSON(`{"apiVersion": "github.paved.dev/v1alpha1", "kind": "Repository",
			"metadata": {"name": "orders-api", "finalizers": ["finalizer.managedresource.crossplane.io"], "labels": {` + labels(`, "app.kubernetes.io/name": "repo"`) + `}},
			"spec": {"forProvider": {"owner": "acme"}}}`)},
	}
	rsp := &fnv1.RunFunctionResponse{}
	s.Write(rsp)
	if diff := cmp.Diff(want, rsp.GetDesired().GetResources(), protocmp.Transform()); diff != "" {
		t.Errorf("AddObject: -want, +got:\n%s", diff)
	}
	if !s.IsReady("repo") || s.IsReady("app") || s.IsReady("missing") {
		t.Errorf("IsReady: want repo only, got repo=%t app=%t missing=%t", s.IsReady("repo"), s.IsReady("app"), s.IsReady("missing"))
	}

	msg := func(m string) *string { return &m }
	for name, tc := range map[string]struct {
		names []string
		want  *fnv1.Condition
	}{
		"OnlyTheNamedResources": {names: []string{"repo"}, want: &fnv1.Condition{Type: "RepositoryReady", Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "Available",
			Message: msg("the composed resource is ready"), Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}},
		"WhyFromReadiness": {names: []string{"app", "repo"}, want: &fnv1.Condition{Type: "RepositoryReady", Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "Creating",
			Message: msg("waiting for app (health Progressing)"), Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}},
	} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, s.Condition("RepositoryReady", tc.names...), protocmp.Transform()); diff != "" {
				t.Errorf("Condition: -want, +got:\n%s", diff)
			}
		})
	}
}
