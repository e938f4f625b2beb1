package v1alpha1

import (
	"testing"

	githubv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

func TestRepositoryBlobURL(t *testing.T) {
	r := &githubv1alpha1.Repository{}
	extract := RepositoryBlobURL()
	if got := extract(r); got != "" {
		t.Errorf("without status: %q, want empty (not ready)", got)
	}
	r.Status.AtProvider.HTMLURL = "https://github.com/acme/payments/"
	if got := extract(r); got != "" {
		t.Errorf("without default branch: %q, want empty (not ready)", got)
	}
	r.Status.AtProvider.DefaultBranch = "release/1.x"
	if got, want := extract(r), "https://github.com/acme/payments/blob/release/1.x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLocationTarget(t *testing.T) {
	s := func(v string) *string { return &v }
	cases := map[string]struct {
		p       CatalogLocationParameters
		target  string
		locType string
	}{
		"Target":             {p: CatalogLocationParameters{Target: s("https://x/c.yaml")}, target: "https://x/c.yaml", locType: "url"},
		"Unresolved":         {p: CatalogLocationParameters{}, target: "", locType: "url"},
		"RepositoryDefault":  {p: CatalogLocationParameters{RepositoryURL: s("https://github.com/a/b/blob/main")}, target: "https://github.com/a/b/blob/main/catalog-info.yaml", locType: "url"},
		"RepositoryWithPath": {p: CatalogLocationParameters{Type: "url", RepositoryURL: s("https://github.com/a/b/blob/main/"), Path: s("docs/catalog.yaml")}, target: "https://github.com/a/b/blob/main/docs/catalog.yaml", locType: "url"},
		"OtherType":          {p: CatalogLocationParameters{Type: "file", Target: s("https://x/c.yaml")}, target: "https://x/c.yaml", locType: "file"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.LocationTarget(); got != tc.target {
				t.Errorf("LocationTarget = %q, want %q", got, tc.target)
			}
			if got := tc.p.LocationType(); got != tc.locType {
				t.Errorf("LocationType = %q, want %q", got, tc.locType)
			}
		})
	}
}
