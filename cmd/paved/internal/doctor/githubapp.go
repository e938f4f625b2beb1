package doctor

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// A permission is one of a GitHub App's permissions at a level: "read"
// or "write", where write includes read
// (https://docs.github.com/en/apps/creating-github-apps/registering-a-github-app/choosing-permissions-for-a-github-app).
type permission struct {
	Name, Level string
	// For is what provider-paved does with it.
	For string
}

// appPermissions are the permissions provider-paved's GitHub App needs
// (GitHub's list per endpoint:
// https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps).
var appPermissions = []permission{
	// Create an organisation repository, from a template, its topics and
	// branch protection: "Administration" repository permissions (write)
	// (https://docs.github.com/en/rest/repos/repos#create-an-organization-repository,
	// https://docs.github.com/en/rest/repos/repos#create-a-repository-using-a-template,
	// https://docs.github.com/en/rest/branches/branch-protection#update-branch-protection).
	{Name: "administration", Level: "write", For: "creating repositories and protecting their branches"},
	// Commit files and create branches: "Contents" repository permissions
	// (write) (https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents,
	// https://docs.github.com/en/rest/git/refs#create-a-reference).
	{Name: "contents", Level: "write", For: "committing catalog-info.yaml and creating the release branch"},
	// Every App has it: "Metadata" repository permissions (read)
	// (https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps#repository-permissions-for-metadata).
	{Name: "metadata", Level: "read", For: "reading repositories"},
	// A change to a file on a protected branch is proposed as a pull
	// request (provider/internal/controller/repositoryfile/proposal.go):
	// "Pull requests" repository permissions (write)
	// (https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request).
	{Name: "pull_requests", Level: "write", For: "proposing changes to protected branches"},
}

// teamPermission is what giving a team access to a repository needs
// besides administration: the App "must be able to see the team" (the
// operation's description,
// https://docs.github.com/en/rest/teams/teams#add-or-update-team-repository-permissions),
// and an App sees an organisation's teams with the "Members"
// organization permission (read)
// (https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps#organization-permissions-for-members).
var teamPermission = permission{Name: "members", Level: "read", For: "giving mapped namespaces' teams access to their repositories"}

// githubApp checks the GitHub App installation of a GitHubApp-sourced
// ProviderConfig, signing in as the App with its private key (pem) as
// provider-paved does (ghinstallation's AppsTransport: an RS256 JWT issued
// by the App id,
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app):
// GET /app/installations/{installation_id} must answer the installation
// (https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app),
// not suspended, on the organisation githubOwner, with the permissions
// provider-paved needs. It reads only: it asks for no installation token.
func (d *Doctor) githubApp(ctx context.Context, pc map[string]any, pem, api, owner string, teamAccess bool) Result {
	appID, okApp := number(pc, "credentials", "app", "appID")
	installationID, okInst := number(pc, "credentials", "app", "installationID")
	if !okApp || !okInst {
		return fail(whatGitHub, "the ProviderConfig's spec.github.credentials.app needs appID and installationID: set them from the App's settings and its installation's URL")
	}
	what := fmt.Sprintf("App %d installation %d", appID, installationID)
	next := d.HTTP.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	apps, err := ghinstallation.NewAppsTransport(next, appID, []byte(pem))
	if err != nil {
		// The error of parsing the key names no part of it; say only
		// what is wrong.
		return fail(whatGitHub, "the private key in the ProviderConfig's Secret is not the PEM of an RSA private key, as GitHub gives an App's: put the App's private key there")
	}
	var in struct {
		Account *struct {
			Login string `json:"login"`
		} `json:"account"`
		Permissions map[string]string `json:"permissions"`
		SuspendedAt *string           `json:"suspended_at"`
	}
	c := &http.Client{Transport: apps, Timeout: d.HTTP.Timeout}
	code, _, _, err := call(ctx, c, http.MethodGet, api+"/app/installations/"+strconv.FormatInt(installationID, 10), "", githubHeader, nil, &in)
	switch {
	case err != nil && code == 0:
		return warn(whatGitHub, "cannot reach %s from here (%v): check from inside the cluster that provider-paved reaches it", api, unwrapURL(err))
	case err != nil:
		return fail(whatGitHub, "%v", err)
	case code == http.StatusUnauthorized:
		return fail(whatGitHub, "%s refuses the JWT of App %d (HTTP 401): appID is not the App's, or the private key in the Secret is not its key; fix them from the App's settings", api, appID)
	case code == http.StatusNotFound:
		return fail(whatGitHub, "App %d has no installation %d (HTTP 404): install the App on organisation %s and set installationID to that installation's", appID, installationID, orNone(owner))
	case code != http.StatusOK:
		return fail(whatGitHub, "%s/app/installations/%d answers HTTP %d to App %d", api, installationID, code, appID)
	}
	login := ""
	if in.Account != nil {
		login = in.Account.Login
	}
	switch {
	case in.SuspendedAt != nil:
		return fail(whatGitHub, "%s on %s is suspended (since %s): provider-paved cannot act for it; unsuspend it in the organisation's installed GitHub Apps", what, orNone(login), *in.SuspendedAt)
	case owner != "" && !strings.EqualFold(login, owner):
		return fail(whatGitHub, "%s is on %s, not on organisation %s (serviceBundle.githubOwner): install the App on %s and set installationID to that installation's", what, orNone(login), owner, owner)
	}
	need := appPermissions
	if teamAccess {
		need = append(slices.Clip(need), teamPermission)
	}
	var missing []string
	for _, p := range need {
		if !covers(in.Permissions[p.Name], p.Level) {
			has := in.Permissions[p.Name]
			if has == "" {
				has = "none"
			}
			missing = append(missing, fmt.Sprintf("%s: %s (has %s) for %s", p.Name, p.Level, has, p.For))
		}
	}
	if len(missing) > 0 {
		return fail(whatGitHub, "%s on %s lacks permissions provider-paved needs: %s; grant them in the App's settings and accept them in the organisation", what, login, strings.Join(missing, "; "))
	}
	names := make([]string, len(need))
	for i, p := range need {
		names[i] = p.Name + ":" + in.Permissions[p.Name]
	}
	return ok(whatGitHub, "%s on %s has the permissions provider-paved needs (%s)", what, login, strings.Join(names, ", "))
}

// covers reports whether the level has grants what want needs: write includes
// read.
func covers(has, want string) bool {
	return has == want || (has == "write" && want == "read")
}

// number returns the integer at path in an unstructured object: int64 as
// the API server's JSON decodes it, float64 as YAML or plain JSON may.
func number(obj map[string]any, path ...string) (int64, bool) {
	v, found, err := unstructured.NestedFieldNoCopy(obj, path...)
	if !found || err != nil {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, n > 0
	case float64:
		return int64(n), n > 0 && n == float64(int64(n))
	}
	return 0, false
}
