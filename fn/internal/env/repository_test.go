package env

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRepositoryNameOf: of two tenants whose services make one repository
// name, the name is the one's whose pattern reads the shorter service from
// it, whatever the placeholders and however often "{service}" occurs.
func TestRepositoryNameOf(t *testing.T) {
	teams := Teams{
		"team-orders":    {Team: "orders"},
		"team-orders-eu": {Team: "orders-eu"},
		"orders":         {Team: "fulfilment"},
		"orders-eu":      {Team: "fulfilment-eu"},
	}
	type want struct {
		Namespace, Service string
		Taken              bool
	}
	cases := map[string]struct {
		pattern, namespace, service string
		want                        want
	}{
		"TeamPrefix":          {"{team}-{service}", "team-orders", "eu-api", want{"team-orders-eu", "api", true}},
		"LongerTeam":          {"{team}-{service}", "team-orders-eu", "api", want{}},
		"NoOtherTeam":         {"{team}-{service}", "team-orders", "billing", want{}},
		"NamespacePrefix":     {"{namespace}-{service}", "orders", "eu-api", want{"orders-eu", "api", true}},
		"ServiceOnly":         {"{service}", "team-orders", "eu-api", want{}},
		"ServiceFirst":        {"{service}-{team}", "team-orders-eu", "api", want{}},
		"ServiceTwice":        {"{team}-{service}-{service}", "team-orders", "eu-api", want{}},
		"InvalidOtherService": {"{team}-{service}", "team-orders", "eu", want{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sb := &ServiceBundle{RepositoryName: tc.pattern, Namespaces: &teams}
			self := Tenant{Namespace: tc.namespace, Team: teams[tc.namespace].Team}
			n := RepositoryName(tc.pattern, tc.service, self.Team, self.Namespace)
			other, s, taken := sb.RepositoryNameOf(n, tc.service, self)
			got := want{other.Namespace, s, taken}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("RepositoryNameOf(%q) for %s's %q: -want, +got:\n%s", n, tc.namespace, tc.service, diff)
			}
			if taken && RepositoryName(tc.pattern, s, other.Team, other.Namespace) != n {
				t.Errorf("team %s's service %q does not make %q", other.Team, s, n)
			}
		})
	}
}
