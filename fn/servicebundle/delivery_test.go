package servicebundle

import (
	"slices"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// TestDestination: each environment's Application deploys into its own
// namespace, as the platform's pattern makes it; an Application that exists
// keeps the one it has and the bundle says so; every Application fails a
// sync rather than take over another Application's object.
func TestDestination(t *testing.T) {
	// An Application as Argo CD keeps it, synced, deploying into ns.
	app := func(ns string) string {
		return `{"metadata": {"name": "team-orders--orders-api-staging"}, "spec": {"source": {"repoURL": "https://github.com/acme/orders-api.git"}, "destination": {"namespace": "` + ns + `"}},` +
			` "status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced"}, "history": [{"id": 0}]}}`
	}
	prodApp := func(ns string) string {
		return `{"metadata": {"name": "team-orders--orders-api-production"}, "spec": {"source": {"repoURL": "https://github.com/acme/orders-api.git"}, "destination": {"namespace": "` + ns + `"}},` +
			` "status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced"}, "history": [{"id": 0}]}}`
	}
	type want struct {
		destinations map[string]string
		drifts       []compose.Drift
		delivery     *fnv1.Condition
	}
	ready := cond(ConditionDelivery, "True", "Available", "all 2 composed resources are ready")
	cases := map[string]struct {
		reason   string
		pattern  string
		observed map[string]string
		want     want
	}{
		"New": {
			reason:   "A new bundle: each environment its own namespace, from the claim's namespace (the default pattern).",
			observed: map[string]string{Repository: readyRepo},
			want: want{
				destinations: map[string]string{"staging": "team-orders-staging", "production": "team-orders-production"},
				delivery:     cond(ConditionDelivery, "False", "Creating", delivering),
			},
		},
		"TeamPattern": {
			reason:   "The platform's pattern may use the namespace's team (the test environment maps team-orders to orders).",
			pattern:  "{team}-{environment}",
			observed: map[string]string{Repository: readyRepo},
			want: want{
				destinations: map[string]string{"staging": "orders-staging", "production": "orders-production"},
				delivery:     cond(ConditionDelivery, "False", "Creating", delivering),
			},
		},
		"ExistingKeepsItsOwn": {
			reason:   "Applications that deploy where the pattern says: nothing to report.",
			observed: map[string]string{Repository: readyRepo, ApplicationPrefix + "staging": app("team-orders-staging"), ApplicationPrefix + "production": prodApp("team-orders-production")},
			want: want{
				destinations: map[string]string{"staging": "team-orders-staging", "production": "team-orders-production"},
				delivery:     ready,
			},
		},
		"UpgradeKeepsClaimNamespace": {
			reason: "Applications made before each environment had its own namespace deploy into the claim's: they keep it (Argo CD would deploy anew and prune the old), " +
				"and the bundle says the environment's new namespace is not applied.",
			observed: map[string]string{Repository: readyRepo, ApplicationPrefix + "staging": app("team-orders"), ApplicationPrefix + "production": prodApp("team-orders")},
			want: want{
				destinations: map[string]string{"staging": "team-orders", "production": "team-orders"},
				drifts: []compose.Drift{
					{Setting: "serviceBundle.applicationNamespace", Resource: "application-staging", Pinned: []string{"team-orders"}, Wanted: []string{"team-orders-staging"}, Source: "input environment.serviceBundle.applicationNamespace"},
					{Setting: "serviceBundle.applicationNamespace", Resource: "application-production", Pinned: []string{"team-orders"}, Wanted: []string{"team-orders-production"}, Source: "input environment.serviceBundle.applicationNamespace"},
				},
				delivery: cond(ConditionDelivery, "True", compose.ReasonEnvironmentChanged, "all 2 composed resources are ready; environment changes not applied, existing resources cannot move: "+
					`serviceBundle.applicationNamespace stays "team-orders" as the existing application-staging has it; input environment.serviceBundle.applicationNamespace asks for "team-orders-staging"; `+
					`serviceBundle.applicationNamespace stays "team-orders" as the existing application-production has it; input environment.serviceBundle.applicationNamespace asks for "team-orders-production"`),
			},
		},
		"NewPatternKeepsExisting": {
			reason:   "A new pattern applies to new Applications only: staging exists and stays, production is new and follows the pattern.",
			pattern:  "{team}-{environment}",
			observed: map[string]string{Repository: readyRepo, ApplicationPrefix + "staging": app("team-orders-staging")},
			want: want{
				destinations: map[string]string{"staging": "team-orders-staging", "production": "orders-production"},
				drifts: []compose.Drift{
					{Setting: "serviceBundle.applicationNamespace", Resource: "application-staging", Pinned: []string{"team-orders-staging"}, Wanted: []string{"orders-staging"}, Source: "input environment.serviceBundle.applicationNamespace"},
				},
				delivery: cond(ConditionDelivery, "False", "Creating", delivering+"; environment changes not applied, existing resources cannot move: "+
					`serviceBundle.applicationNamespace stays "team-orders-staging" as the existing application-staging has it; input environment.serviceBundle.applicationNamespace asks for "orders-staging"`),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obs := map[string]*fnv1.Resource{}
			for n, js := range tc.observed {
				obs[n] = &fnv1.Resource{Resource: resource.MustStructJSON(js)}
			}
			xr := bundle(`{"description": "d", "template": "go-service", "environments": ["staging", "production"]}`)
			e := environment(t)
			if tc.pattern != "" {
				e.ServiceBundle.ApplicationNamespace = tc.pattern
			}
			set := compose.NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: obs}}, xr, Composer{}.Component())
			if err := (Composer{}).Compose(xr, e, set); err != nil {
				t.Fatalf("Compose: %v", err)
			}
			got := want{destinations: map[string]string{}, drifts: set.Drifts()}
			for _, env := range Environments {
				a := set.Desired(ApplicationPrefix + env)
				got.destinations[env], _ = pb.String(a, "spec", "destination", "namespace")
				var opts []string
				for _, v := range pb.Get(a, "spec", "syncPolicy", "syncOptions").GetListValue().GetValues() {
					opts = append(opts, v.GetStringValue())
				}
				if !slices.Contains(opts, "FailOnSharedResource=true") {
					t.Errorf("%s Application's syncOptions %v: want FailOnSharedResource=true", env, opts)
				}
			}
			for _, c := range (Composer{}).Status(xr, set).Conditions {
				if c.GetType() == ConditionDelivery {
					got.delivery = c
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nCompose: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
