package ghtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/test/ghtest/internal/openapicut"
)

// TestCommittedOpenAPICurrent: with PAVED_GITHUB_OPENAPI naming the full
// description, the committed cut is exactly its cut, so the stand-in
// validates alike with either (LoadValidator cuts what it loads).
func TestCommittedOpenAPICurrent(t *testing.T) {
	path := os.Getenv(EnvOpenAPI)
	if path == "" {
		t.Skip(EnvOpenAPI + " is not set: the committed cut is checked against the full description by `make generate-check`")
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := openapicut.Cut(full)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(openAPI), string(got)); diff != "" {
		t.Errorf("testdata/api.github.com.json is stale (run make github-openapi): -committed +cut:\n%s", diff)
	}
}

// TestValidatorRefuses: the description the stand-in loads, the committed
// cut or the full one, still refuses what GitHub's description refuses,
// down to components reached only through references (public-user closes
// its properties; protection's nested objects are typed).
func TestValidatorRefuses(t *testing.T) {
	user := func(change func(map[string]any)) []byte {
		b := publicUser(account{login: "octo", id: 1, kind: "User"})
		change(b)
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	keep := func(map[string]any) {}
	cases := map[string]struct {
		method, path, body string
		// status and response, when set, are answered and checked.
		status   int
		response []byte
		want     string // "" when valid
	}{
		"ValidRequest":         {method: http.MethodPost, path: "/user/repos", body: `{"name":"r","private":true}`},
		"RequestWrongType":     {method: http.MethodPost, path: "/user/repos", body: `{"name":5}`, want: "request violates GitHub's API"},
		"RequestNestedType":    {method: http.MethodPut, path: "/repos/o/r/branches/main/protection", body: `{"required_status_checks":"yes","enforce_admins":true,"required_pull_request_reviews":null,"restrictions":null}`, want: "request violates GitHub's API"},
		"UnknownOperation":     {method: http.MethodGet, path: "/gists", want: "no such operation in GitHub's API"},
		"ValidResponse":        {method: http.MethodGet, path: "/users/octo", status: http.StatusOK, response: user(keep)},
		"ResponseUnknownField": {method: http.MethodGet, path: "/users/octo", status: http.StatusOK, response: user(func(b map[string]any) { b["extra"] = 1 }), want: "response violates GitHub's API"},
		"ResponseWrongType":    {method: http.MethodGet, path: "/users/octo", status: http.StatusOK, response: user(func(b map[string]any) { b["id"] = "1" }), want: "response violates GitHub's API"},
	}
	v, err := LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			in, err := v.ValidateRequest(t.Context(), r, []byte(tc.body))
			if err == nil && tc.response != nil {
				err = v.ValidateResponse(t.Context(), in, tc.status, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, tc.response)
			}
			if got := errString(err); tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("validation: error %q, want one containing %q", got, tc.want)
			}
		})
	}
	if err := v.ValidateGeneric(http.StatusNotFound, []byte(`{"message":5}`)); err == nil {
		t.Error("ValidateGeneric(404, message: 5): no error, want basic-error's type refused")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
