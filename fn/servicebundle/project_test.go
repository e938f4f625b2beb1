package servicebundle

import (
	"strings"
	"testing"
)

func TestProject(t *testing.T) {
	cases := map[string]struct {
		pattern, owner, namespace string
	}{
		"Both":             {"team-{owner}-{namespace}", "payments", "orders"},
		"NoPlaceholder":    {"default", "payments", "orders"},
		"Repeated":         {"{owner}{owner}-{namespace}{namespace}", "a", "b"},
		"OnlyBraces":       {"{{owner}}-{x}-{", "a", "b"},
		"ValueLooksLikeIt": {"{owner}-{namespace}", "{namespace}", "{owner}"},
		"Empty":            {"", "a", "b"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want := strings.NewReplacer(placeholderOwner, tc.owner, placeholderNamespace, tc.namespace).Replace(tc.pattern)
			if got := project(tc.pattern, tc.owner, tc.namespace); got != want {
				t.Errorf("project(%q, %q, %q) = %q, want %q (as strings.NewReplacer)", tc.pattern, tc.owner, tc.namespace, got, want)
			}
		})
	}
}
