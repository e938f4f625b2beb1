package env

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
)

func TestProject(t *testing.T) {
	cases := map[string]struct {
		pattern, team, namespace string
	}{
		"Both":             {"x-{team}-{namespace}", "payments", "orders"},
		"NoPlaceholder":    {"default", "payments", "orders"},
		"Repeated":         {"{team}{team}-{namespace}{namespace}", "a", "b"},
		"OnlyBraces":       {"{{team}}-{x}-{", "a", "b"},
		"ValueLooksLikeIt": {"{team}-{namespace}", "{namespace}", "{team}"},
		"Owner":            {"{owner}-project", "a", "b"},
		"Empty":            {"", "a", "b"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want := strings.NewReplacer(PlaceholderTeam, tc.team, PlaceholderNamespace, tc.namespace).Replace(tc.pattern)
			if got := Project(tc.pattern, tc.team, tc.namespace); got != want {
				t.Errorf("Project(%q, %q, %q) = %q, want %q (as strings.NewReplacer)", tc.pattern, tc.team, tc.namespace, got, want)
			}
		})
	}
}

func TestTenant(t *testing.T) {
	type want struct {
		tenant Tenant
		err    string
	}
	teams := Teams{
		"team-orders": {Team: "orders"},
		"sandbox":     {Team: "platform", ArgoCDProject: ArgoCDDefaultProject},
		// A team whose claims' namespace is what the default
		// applicationNamespace makes of "shop" for staging.
		"shop-staging": {Team: "shopping"},
		"shop":         {Team: "shop"},
		// ...and of "lab" for production.
		"lab-production": {Team: "lab-prod"},
	}
	cases := map[string]struct {
		reason    string
		pattern   string
		namespace string
		want      want
	}{
		"Mapped": {
			reason:  "A mapped namespace: its team, the pattern's project for the team.",
			pattern: DefaultArgoCDProject, namespace: "team-orders",
			want: want{tenant: Tenant{Namespace: "team-orders", Team: "orders", ArgoCDProject: "orders-project", Mapped: true}},
		},
		"MappedToDefault": {
			reason:  "Only an explicit mapping may name Argo CD's default project.",
			pattern: DefaultArgoCDProject, namespace: "sandbox",
			want: want{tenant: Tenant{Namespace: "sandbox", Team: "platform", ArgoCDProject: "default", Mapped: true}},
		},
		"Unmapped": {
			reason:  "An unmapped namespace is its own team.",
			pattern: DefaultArgoCDProject, namespace: "team-search",
			want: want{tenant: Tenant{Namespace: "team-search", Team: "team-search", ArgoCDProject: "team-search-project"}},
		},
		"UnmappedIntoDefault": {
			reason:  "A pattern that makes Argo CD's default project for a namespace (here the namespace default) is refused for it.",
			pattern: "{namespace}", namespace: "default",
			want: want{err: `serviceBundle.namespaces: invalid value "default": a namespace that is mapped to a team: this one is not, and argoCDProject "{namespace}" makes Argo CD's "default" project for it, which allows every repository, destination and kind; ` +
				`serviceBundle.namespaces: invalid value "default": a namespace that is mapped to a team: this one is not, and its default Argo CD project "default" is the project of namespace "sandbox"`},
		},
		"UnmappedTeamTaken": {
			reason:  "An unmapped namespace named like a mapped team is refused: it must not share the team's privileges by its name.",
			pattern: "{namespace}", namespace: "platform",
			want: want{err: `serviceBundle.namespaces: invalid value "platform": a namespace that is mapped to a team: this one is not, and its default team "platform" is the team of namespace "sandbox"`},
		},
		"DestinationIsAClaimNamespace": {
			reason:  "A mapped namespace whose staging namespace is another team's claims' namespace is refused: its AppProject would let it deploy there.",
			pattern: DefaultArgoCDProject, namespace: "shop",
			want: want{err: `serviceBundle.applicationNamespace: invalid value "{namespace}-{environment}": a pattern that makes no claim namespace: for namespace "shop" it makes "shop-staging", the staging namespace, which namespaces maps to team "shopping" as its claims' namespace`},
		},
		"UnmappedDestinationIsAClaimNamespace": {
			reason:  "So is an unmapped one.",
			pattern: DefaultArgoCDProject, namespace: "lab",
			want: want{err: `serviceBundle.applicationNamespace: invalid value "{namespace}-{environment}": a pattern that makes no claim namespace: for namespace "lab" it makes "lab-production", the production namespace, which namespaces maps to team "lab-prod" as its claims' namespace`},
		},
		"UnmappedNotATeam": {
			reason:  "A namespace whose name is no team name must be mapped.",
			pattern: DefaultArgoCDProject, namespace: "a--b",
			want: want{err: `serviceBundle.namespaces: invalid value "a--b": a namespace that is mapped to a team: this one is not, and its name is not a team name (lowercase letters, digits and single hyphens) that could be its default team`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sb := defaultServiceBundle()
			sb.ArgoCDProject, sb.Namespaces = tc.pattern, &teams
			got := want{}
			tn, err := sb.Tenant(tc.namespace)
			if err != nil {
				if _, ok := errors.AsType[*Error](err); !ok {
					t.Errorf("Tenant: %q is not the platform's *Error", err)
				}
				got.err = err.Error()
			} else {
				got.tenant = tn
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nTenant(%q): -want, +got:\n%s", tc.reason, tc.namespace, diff)
			}
		})
	}
}

