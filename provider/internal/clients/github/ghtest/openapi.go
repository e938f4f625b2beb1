package ghtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// EnvOpenAPI names the environment variable holding the path of GitHub's
// OpenAPI description (api.github.com.json from npm @octokit/openapi), as
// printed by hack/github-openapi.sh.
const EnvOpenAPI = "PAVED_GITHUB_OPENAPI"

// servedPaths are the GitHub REST paths the stand-in implements. The spec is
// pruned to them before it is loaded, which keeps loading fast.
var servedPaths = []string{
	"/repos/{owner}/{repo}",
	"/orgs/{org}/repos",
	"/user/repos",
	"/user",
	"/users/{username}",
	"/repos/{template_owner}/{template_repo}/generate",
	"/repos/{owner}/{repo}/topics",
	"/repos/{owner}/{repo}/branches/{branch}/protection",
	"/repos/{owner}/{repo}/contents/{path}",
	"/repos/{owner}/{repo}/git/ref/{ref}",
	"/repos/{owner}/{repo}/git/refs",
	"/repos/{owner}/{repo}/git/refs/{ref}",
	"/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}",
	"/repos/{owner}/{repo}/pulls",
	"/rate_limit",
	"/app/installations/{installation_id}/access_tokens",
}

// A Validator checks HTTP exchanges against GitHub's OpenAPI description.
type Validator struct {
	router     routers.Router
	basicError *openapi3.Schema
}

var (
	loadOnce sync.Once
	loaded   *Validator
	errLoad  error
)

// LoadValidator loads (once per process) the OpenAPI description named by
// PAVED_GITHUB_OPENAPI. It is an error, not a skip, when it is missing: run
// the tests through `make provider-test` or set the variable to the output of
// hack/github-openapi.sh.
func LoadValidator() (*Validator, error) {
	loadOnce.Do(func() { loaded, errLoad = loadValidator(os.Getenv(EnvOpenAPI)) })
	return loaded, errLoad
}

func loadValidator(path string) (*Validator, error) {
	if path == "" {
		return nil, errors.New(EnvOpenAPI + " is not set: run hack/github-openapi.sh (make provider-test-deps) and export its output")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "cannot read GitHub OpenAPI description")
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, errors.Wrap(err, "cannot parse GitHub OpenAPI description")
	}
	all, _ := spec["paths"].(map[string]any)
	pruned := map[string]any{}
	for _, p := range servedPaths {
		v, ok := all[p]
		if !ok {
			return nil, errors.Errorf("GitHub OpenAPI description has no path %s", p)
		}
		pruned[p] = v
	}
	spec["paths"] = pruned
	// Route on paths only: the stand-in listens on 127.0.0.1.
	spec["servers"] = []any{map[string]any{"url": "/"}}
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, errors.Wrap(err, "cannot re-encode GitHub OpenAPI description")
	}
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(data)
	if err != nil {
		return nil, errors.Wrap(err, "cannot load GitHub OpenAPI description")
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, errors.Wrap(err, "GitHub OpenAPI description is invalid")
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, errors.Wrap(err, "cannot build OpenAPI router")
	}
	be := doc.Components.Schemas["basic-error"]
	if be == nil || be.Value == nil {
		return nil, errors.New("GitHub OpenAPI description has no basic-error schema")
	}
	return &Validator{router: r, basicError: be.Value}, nil
}

func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
}

// ValidateRequest checks a request (its body given separately, since the
// server has read it) against the description and returns the matched
// input for the response check.
func (v *Validator) ValidateRequest(ctx context.Context, r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	rc := r.Clone(ctx)
	u := *r.URL
	u.Scheme, u.Host = "", ""
	rc.URL = &url.URL{Path: u.Path, RawPath: oneSegment(u.EscapedPath()), RawQuery: u.RawQuery}
	rc.Host = ""
	rc.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := v.router.FindRoute(rc)
	if err != nil {
		return nil, fmt.Errorf("%s %s: no such operation in GitHub's API: %w", r.Method, r.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: rc, PathParams: params, Route: route, Options: options()}
	rc.Body = io.NopCloser(bytes.NewReader(validationBody(route, body)))
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return in, fmt.Errorf("%s %s: request violates GitHub's API: %w", r.Method, r.URL.Path, err)
	}
	return in, nil
}

// ValidateResponse checks a response against the operation of a validated
// request.
func (v *Validator) ValidateResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, status int, h http.Header, body []byte) error {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 h,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                options(),
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("%s %s -> %d: response violates GitHub's API: %w", in.Request.Method, in.Request.URL.Path, status, err)
	}
	return nil
}

type openapiInput = openapi3filter.RequestValidationInput

// multiSegment are the path prefixes whose last parameter GitHub documents
// as possibly holding slashes: a git reference such as heads/main
// (https://docs.github.com/en/rest/git/refs#get-a-reference) or a file path
// (https://docs.github.com/en/rest/repos/contents#get-repository-content).
var multiSegment = []string{"git/ref/", "git/refs/", "contents/"}

// oneSegment escapes the slashes in such a parameter so that the router,
// which matches one segment per parameter, finds the operation.
func oneSegment(p string) string {
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 4) // repos, owner, repo, rest
	if len(parts) < 4 || parts[0] != "repos" {
		return p
	}
	for _, m := range multiSegment {
		if tail, ok := strings.CutPrefix(parts[3], m); ok {
			return "/repos/" + parts[1] + "/" + parts[2] + "/" + m + strings.ReplaceAll(tail, "/", "%2F")
		}
	}
	return p
}

// ValidateGeneric checks an answer GitHub gives for any operation: 304 has
// no body; errors carry GitHub's basic-error body.
func (v *Validator) ValidateGeneric(status int, body []byte) error {
	if status == http.StatusNotModified {
		if len(body) != 0 {
			return errors.New("304 response with a body")
		}
		return nil
	}
	var decoded any
	if err := json.Unmarshal(body, &decoded); err != nil {
		return errors.Wrap(err, "error response is not JSON")
	}
	if err := v.basicError.VisitJSON(decoded); err != nil {
		return fmt.Errorf("%d error body violates GitHub's basic-error schema: %w", status, err)
	}
	return nil
}

// oneOfBasicError reports whether the operation's answer for status is
// "oneOf: basic-error, ..." of schemas that are all open objects with only
// optional properties (for example 409 on PUT contents: basic-error or
// repository-rule-violation-error). Every error body matches more than one
// of them, which a strict oneOf check rejects; such a body is checked
// against basic-error, the first alternative, instead.
func oneOfBasicError(in *openapiInput, status int) bool {
	r := in.Route.Operation.Responses.Status(status)
	if r == nil || r.Value == nil {
		return false
	}
	mt := r.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || len(mt.Schema.Value.OneOf) == 0 {
		return false
	}
	return mt.Schema.Value.OneOf[0].Ref == "#/components/schemas/basic-error"
}
