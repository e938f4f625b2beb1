package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const whatGitHub = "github"

// githubHeader is what every request to GitHub's REST API sends: its media
// type and the API version provider-paved speaks
// (https://docs.github.com/en/rest/about-the-rest-api/api-versions).
var githubHeader = http.Header{"Accept": {"application/vnd.github+json"}, "X-Github-Api-Version": {"2022-11-28"}}

// maxBody bounds how much of an answer doctor reads.
const maxBody = 1 << 20

// get sends one GET with a bearer token and decodes a 200's JSON body into
// out. It returns the status code and headers; a transport error is err.
func (d *Doctor) get(ctx context.Context, u, token string, header http.Header, out any) (int, http.Header, error) {
	code, hdr, _, err := d.call(ctx, http.MethodGet, u, token, header, nil, out)
	return code, hdr, err
}

// call sends one request with a bearer token and, when in is not nil, in
// as its JSON body. A 2xx answer's JSON body is decoded into out; any
// other's body is returned (at most maxBody) for its message. It returns
// the status code and headers; a transport error is err, with code 0.
func (d *Doctor) call(ctx context.Context, method, u, token string, header http.Header, in, out any) (int, http.Header, []byte, error) {
	return call(ctx, d.HTTP, method, u, token, header, in, out)
}

// call is Doctor.call with client c; without a token it sends no
// Authorization header (c's transport may add its own).
func call(ctx context.Context, c *http.Client, method, u, token string, header http.Header, in, out any) (int, http.Header, []byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, nil, nil, err
	}
	maps.Copy(req.Header, header)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close() //nolint:errcheck // Read-only.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		return resp.StatusCode, resp.Header, b, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("cannot decode the answer of %s: %w", redact(u), err)
	}
	return resp.StatusCode, resp.Header, nil, nil
}

// redact drops what a URL could carry besides scheme, host and path.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(invalid URL)"
	}
	return p.Scheme + "://" + p.Host + p.Path
}

// github checks the GitHub token of a Secret-sourced ProviderConfig: GET
// /user must accept it (https://docs.github.com/en/rest/users/users#get-the-authenticated-user),
// a classic token must have the repo scope, which creating private
// repositories needs (its scopes are the X-OAuth-Scopes header:
// https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps),
// and on github.com the organisation's plan must offer protected branches
// on private repositories: not GitHub Free
// (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches).
// GET /orgs/{org} shows the plan only to the organisation's owners
// (https://docs.github.com/en/rest/orgs/orgs#get-an-organization).
//
// A GitHubApp-sourced ProviderConfig's installation is checked by
// githubApp instead; secret is then the App's private key. teamAccess says
// the environment maps namespaces to teams, whose GitHub teams
// provider-paved gives access to the repositories.
func (d *Doctor) github(ctx context.Context, pc map[string]any, secret, owner string, teamAccess bool) Result {
	api := d.GitHubAPI
	ghes := false
	if b, _ := pc["baseURL"].(string); b != "" {
		// GitHub Enterprise Server's REST API is under /api/v3
		// (https://docs.github.com/en/enterprise-server@latest/rest/quickstart),
		// as provider-paved adds it.
		api, ghes = strings.TrimRight(b, "/")+"/api/v3", true
	}
	if src, _, _ := unstructured.NestedString(pc, "credentials", "source"); src != "Secret" {
		return d.githubApp(ctx, pc, secret, api, owner, teamAccess)
	}
	token := secret
	var user struct {
		Login string `json:"login"`
	}
	code, hdr, err := d.get(ctx, api+"/user", token, githubHeader, &user)
	switch {
	case err != nil && code == 0:
		return warn(whatGitHub, "cannot reach %s from here (%v): check from inside the cluster that provider-paved reaches it", api, unwrapURL(err))
	case err != nil:
		return fail(whatGitHub, "%v", err)
	case code == http.StatusUnauthorized:
		return fail(whatGitHub, "%s refuses the ProviderConfig's token (HTTP 401, bad credentials): renew it in its Secret", api)
	case code != http.StatusOK:
		return fail(whatGitHub, "%s/user answers HTTP %d to the ProviderConfig's token", api, code)
	}
	if s, classic := hdr["X-Oauth-Scopes"]; classic {
		scopes := strings.Split(strings.Join(s, ","), ",")
		for i := range scopes {
			scopes[i] = strings.TrimSpace(scopes[i])
		}
		if !slices.Contains(scopes, "repo") {
			return fail(whatGitHub, "the token of %s lacks the repo scope (has %q), which private repositories need: give it repo, or use a GitHub App", user.Login, strings.Join(s, ","))
		}
	}
	if ghes || owner == "" {
		return ok(whatGitHub, "%s accepts the token (%s)", api, user.Login)
	}
	var org struct {
		Plan *struct {
			Name string `json:"name"`
		} `json:"plan"`
	}
	code, _, err = d.get(ctx, api+"/orgs/"+url.PathEscape(owner), token, githubHeader, &org)
	switch {
	case err != nil:
		return warn(whatGitHub, "%s accepts the token (%s), but the organisation %s cannot be read: %v", api, user.Login, owner, unwrapURL(err))
	case code == http.StatusNotFound:
		return fail(whatGitHub, "%s accepts the token (%s), but it sees no organisation %q: fix serviceBundle.githubOwner or the token's access", api, user.Login, owner)
	case code != http.StatusOK:
		return warn(whatGitHub, "%s accepts the token (%s), but GET /orgs/%s answers HTTP %d", api, user.Login, owner, code)
	case org.Plan == nil:
		return warn(whatGitHub, "%s accepts the token (%s); the plan of %s is shown only to its owners, so whether it protects branches of private repositories (Team or Enterprise) cannot be seen", api, user.Login, owner)
	case org.Plan.Name == "free":
		return fail(whatGitHub, "organisation %s is on GitHub Free, which protects branches of public repositories only, and paved's repositories are private: move it to GitHub Team or Enterprise", owner)
	}
	return ok(whatGitHub, "%s accepts the token (%s); organisation %s is on plan %s", api, user.Login, owner, org.Plan.Name)
}

// unwrapURL drops *url.Error's method and URL from a transport error.
func unwrapURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
