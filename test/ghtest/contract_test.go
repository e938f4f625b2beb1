package ghtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	gh "github.com/google/go-github/v85/github"
)

// requestSchema is the JSON request body schema of the operation serving
// method path in GitHub's description.
func requestSchema(t *testing.T, method, path string) *openapi3.Schema {
	t.Helper()
	route, _, err := validator.router.FindRoute(httptest.NewRequest(method, path, nil))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return route.Operation.RequestBody.Value.Content.Get("application/json").Schema.Value
}

// responseSchema is the JSON schema of the operation's answer with status.
func responseSchema(t *testing.T, method, path string, status int) *openapi3.Schema {
	t.Helper()
	route, _, err := validator.router.FindRoute(httptest.NewRequest(method, path, nil))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return route.Operation.Responses.Status(status).Value.Content.Get("application/json").Schema.Value
}

// The create endpoints take different visibility fields, and GitHub
// ignores the ones an endpoint does not have: `visibility` sent to POST
// /user/repos leaves the repository public (its `private` defaults to
// false; fluxcd/go-git-providers#44). The stand-in follows the description.
func TestCreateHonoursOnlyDocumentedVisibilityFields(t *testing.T) {
	type fields struct{ private, visibility bool }
	cases := map[string]struct {
		method, path string
		want         fields
	}{
		"User":     {method: http.MethodPost, path: "/user/repos", want: fields{private: true}},
		"Org":      {method: http.MethodPost, path: "/orgs/acme/repos", want: fields{private: true, visibility: true}},
		"Template": {method: http.MethodPost, path: "/repos/acme/tmpl/generate", want: fields{private: true}},
		"Update":   {method: http.MethodPatch, path: "/repos/acme/svc", want: fields{private: true, visibility: true}},
	}
	for name, tc := range cases {
		t.Run("Description"+name, func(t *testing.T) {
			s := requestSchema(t, tc.method, tc.path)
			p := s.Properties["private"]
			got := fields{private: p != nil, visibility: s.Properties["visibility"] != nil}
			if got != tc.want {
				t.Fatalf("%s %s documents private=%v visibility=%v, want %+v", tc.method, tc.path, got.private, got.visibility, tc.want)
			}
			if p.Value.Default != false {
				t.Errorf("%s %s: private defaults to %v, want false", tc.method, tc.path, p.Value.Default)
			}
		})
	}

	srv, c := newServer(t)
	ctx := context.Background()
	srv.CreateOutOfBand("acme", "tmpl")
	srv.Mutate("acme", "tmpl", func(r *RepoState) { r.IsTemplate = true })
	create := map[string]struct {
		do   func() (*gh.Repository, error)
		want string
	}{
		"UserVisibilityIgnored": {func() (*gh.Repository, error) {
			r, _, err := c.Repositories.Create(ctx, "", &gh.Repository{Name: gh.Ptr("u1"), Visibility: gh.Ptr("private")})
			return r, err
		}, "public"},
		"UserPrivate": {func() (*gh.Repository, error) {
			r, _, err := c.Repositories.Create(ctx, "", &gh.Repository{Name: gh.Ptr("u2"), Private: gh.Ptr(true)})
			return r, err
		}, "private"},
		"OrgVisibility": {func() (*gh.Repository, error) {
			r, _, err := c.Repositories.Create(ctx, "acme", &gh.Repository{Name: gh.Ptr("o1"), Visibility: gh.Ptr("private")})
			return r, err
		}, "private"},
		"OrgDefault": {func() (*gh.Repository, error) {
			r, _, err := c.Repositories.Create(ctx, "acme", &gh.Repository{Name: gh.Ptr("o2")})
			return r, err
		}, "public"},
		"TemplateDefault": {func() (*gh.Repository, error) {
			r, _, err := c.Repositories.CreateFromTemplate(ctx, "acme", "tmpl", &gh.TemplateRepoRequest{Name: gh.Ptr("t1"), Owner: gh.Ptr("octo")})
			return r, err
		}, "public"},
		"TemplatePrivate": {func() (*gh.Repository, error) {
			r, _, err := c.Repositories.CreateFromTemplate(ctx, "acme", "tmpl", &gh.TemplateRepoRequest{Name: gh.Ptr("t2"), Owner: gh.Ptr("octo"), Private: gh.Ptr(true)})
			return r, err
		}, "private"},
	}
	for name, tc := range create {
		t.Run(name, func(t *testing.T) {
			r, err := tc.do()
			if err != nil {
				t.Fatal(err)
			}
			if r.GetVisibility() != tc.want || r.GetPrivate() != (tc.want == "private") {
				t.Errorf("created %s: visibility %q private %v, want %s", r.GetFullName(), r.GetVisibility(), r.GetPrivate(), tc.want)
			}
			if st, _ := srv.RepoByID(r.GetID()); st.Visibility != tc.want {
				t.Errorf("stand-in state: visibility %q, want %s", st.Visibility, tc.want)
			}
		})
	}
}

