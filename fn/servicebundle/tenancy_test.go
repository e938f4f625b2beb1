package servicebundle

import (
	"errors"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

func TestApplicationName(t *testing.T) {
	long := strings.Repeat("a", 63)
	cases := map[string]struct {
		reason                      string
		namespace, service, environ string
		want                        string
	}{
		"Readable": {
			reason:    "A name that fits is the namespace, the service and the environment.",
			namespace: "team-orders", service: "orders-api", environ: "staging",
			want: "team-orders--orders-api-staging",
		},
		"Longest": {
			reason:    "The longest namespace and service: a readable beginning, a digest of the whole and the environment, 63 characters.",
			namespace: long, service: long, environ: "production",
			want: strings.Repeat("a", 35) + "-" + awsrules.Digest(long+"--"+long+"-production", 16) + "-production",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := applicationName(tc.namespace, tc.service, tc.environ)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\napplicationName(%q, %q, %q): -want, +got:\n%s", tc.reason, tc.namespace, tc.service, tc.environ, diff)
			}
			if len(got) > 63 || !naming.ValidNamespace(got) {
				t.Errorf("applicationName(...) = %q: not a label value and object name of at most 63 characters", got)
			}
		})
	}
}

// TestApplicationNamesUnique: claims in different namespaces, or of
// different services, never share an Application name, however their
// names split into hyphenated parts, and shortened names too.
func TestApplicationNamesUnique(t *testing.T) {
	long := strings.Repeat("b", 60)
	claims := [][2]string{
		{"team-orders", "orders-api"}, {"team", "orders-orders-api"}, {"team-orders-orders", "api"},
		{"a-b", "c"}, {"a", "b-c"}, {"a--b", "c"}, {"a---b", "c"}, {"a", "b-c-staging"}, {"a-b-c", "staging"},
		{long, long}, {long, long + "c"}, {long + "c", long}, {long[:45], "x"}, {long[:44], "xy"},
	}
	seen := map[string][2]string{}
	for _, c := range claims {
		if !isDNSLabel(c[0]) || len(c[0]) > 63 || !isService(c[1]) || len(c[1]) > 63 {
			t.Fatalf("%v is not a namespace and a service", c)
		}
		for _, e := range Environments {
			n := applicationName(c[0], c[1], e)
			if other, ok := seen[n]; ok {
				t.Errorf("applicationName: %v and %v in %s are both %q", other, c, e, n)
			}
			seen[n] = c
			if len(n) > 63 {
				t.Errorf("applicationName(%q, %q, %q) = %q: longer than 63 characters", c[0], c[1], e, n)
			}
		}
	}
}

