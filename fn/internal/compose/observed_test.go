package compose

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
)

// ObservedState answers what Crossplane observed of each composed
// resource: the object, its connection details and its Ready condition,
// nothing for a resource that does not exist yet.
func TestObservedState(t *testing.T) {
	db := resource.MustStructJSON(`{"kind": "Instance", "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Creating"}]}}`)
	o := NewObservedState(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{
		"db": {Resource: db, ConnectionDetails: map[string][]byte{"endpoint": []byte("db.example")}},
	}}})
	type answer struct {
		Object          *structpb.Struct
		Details         map[string][]byte
		Status, Reason  string
		ConditionExists bool
	}
	for name, want := range map[string]answer{
		"db":     {Object: db, Details: map[string][]byte{"endpoint": []byte("db.example")}, Status: "False", Reason: "Creating", ConditionExists: true},
		"absent": {},
	} {
		status, reason, ok := o.condition(name)
		got := answer{o.Observed(name), o.ObservedConnectionDetails(name), status, reason, ok}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s: -want, +got:\n%s", name, diff)
		}
	}
}

// Required reads what Crossplane fetched for a requirement: Crossplane v2's
// required resources, else v1's extra resources; fetched without an object
// when none exists, not fetched until it was asked for.
func TestRequired(t *testing.T) {
	app := resource.MustStructJSON(`{"metadata": {"name": "a"}}`)
	o := NewObservedState(&fnv1.RunFunctionRequest{
		RequiredResources: map[string]*fnv1.Resources{"exists": {Items: []*fnv1.Resource{{Resource: app}}}, "none": {}},
		ExtraResources:    map[string]*fnv1.Resources{"v1": {Items: []*fnv1.Resource{{Resource: app}}}}, //nolint:staticcheck // Crossplane v1's field, what this case is about
	})
	type got struct {
		Obj     *structpb.Struct
		Fetched bool
	}
	for name, want := range map[string]got{
		"exists":      {app, true},
		"none":        {nil, true},
		"v1":          {app, true},
		"not-fetched": {nil, false},
	} {
		obj, f := o.Required(name)
		if diff := cmp.Diff(want, got{obj, f}, protocmp.Transform()); diff != "" {
			t.Errorf("Required(%q): -want, +got:\n%s", name, diff)
		}
	}
}