// Protection answers carry every required check with the App it is bound
// to; a PUT binds checks as GitHub does and refuses contexts and checks
// together.
func TestProtectionChecksCarryTheirApp(t *testing.T) {
	path := "/repos/acme/svc/branches/main/protection"
	t.Run("Description", func(t *testing.T) {
		rsc := requestSchema(t, http.MethodPut, path).Properties["required_status_checks"].Value
		checks := rsc.Properties["checks"]
		if checks == nil || checks.Value.Items.Value.Properties["app_id"] == nil || rsc.Properties["contexts"] == nil {
			t.Fatalf("PUT protection's required_status_checks lacks contexts or checks[].app_id: %v", rsc.Properties)
		}
		item := responseSchema(t, http.MethodGet, path, http.StatusOK).Properties["required_status_checks"].Value.
			Properties["checks"].Value.Items.Value
		if app := item.Properties["app_id"]; app == nil || !app.Value.Nullable || !slices.Contains(item.Required, "app_id") {
			t.Errorf("GET protection's checks[] must carry a nullable app_id: %v, required %v", item.Properties, item.Required)
		}
	})

	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "svc")
	s.ReportCheck("acme", "svc", "ci/recent", 7)
	put := func(rsc *gh.RequiredStatusChecks) (*gh.Protection, error) {
		p, _, err := c.Repositories.UpdateBranchProtection(ctx, "acme", "svc", "main", &gh.ProtectionRequest{RequiredStatusChecks: rsc})
		return p, err
	}
	apps := func(p *gh.Protection) map[string]string {
		out := map[string]string{}
		for _, ch := range *p.GetRequiredStatusChecks().Checks {
			out[ch.Context] = "null"
			if ch.AppID != nil {
				out[ch.Context] = fmt.Sprint(*ch.AppID)
			}
		}
		return out
	}
	p, err := put(&gh.RequiredStatusChecks{Checks: &[]*gh.RequiredStatusCheck{
		{Context: "ci/bound", AppID: gh.Ptr(int64(42))},
		{Context: "ci/any", AppID: gh.Ptr(int64(-1))},
		{Context: "ci/recent"},
		{Context: "ci/new"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ci/bound": "42", "ci/any": "null", "ci/recent": "7", "ci/new": "null"}
	if got := apps(p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("checks after PUT checks: %v, want %v", got, want)
	}
	if p, _, err := c.Repositories.GetBranchProtection(ctx, "acme", "svc", "main"); err != nil || fmt.Sprint(apps(p)) != fmt.Sprint(want) {
		t.Errorf("GET after PUT checks: %v (%v), want %v", p, err, want)
	}
	// contexts (closing down) bind to the App that recently set a check.
	if p, err = put(&gh.RequiredStatusChecks{Contexts: &[]string{"ci/bound", "ci/recent"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := apps(p), map[string]string{"ci/bound": "null", "ci/recent": "7"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("checks after PUT contexts: %v, want %v (the binding of ci/bound is lost)", got, want)
	}
	if _, err := put(&gh.RequiredStatusChecks{Contexts: &[]string{"a"}, Checks: &[]*gh.RequiredStatusCheck{{Context: "a"}}}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("PUT with contexts and checks: %v, want 422", err)
	}
}

// A transferred repository's old name answers as a renamed one's: 301 to
// /repositories/{id}, where it now has its new owner.
func TestTransferRedirects(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.AddOrg("elsewhere")
	s.CreateOutOfBand("acme", "svc")
	st, _ := s.Repo("acme", "svc")
	if !s.TransferOutOfBand("acme", "svc", "elsewhere") {
		t.Fatal("transfer refused")
	}
	hc := &http.Client{Transport: bearer{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rsp, err := hc.Get(s.URL + "/repos/acme/svc")
	if err != nil {
		t.Fatal(err)
	}
	_ = rsp.Body.Close()
	if want := fmt.Sprintf("%s/repositories/%d", s.URL, st.ID); rsp.StatusCode != http.StatusMovedPermanently || rsp.Header.Get("Location") != want {
		t.Errorf("GET old name: %d Location %q, want 301 %q", rsp.StatusCode, rsp.Header.Get("Location"), want)
	}
	r, _, err := c.Repositories.Get(ctx, "acme", "svc")
	if err != nil || r.GetOwner().GetLogin() != "elsewhere" || r.GetID() != st.ID {
		t.Errorf("GET old name, following the redirect: %s %d (%v)", r.GetFullName(), r.GetID(), err)
	}
	if _, ok := s.Repo("elsewhere", "svc"); !ok {
		t.Error("transferred repository not under its new owner")
	}
}

// Without admin on a repository, GitHub answers 404 for its branch
// protection, and the repository's permissions say admin: false.
func TestProtectionWithoutAdminIsNotFound(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "svc")
	s.Mutate("acme", "svc", func(r *RepoState) { r.Protected = true })
	s.SetAdmin("octo", false)
	if _, _, err := c.Repositories.GetBranchProtection(ctx, "acme", "svc", "main"); statusOf(err) != http.StatusNotFound {
		t.Errorf("GET protection without admin: %v, want 404", err)
	}
	req := &gh.ProtectionRequest{RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{RequiredApprovingReviewCount: 1}}
	if _, _, err := c.Repositories.UpdateBranchProtection(ctx, "acme", "svc", "main", req); statusOf(err) != http.StatusNotFound {
		t.Errorf("PUT protection without admin: %v, want 404", err)
	}
	r, _, err := c.Repositories.Get(ctx, "acme", "svc")
	if err != nil || r.GetPermissions().GetAdmin() || !r.GetPermissions().GetPush() {
		t.Errorf("permissions without admin: %+v (%v)", r.GetPermissions(), err)
	}
	s.SetAdmin("octo", true)
	if _, _, err := c.Repositories.GetBranchProtection(ctx, "acme", "svc", "main"); err != nil {
		t.Errorf("GET protection with admin: %v", err)
	}
}
