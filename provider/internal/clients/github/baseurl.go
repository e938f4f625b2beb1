package github

import (
	"net/url"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errBaseURLParse = "spec.github.baseURL is not a URL (the value is not repeated: it may carry credentials)"
	errBaseURLForm  = "spec.github.baseURL %q must be an absolute http or https URL without user information, query or fragment (for example https://ghe.example.com or https://ghe.example.com/api/v3)"

	githubAPIHost = "api.github.com"
	ghesAPIPath   = "/api/v3"
	ghesUpload    = "/api/uploads"
)

// Endpoints are the REST API root and the uploads root of a GitHub, each
// ending in a slash as go-github requires.
type Endpoints struct {
	API     *url.URL
	Uploads *url.URL
	// Server is true for GitHub Enterprise Server, whose rate limits are
	// the site administrator's to set.
	Server bool
}

// ghecDomain is the domain of GitHub Enterprise Cloud with data residency.
const ghecDomain = ".ghe.com"

// EndpointsFor normalises a ProviderConfig's spec.github.baseURL:
//
//   - empty: GitHub.com, https://api.github.com/ and https://uploads.github.com/.
//   - a host named api.* (api.github.com; GitHub Enterprise Cloud with data
//     residency serves its API at api.SUBDOMAIN.ghe.com,
//     https://docs.github.com/en/enterprise-cloud@latest/admin/data-residency/network-details-for-ghecom):
//     the API is at the root of that host. SUBDOMAIN.ghe.com, the
//     enterprise's web address, means its API at api.SUBDOMAIN.ghe.com. Uploads are assumed at uploads.*
//     by analogy with GitHub.com's uploads.github.com (the provider sends
//     no upload today).
//   - any other host is GitHub Enterprise Server, whose REST API is at
//     http(s)://HOSTNAME/api/v3 and whose upload endpoints are at
//     http(s)://HOSTNAME/api/uploads
//     (https://docs.github.com/en/enterprise-server@latest/rest/enterprise-admin,
//     "Endpoint URLs"; https://docs.github.com/en/enterprise-server@latest/rest/releases/assets).
//     So https://ghe.example.com, https://ghe.example.com/api/v3 and
//     https://ghe.example.com/api/v3/ all mean the same API root; a path
//     before /api/v3 (a proxy prefix) is kept.
func EndpointsFor(base string) (Endpoints, error) {
	base = strings.TrimSpace(base)
	if base == "" {
		return Endpoints{API: &url.URL{Scheme: "https", Host: githubAPIHost, Path: "/"},
			Uploads: &url.URL{Scheme: "https", Host: "uploads.github.com", Path: "/"}}, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return Endpoints{}, errors.New(errBaseURLParse)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		// Redacted hides a password in user information.
		return Endpoints{}, errors.Errorf(errBaseURLForm, u.Redacted())
	}
	root := &url.URL{Scheme: u.Scheme, Host: u.Host}
	p := strings.TrimRight(u.Path, "/")
	if host := strings.ToLower(u.Hostname()); strings.HasSuffix(host, ghecDomain) && !strings.HasPrefix(host, "api.") &&
		strings.Count(host, ".") == 2 && (p == "" || p == ghesAPIPath) {
		// The web address of a GHE.com enterprise: its API is elsewhere.
		return Endpoints{API: &url.URL{Scheme: u.Scheme, Host: "api." + u.Host, Path: "/"},
			Uploads: &url.URL{Scheme: u.Scheme, Host: "uploads." + u.Host, Path: "/"}}, nil
	}
	if host := u.Hostname(); strings.HasPrefix(host, "api.") {
		api, up := *root, *root
		api.Path = p + "/"
		up.Host = "uploads." + strings.TrimPrefix(u.Host, "api.")
		up.Path = "/"
		return Endpoints{API: &api, Uploads: &up}, nil
	}
	p = strings.TrimSuffix(p, ghesAPIPath)
	api, up := *root, *root
	api.Path = p + ghesAPIPath + "/"
	up.Path = p + ghesUpload + "/"
	return Endpoints{API: &api, Uploads: &up, Server: true}, nil
}