func TestWithTenant(t *testing.T) {
	type want struct {
		team, project, system string
		err                   string
		envErr                bool
	}
	cases := map[string]struct {
		reason    string
		namespace string
		spec      string
		want      want
	}{
		"Mapped": {
			reason:    "A mapped namespace's team owns the bundle, with the pattern's project.",
			namespace: "team-orders", spec: `{"description": "d", "template": "go-service"}`,
			want: want{team: "orders", project: "orders-project", system: "orders-platform"},
		},
		"MappedWithProject": {
			reason:    "A mapped namespace's own project.",
			namespace: "team-payments", spec: `{"description": "d", "template": "go-service", "system": "pay"}`,
			want: want{team: "payments-team", project: "payments-project", system: "pay"},
		},
		"OwnerDescribes": {
			reason:    "A spec.owner that names the mapped team is accepted.",
			namespace: "team-orders", spec: `{"description": "d", "owner": "orders", "template": "go-service"}`,
			want: want{team: "orders", project: "orders-project", system: "orders-platform"},
		},
		"OwnerCannotChoose": {
			reason:    "A claim that names another team as owner is refused: the team, its project and its Backstage group are the platform's.",
			namespace: "team-orders", spec: `{"description": "d", "owner": "payments-team", "template": "go-service"}`,
			want: want{err: `spec.owner: invalid value "payments-team": "orders", the team the platform maps namespace "team-orders" to, or leave it out: the owning team, its Backstage group and its Argo CD project are the platform's to say`},
		},
		"Unmapped": {
			reason:    "An unmapped namespace is its own team, with its own project.",
			namespace: "team-search", spec: `{"description": "d", "owner": "team-search", "template": "go-service"}`,
			want: want{team: "team-search", project: "team-search-project", system: "team-search-platform"},
		},
		"UnmappedSharesATeam": {
			reason:    "An unmapped namespace named like a mapped team does not get that team's privileges: the platform must map it.",
			namespace: "orders", spec: `{"description": "d", "template": "go-service"}`,
			want: want{envErr: true, err: `serviceBundle.namespaces: invalid value "orders": a namespace that is mapped to a team: this one is not, and its default team "orders" is the team of namespace "team-orders"; ` +
				`serviceBundle.namespaces: invalid value "orders": a namespace that is mapped to a team: this one is not, and its default Argo CD project "orders-project" is the project of namespace "team-orders"`},
		},
		"UnmappedSharesAProject": {
			reason:    "An unmapped namespace whose default project is a mapped namespace's is refused.",
			namespace: "payments", spec: `{"description": "d", "template": "go-service"}`,
			want: want{envErr: true, err: `serviceBundle.namespaces: invalid value "payments": a namespace that is mapped to a team: this one is not, and its default Argo CD project "payments-project" is the project of namespace "team-payments"`},
		},
		"LongDefaultSystem": {
			reason:    "A team too long for the default system asks the claim for one.",
			namespace: strings.Repeat("n", 60), spec: `{"description": "d", "template": "go-service"}`,
			want: want{err: `spec.system: invalid value (none): required; a Backstage system name of at most 63 characters: the default, "` + strings.Repeat("n", 60) + `-platform", is longer`},
		},
	}
	st := testSettings("")
	// A project the pattern makes for an unmapped namespace must not be a
	// mapped namespace's.
	teams := env.Teams{"team-orders": {Team: "orders"}, "team-payments": {Team: "payments-team", ArgoCDProject: "payments-project"}}
	st.Namespaces = &teams
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr := bundle(tc.spec)
			xr.ClaimNamespace = tc.namespace
			s, err := parse(xr)
			if err != nil {
				t.Fatal(err)
			}
			var got want
			if c, err := s.withTenant(st); err != nil {
				var envErr *env.Error
				got = want{err: err.Error(), envErr: errors.As(err, &envErr)}
			} else {
				got = want{team: c.team, project: c.project, system: c.system}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nwithTenant: -want, +got:\n%s", tc.reason, diff)
			}
			if s.team != "" || s.system != "" && !strings.Contains(tc.spec, "system") {
				t.Errorf("withTenant modified the shared parse: %+v", s)
			}
		})
	}
}

// TestComposeTenant: what a bundle composes carries the platform's tenant
// of its namespace, whatever the claim says.
func TestComposeTenant(t *testing.T) {
	xr := bundle(`{"description": "d", "template": "go-service", "environments": ["staging"]}`)
	xr.ClaimNamespace = "team-payments"
	set := compose.NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{
		Repository: {Resource: resource.MustStructJSON(readyRepo)},
	}}}, xr, Composer{}.Component())
	e := environment(t)
	teams := env.Teams{"team-payments": {Team: "payments-team", ArgoCDProject: "payments"}}
	e.ServiceBundle.Namespaces = &teams
	if err := (Composer{}).Compose(xr, e, set); err != nil {
		t.Fatalf("Compose: %v", err)
	}
	app := set.Desired(ApplicationPrefix + "staging")
	got := map[string]string{}
	got["name"], _ = pb.String(app, "metadata", "name")
	got["project"], _ = pb.String(app, "spec", "project")
	got["team"], _ = pb.String(app, "metadata", "labels", "team")
	got["destination"], _ = pb.String(app, "spec", "destination", "namespace")
	content, _ := pb.String(set.Desired(CatalogFile), "spec", "forProvider", "content")
	got["owner"] = "missing"
	if strings.Contains(content, "\n  owner: group:default/payments-team\n") {
		got["owner"] = "group:default/payments-team"
	}
	want := map[string]string{
		"name": "team-payments--orders-api-staging", "project": "payments", "team": "payments-team",
		"destination": "team-payments-staging", "owner": "group:default/payments-team",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Compose: -want, +got:\n%s\ncatalog-info.yaml:\n%s", diff, content)
	}
}