func TestResolveNamespaces(t *testing.T) {
	in := environment.Environment{ServiceBundle: &environment.ServiceBundleEnvironment{Namespaces: map[string]environment.NamespaceTeam{
		"team-orders": {Team: "orders"}, "team-search": {Team: "search"},
	}}}
	ec := mustStruct(t, map[string]any{"data": map[string]any{"paved": map[string]any{"serviceBundle": map[string]any{
		"namespaces": map[string]any{"team-search": map[string]any{"team": "discovery", "argoCDProject": "discovery"}},
	}}}})
	e, err := Resolve(in, "env", ec)
	if err != nil {
		t.Fatal(err)
	}
	want := Teams{"team-orders": {Team: "orders"}, "team-search": {Team: "discovery", ArgoCDProject: "discovery"}}
	if diff := cmp.Diff(&want, e.ServiceBundle.Namespaces); diff != "" {
		t.Errorf("Resolve: namespaces merge namespace by namespace: -want, +got:\n%s", diff)
	}
	for ns, src := range map[string]string{
		"team-orders": "input environment.serviceBundle.namespaces.team-orders",
		"team-search": `EnvironmentConfig "env" data.paved.serviceBundle.namespaces.team-search`,
	} {
		if got := e.Source(ServiceBundleKey + "." + NamespacesKey + "." + ns); got != src {
			t.Errorf("Source(%s) = %q, want %q", ns, got, src)
		}
	}
}

// MappedTenants is Tenant for every mapped namespace: the same teams and
// projects, in namespace order, and Tenant's refusals joined.
func TestMappedTenants(t *testing.T) {
	sb := defaultServiceBundle()
	sb.Namespaces = &Teams{
		"team-orders":  {Team: "orders"},
		"sandbox":      {Team: "platform", ArgoCDProject: ArgoCDDefaultProject},
		"shop-staging": {Team: "shopping"},
		"shop":         {Team: "shop"},
	}
	got, err := sb.MappedTenants()
	want := []Tenant{
		{Namespace: "sandbox", Team: "platform", ArgoCDProject: "default", Mapped: true},
		{Namespace: "shop-staging", Team: "shopping", ArgoCDProject: "shopping-project", Mapped: true},
		{Namespace: "team-orders", Team: "orders", ArgoCDProject: "orders-project", Mapped: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MappedTenants: -want, +got:\n%s", diff)
	}
	if _, terr := sb.Tenant("shop"); err == nil || terr == nil || !strings.Contains(err.Error(), terr.Error()) {
		t.Errorf("MappedTenants: error %v, want it to hold Tenant(shop)'s %v", err, terr)
	}

	sb.Namespaces = nil
	if got, err := sb.MappedTenants(); len(got) != 0 || err != nil {
		t.Errorf("MappedTenants without namespaces = %v, %v; want none", got, err)
	}
}
