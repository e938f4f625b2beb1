package servicebundle

import (
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// TestRepositoryName: the platform's repositoryName pattern names a new
// service's repository and everything that finds the service across the
// platform (its Backstage Component and Resources, the annotations that
// find its repository, dashboards and Applications); with "{team}" two
// teams' services of one name never meet, and a repository that exists
// keeps its name whatever the pattern says now.
func TestRepositoryName(t *testing.T) {
	const spec = `{"description": "d", "template": "go-service", "system": "orders", "database": {"engine": "postgresql", "size": "small"}, "environments": ["staging", "production"]}`
	// A Repository the provider created and observed: its name is its
	// GitHub name.
	existing := `{"metadata": {"name": "orders-api"}, "status": {"atProvider": {"cloneURL": "https://github.com/acme/orders-api.git"}}}`
	long := strings.Repeat("t", 55)
	type want struct {
		Repository, Component, Title, Slug, Grafana, Selector, AppLabel, Database string
		Err                                                                       string
	}
	cases := map[string]struct {
		reason    string
		pattern   string
		namespace string
		service   string
		observed  string
		want      want
	}{
		"Default": {
			reason:  "The default names the repository and Component after the service, as paved always did.",
			pattern: "{service}", namespace: "team-orders",
			want: want{Repository: "orders-api", Component: "orders-api", Slug: "acme/orders-api", Grafana: "service=orders-api",
				Selector: "paved.dev/service=orders-api", AppLabel: "orders-api", Database: "resource:default/orders-api-database"},
		},
		"TeamPrefix": {
			reason:  "With {team} the orders team's orders-api is its own name; the Component shows the service's name as its title.",
			pattern: "{team}-{service}", namespace: "team-orders",
			want: want{Repository: "orders-orders-api", Component: "orders-orders-api", Title: "orders-api", Slug: "acme/orders-orders-api",
				Grafana: "service=orders-orders-api", Selector: "paved.dev/service=orders-orders-api", AppLabel: "orders-orders-api",
				Database: "resource:default/orders-orders-api-database"},
		},
		"OtherTeamSameService": {
			reason:  "Another team's orders-api has another repository, Component, Resources and Application selector: nothing of one is found for the other.",
			pattern: "{team}-{service}", namespace: "team-payments",
			want: want{Repository: "payments-team-orders-api", Component: "payments-team-orders-api", Title: "orders-api", Slug: "acme/payments-team-orders-api",
				Grafana: "service=payments-team-orders-api", Selector: "paved.dev/service=payments-team-orders-api", AppLabel: "payments-team-orders-api",
				Database: "resource:default/payments-team-orders-api-database"},
		},
		"UnmappedNamespace": {
			reason:  "A namespace the platform did not map is its own team, named after it.",
			pattern: "{namespace}-{service}", namespace: "team-search",
			want: want{Repository: "team-search-orders-api", Component: "team-search-orders-api", Title: "orders-api", Slug: "acme/team-search-orders-api",
				Grafana: "service=team-search-orders-api", Selector: "paved.dev/service=team-search-orders-api", AppLabel: "team-search-orders-api",
				Database: "resource:default/team-search-orders-api-database"},
		},
		"ExistingKeepsName": {
			reason:  "A repository made under an earlier pattern keeps its name, and its Component with it: a new name would be a new repository.",
			pattern: "{team}-{service}", namespace: "team-orders", observed: existing,
			want: want{Repository: "orders-api", Component: "orders-api", Slug: "acme/orders-api", Grafana: "service=orders-api",
				Selector: "paved.dev/service=orders-api", AppLabel: "orders-api", Database: "resource:default/orders-api-database"},
		},
		"PrefixOfAnotherTeamsName": {
			reason:  "Team orders' service eu-api would make orders-eu-api, which is team orders-eu's service api: refused, so that orders cannot hold orders-eu's name.",
			pattern: "{team}-{service}", namespace: "team-orders", service: "eu-api",
			want: want{Err: `metadata.name: invalid value "eu-api": another name: the platform's "serviceBundle.repositoryName", "{team}-{service}", makes "orders-eu-api", which is also the name of service "api" of team "orders-eu" (namespace "team-orders-eu"), whose team name is the longer part of it; that name is theirs`},
		},
		"LongerTeamHasItsName": {
			reason:  "Team orders-eu's service api makes orders-eu-api: the name is the team's whose name is its longer part.",
			pattern: "{team}-{service}", namespace: "team-orders-eu", service: "api",
			want: want{Repository: "orders-eu-api", Component: "orders-eu-api", Title: "api", Slug: "acme/orders-eu-api",
				Grafana: "service=orders-eu-api", Selector: "paved.dev/service=orders-eu-api", AppLabel: "orders-eu-api",
				Database: "resource:default/orders-eu-api-database"},
		},
		"SameTeamTwoNamespaces": {
			reason:  "Two namespaces of one team share its names: neither is refused for the other's.",
			pattern: "{team}-{service}", namespace: "team-orders-batch", service: "api",
			want: want{Repository: "orders-api", Component: "orders-api", Title: "api", Slug: "acme/orders-api",
				Grafana: "service=orders-api", Selector: "paved.dev/service=orders-api", AppLabel: "orders-api",
				Database: "resource:default/orders-api-database"},
		},
		"ExistingPrefixNameKept": {
			reason:  "A repository that exists keeps its name, even one the rule would refuse today: refusing it would be taking it away.",
			pattern: "{team}-{service}", namespace: "team-orders", service: "eu-api",
			observed: `{"metadata": {"name": "orders-eu-api"}, "status": {"atProvider": {"cloneURL": "https://github.com/acme/orders-eu-api.git"}}}`,
			want: want{Repository: "orders-eu-api", Component: "orders-eu-api", Title: "eu-api", Slug: "acme/orders-eu-api",
				Grafana: "service=orders-eu-api", Selector: "paved.dev/service=orders-eu-api", AppLabel: "orders-eu-api",
				Database: "resource:default/orders-eu-api-database"},
		},
		"TooLong": {
			reason:  "A name the pattern makes too long for a Backstage entity is refused, naming the pattern and the limit.",
			pattern: "{team}-{service}", namespace: "team-long",
			want: want{Err: `metadata.name: invalid value "orders-api": a shorter name: the platform names the service's repository and catalog entity "serviceBundle.repositoryName", whose "{team}-{service}" makes "` +
				long + `-orders-api" (66 characters), and they are at most 63 characters`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr := bundle(spec)
			xr.ClaimNamespace = tc.namespace
			if tc.service != "" {
				xr.ClaimName = tc.service
			}
			e := environment(t)
			teams := env.Teams{"team-orders": {Team: "orders"}, "team-payments": {Team: "payments-team"}, "team-long": {Team: long},
				"team-orders-eu": {Team: "orders-eu"}, "team-orders-batch": {Team: "orders"}}
			e.ServiceBundle.Namespaces = &teams
			e.ServiceBundle.RepositoryName = tc.pattern
			compose1 := func(observed map[string]*fnv1.Resource) (*compose.Set, error) {
				set := compose.NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: observed}}, xr, Composer{}.Component())
				return set, (Composer{}).Compose(xr, e, set)
			}
			var got want
			// Before the repository exists, then once it does (under the
			// name it was created with, or an earlier one), with the
			// Applications that wait for it.
			observed := map[string]*fnv1.Resource{}
			if tc.observed != "" {
				observed[Repository] = &fnv1.Resource{Resource: resource.MustStructJSON(tc.observed)}
			}
			set, err := compose1(observed)
			if err != nil {
				got.Err = err.Error()
			} else {
				created, _ := pb.String(set.Desired(Repository), "metadata", "name")
				observed[Repository] = &fnv1.Resource{Resource: resource.MustStructJSON(`{"metadata": {"name": "` + created + `"}, "status": {"atProvider": {"fullName": "acme/` + created + `", "cloneURL": "https://github.com/acme/` + created + `.git"}}}`)}
				if set, err = compose1(observed); err != nil {
					t.Fatal(err)
				}
				got = observedNames(t, set)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nCompose: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// observedNames reads every name the desired objects give the service.
func observedNames(t *testing.T, set *compose.Set) (w struct {
	Repository, Component, Title, Slug, Grafana, Selector, AppLabel, Database string
	Err                                                                       string
}) {
	t.Helper()
	w.Repository, _ = pb.String(set.Desired(Repository), "metadata", "name")
	content, _ := pb.String(set.Desired(CatalogFile), "spec", "forProvider", "content")
	// field is the value of key at indent: 2 for the metadata's, 4 for
	// annotations.
	field := func(doc string, indent int, key string) string {
		for l := range strings.SplitSeq(doc, "\n") {
			if v, ok := strings.CutPrefix(l, strings.Repeat(" ", indent)+key+": "); ok {
				return v
			}
		}
		return ""
	}
	component, _, _ := strings.Cut(content, "---")
	w.Component = field(component, 2, "name")
	w.Title = field(component, 2, "title")
	w.Slug = field(component, 4, annotationProjectSlug)
	w.Grafana = field(component, 4, annotationGrafanaSelect)
	w.Selector = field(component, 4, annotationArgoCDApps)
	for l := range strings.SplitSeq(component, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "- resource:"); ok {
			w.Database = "resource:" + v // the one dependsOn entry
		}
	}
	w.AppLabel, _ = pb.String(set.Desired(ApplicationPrefix+"staging"), "metadata", "labels", argoCDSelectLabel)
	return w
}
