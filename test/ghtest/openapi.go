package ghtest

import (
	"bytes"
	"context"
	_ "embed" // the committed cut of the description
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

	"github.com/paved-dev/paved/test/ghtest/internal/openapicut"
)

// EnvOpenAPI names the environment variable that may hold the path of
// GitHub's full OpenAPI description (api.github.com.json from npm
// @octokit/openapi, as printed by hack/github-openapi.sh). Without it the
// stand-in validates with the committed cut of it (openAPI).
const EnvOpenAPI = "PAVED_GITHUB_OPENAPI"

// openAPI is the part of GitHub's OpenAPI description the stand-in uses
// (openapicut.Cut), written by `make github-openapi` from the pinned npm
// package and checked by `make generate-check`.
//
//go:embed testdata/api.github.com.json
var openAPI []byte

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

// LoadValidator loads (once per process) GitHub's OpenAPI description: the
// full one named by PAVED_GITHUB_OPENAPI if it is set, else the committed
// cut. Either is cut to the served paths (openapicut.Cut) before it is loaded,
// so both validate alike while the committed cut is current.
func LoadValidator() (*Validator, error) {
	loadOnce.Do(func() { loaded, errLoad = loadValidator(os.Getenv(EnvOpenAPI)) })
	return loaded, errLoad
}

func loadValidator(path string) (*Validator, error) {
	raw := openAPI
	if path != "" {
		var err error
		if raw, err = os.ReadFile(path); err != nil {
			return nil, errors.Wrap(err, "cannot read GitHub OpenAPI description")
		}
	}
	data, err := openapicut.Cut(raw)
	if err != nil {
		return nil, err
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