func TestRequirements(t *testing.T) {
	xr := bundle(fullSpec)
	observed := map[string]*fnv1.Resource{
		// Made before names carried the namespace: it keeps its name.
		ApplicationPrefix + "production": {Resource: resource.MustStructJSON(`{"metadata": {"name": "orders-api-production", "namespace": "argocd"}}`)},
	}
	set := compose.NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: observed}}, xr, "service")
	got, err := Composer{}.Requirements(xr, environment(t), set)
	if err != nil {
		t.Fatal(err)
	}
	want := []compose.Requirement{
		{Name: ApplicationPrefix + "staging", Required: compose.Required{APIVersion: ApplicationAPIVersion, Kind: ApplicationKind, Namespace: "argocd", Name: "team-orders--orders-api-staging"}},
		{Name: ApplicationPrefix + "production", Required: compose.Required{APIVersion: ApplicationAPIVersion, Kind: ApplicationKind, Namespace: "argocd", Name: "orders-api-production"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Requirements: -want, +got:\n%s", diff)
	}
}

func TestCheckApplications(t *testing.T) {
	const uid = "9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b"
	app := func(owners string) *fnv1.Resources {
		return &fnv1.Resources{Items: []*fnv1.Resource{{Resource: resource.MustStructJSON(
			`{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "team-orders--orders-api-staging", "namespace": "argocd"` + owners + `}}`)}}}
	}
	ours := `, "ownerReferences": [{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XServiceBundle", "name": "orders-api-x7k2p", "uid": "` + uid + `", "controller": true}]`
	theirs := `, "ownerReferences": [{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XServiceBundle", "name": "other", "uid": "0000", "controller": true}]`
	notController := `, "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "` + uid + `"}]`
	cases := map[string]struct {
		reason   string
		required map[string]*fnv1.Resources
		want     string
	}{
		"NoneExists": {
			reason:   "Nothing of that name exists (Crossplane fetched none).",
			required: map[string]*fnv1.Resources{ApplicationPrefix + "staging": {}},
		},
		"Ours": {
			reason:   "The Application this composite created is controlled by it.",
			required: map[string]*fnv1.Resources{ApplicationPrefix + "staging": app(ours)},
		},
		"HandMade": {
			reason:   "An Application made by hand has no controller: refused, never taken over.",
			required: map[string]*fnv1.Resources{ApplicationPrefix + "staging": app("")},
			want:     "Application argocd/team-orders--orders-api-staging, the staging Application of this bundle, exists and was not created by it (its controller: none): paved never takes over or rewrites an object it did not create; the platform team can delete or rename that Application",
		},
		"OwnerIsNotController": {
			reason:   "An owner reference with this composite's uid that is not a controller reference proves nothing.",
			required: map[string]*fnv1.Resources{ApplicationPrefix + "staging": app(notController)},
			want:     "Application argocd/team-orders--orders-api-staging, the staging Application of this bundle, exists and was not created by it (its controller: none): paved never takes over or rewrites an object it did not create; the platform team can delete or rename that Application",
		},
		"AnotherComposites": {
			reason:   "An Application another composite controls is refused, naming it.",
			required: map[string]*fnv1.Resources{ApplicationPrefix + "staging": app(theirs)},
			want:     "Application argocd/team-orders--orders-api-staging, the staging Application of this bundle, exists and was not created by it (its controller: XServiceBundle other (uid 0000)): paved never takes over or rewrites an object it did not create; the platform team can delete or rename that Application",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr := bundle(`{"description": "d", "template": "go-service"}`)
			xr.UID = uid
			set := compose.NewSet(&fnv1.RunFunctionRequest{RequiredResources: tc.required}, xr, "service")
			got := ""
			if err := (Composer{}).Check(xr, set); err != nil {
				if _, ok := errors.AsType[*compose.ConflictError](err); !ok {
					t.Errorf("%s\nCheck: %q is not a *compose.ConflictError", tc.reason, err)
				}
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nCheck: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
