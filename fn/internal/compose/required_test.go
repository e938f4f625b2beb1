package compose

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestRequired(t *testing.T) {
	app := resource.MustStructJSON(`{"metadata": {"name": "a"}}`)
	req := &fnv1.RunFunctionRequest{
		RequiredResources: map[string]*fnv1.Resources{"exists": {Items: []*fnv1.Resource{{Resource: app}}}, "none": {}},
		ExtraResources:    map[string]*fnv1.Resources{"v1": {Items: []*fnv1.Resource{{Resource: app}}}}, //nolint:staticcheck // Crossplane v1's field, what this case is about
	}
	s := NewSet(req, &Composite{Name: "x"}, "c")
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
		o, f := s.Required(name)
		if diff := cmp.Diff(want, got{o, f}, protocmp.Transform()); diff != "" {
			t.Errorf("Required(%q): -want, +got:\n%s", name, diff)
		}
	}
}

func TestControlledBy(t *testing.T) {
	cases := map[string]struct {
		owners string
		uid    string
		want   bool
		desc   string
	}{
		"None":          {owners: `[]`, uid: "u", desc: ""},
		"Controller":    {owners: `[{"kind": "XServiceBundle", "name": "b", "uid": "u", "controller": true}]`, uid: "u", want: true, desc: "XServiceBundle b (uid u)"},
		"OtherOne":      {owners: `[{"kind": "XServiceBundle", "name": "b", "uid": "v", "controller": true}]`, uid: "u", desc: "XServiceBundle b (uid v)"},
		"OwnerOnly":     {owners: `[{"kind": "XServiceBundle", "name": "b", "uid": "u"}]`, uid: "u", desc: ""},
		"EmptyUIDNever": {owners: `[{"kind": "X", "name": "b", "uid": "", "controller": true}]`, uid: "", desc: "X b (uid )"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := resource.MustStructJSON(`{"metadata": {"ownerReferences": ` + tc.owners + `}}`)
			if got := ControlledBy(obj, tc.uid); got != tc.want {
				t.Errorf("ControlledBy = %t, want %t", got, tc.want)
			}
			if desc, _ := Controller(obj); desc != tc.desc {
				t.Errorf("Controller = %q, want %q", desc, tc.desc)
			}
		})
	}
}
