package github

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEndpointsFor(t *testing.T) {
	cases := map[string]struct {
		base, api, uploads, err string
	}{
		"GitHub.com":          {base: "", api: "https://api.github.com/", uploads: "https://uploads.github.com/"},
		"GitHub.com explicit": {base: "https://api.github.com/", api: "https://api.github.com/", uploads: "https://uploads.github.com/"},
		"GHE.com":             {base: "https://api.octocorp.ghe.com", api: "https://api.octocorp.ghe.com/", uploads: "https://uploads.octocorp.ghe.com/"},
		"GHE.com web address": {base: "https://octocorp.ghe.com", api: "https://api.octocorp.ghe.com/", uploads: "https://uploads.octocorp.ghe.com/"},
		"GHE.com web slash":   {base: "https://OctoCorp.ghe.com/", api: "https://api.OctoCorp.ghe.com/", uploads: "https://uploads.OctoCorp.ghe.com/"},
		"GHES host only":      {base: "https://ghe.example.com", api: "https://ghe.example.com/api/v3/", uploads: "https://ghe.example.com/api/uploads/"},
		"GHES host slash":     {base: "https://ghe.example.com/", api: "https://ghe.example.com/api/v3/", uploads: "https://ghe.example.com/api/uploads/"},
		"GHES api/v3":         {base: "https://ghe.example.com/api/v3", api: "https://ghe.example.com/api/v3/", uploads: "https://ghe.example.com/api/uploads/"},
		"GHES api/v3/":        {base: "https://ghe.example.com/api/v3/", api: "https://ghe.example.com/api/v3/", uploads: "https://ghe.example.com/api/uploads/"},
		"GHES port and http":  {base: "http://127.0.0.1:8443", api: "http://127.0.0.1:8443/api/v3/", uploads: "http://127.0.0.1:8443/api/uploads/"},
		"GHES behind prefix":  {base: "https://proxy.example.com/github/api/v3", api: "https://proxy.example.com/github/api/v3/", uploads: "https://proxy.example.com/github/api/uploads/"},
		"no scheme":           {base: "ghe.example.com", err: `spec.github.baseURL "ghe.example.com" must be an absolute http or https URL`},
		"ftp":                 {base: "ftp://ghe.example.com", err: "must be an absolute http or https URL"},
		"user info":           {base: "https://user:pw@ghe.example.com", err: "without user information"},
		"query":               {base: "https://ghe.example.com/?x=1", err: "must be an absolute"},
		"unparsable":          {base: "https://user:pw@ghe example.com/%zz", err: "is not a URL"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := EndpointsFor(tc.base)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("EndpointsFor(%q) error = %v, want %q", tc.base, err, tc.err)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error carries the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tc.api, tc.uploads}, []string{got.API.String(), got.Uploads.String()}); diff != "" {
				t.Errorf("EndpointsFor(%q): -want +got:\n%s", tc.base, diff)
			}
		})
	}
}
