package field

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNest(t *testing.T) {
	other := errors.New("not a field error")
	cases := map[string]struct {
		err  error
		want error
	}{
		"Nil": {err: nil, want: nil},
		"OneError": {
			err:  Invalid("spec.engine", "redis", "allowed values are \"postgresql\""),
			want: List{Invalid("spec.database.engine", "redis", "allowed values are \"postgresql\"")},
		},
		"ListKeepsOrderAndUnrelatedFields": {
			err: List{
				Required("spec.size", "a size"),
				Invalid("spec", nil, "an object"),
				Invalid("spec.tags[0]", "x", "y"),
				Invalid("spec.sizeGB", 1, "z"),
				Invalid("metadata.name", "A", "lowercase"),
			},
			want: List{
				Required("spec.database.size", "a size"),
				Invalid("spec.database", nil, "an object"),
				Invalid("spec.database.tags[0]", "x", "y"),
				Invalid("spec.database.sizeGB", 1, "z"),
				Invalid("metadata.name", "A", "lowercase"),
			},
		},
		"NotAFieldError": {err: other, want: other},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Nest(tc.err, "spec", "spec.database")
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error()) })); diff != "" {
				t.Errorf("Nest(...): -want, +got:\n%s", diff)
			}
		})
	}
}

func TestNestDoesNotModifyInput(t *testing.T) {
	in := List{Invalid("spec.engine", "redis", "x")}
	_ = Nest(in, "spec", "spec.database")
	if in[0].Field != "spec.engine" {
		t.Errorf("Nest modified its input: %q", in[0].Field)
	}
}
