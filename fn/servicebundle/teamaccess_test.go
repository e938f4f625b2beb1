package servicebundle

import (
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"

	inputenv "github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// The owning team gets write access only when the platform maps the
// claim's namespace to it: the team is the mapping's, never the claim's
// spec.owner, and a namespace the platform did not map gets none (its
// default team is only the namespace's name).
func TestTeamAccess(t *testing.T) {
	cases := map[string]struct {
		reason     string
		namespaces map[string]inputenv.NamespaceTeam
		want       map[string]string // composed team-access resource -> team
	}{
		"Mapped": {
			reason:     "team-orders is the orders team's: orders may push.",
			namespaces: map[string]inputenv.NamespaceTeam{"team-orders": {Team: "orders"}},
			want:       map[string]string{TeamAccessPrefix + "orders": "orders"},
		},
		"MappedToAnotherTeam": {
			reason:     "The platform's mapping decides, whatever the namespace is called.",
			namespaces: map[string]inputenv.NamespaceTeam{"team-orders": {Team: "fulfilment"}},
			want:       map[string]string{TeamAccessPrefix + "fulfilment": "fulfilment"},
		},
		"Unmapped": {
			reason:     "A namespace the platform did not map gets no team access.",
			namespaces: map[string]inputenv.NamespaceTeam{"team-payments": {Team: "payments"}},
			want:       map[string]string{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := env.Resolve(inputenv.Environment{ServiceBundle: &inputenv.ServiceBundleEnvironment{
				GitHubOwner: "acme", GrafanaURL: "https://grafana.example.com", Namespaces: tc.namespaces,
			}}, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			// spec.owner left out: the claim does not say who owns it.
			xr := bundle(strings.Replace(fullSpec, `"owner": "orders", `, "", 1))
			// Once the provider observed the repository (composeOnRepository).
			observed := &fnv1.State{Resources: map[string]*fnv1.Resource{Repository: {Resource: resource.MustStructJSON(readyRepo)}}}
			set := compose.NewSet(&fnv1.RunFunctionRequest{Observed: observed}, xr, Composer{}.Component())
			if err := (Composer{}).Compose(xr, e, set); err != nil {
				t.Fatalf("Compose: %v", err)
			}
			rsp := &fnv1.RunFunctionResponse{}
			set.Write(rsp)
			got := map[string]string{}
			for n, r := range rsp.GetDesired().GetResources() {
				if !strings.HasPrefix(n, TeamAccessPrefix) {
					continue
				}
				team, _ := pb.String(r.GetResource(), "spec", "forProvider", "team")
				got[n] = team
				if p, _ := pb.String(r.GetResource(), "spec", "forProvider", "permission"); p != "push" {
					t.Errorf("%s: permission %q, want push", n, p)
				}
				if a, _ := pb.Bool(r.GetResource(), "spec", "forProvider", "adoptExisting"); a {
					t.Errorf("%s adopts existing access", n)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nteam access: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
