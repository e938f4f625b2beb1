package compose

import (
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
)

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
