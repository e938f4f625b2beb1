package servicebundle

import (
	"strconv"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/fn/internal/compose"
)

func TestObserve(t *testing.T) {
	const app = `{"metadata": {"name": "orders-api-staging"}, "spec": {"source": {"repoURL": "https://github.com/acme/kept.git"}}}`
	cases := map[string]struct {
		reason   string
		observed map[string]string
		want     []string // register, clone URL, then source and name of staging's and production's Application
	}{
		"Nothing": {
			reason: "Nothing observed: no registration, no source for Applications.",
			want:   []string{"false", "", "", "", "", ""},
		},
		"RepositoryCreating": {
			reason:   "The registration waits for the provider to observe the repository, as the file does.",
			observed: map[string]string{Repository: creatingMR},
			want:     []string{"false", "", "", "", "", ""},
		},
		"RepositoryObservedFileNot": {
			reason:   "The registration is composed with the file, which the provider waits for; the Applications have the clone URL.",
			observed: map[string]string{Repository: readyRepo, CatalogFile: creatingMR},
			want:     []string{"true", "https://github.com/acme/orders-api.git", "https://github.com/acme/orders-api.git", "", "https://github.com/acme/orders-api.git", ""},
		},
		"KeepWhatExists": {
			reason:   "A registration and an Application that exist are kept while the repository reports nothing, the Application with the name it has.",
			observed: map[string]string{CatalogLocation: brokenLoc, ApplicationPrefix + "staging": app},
			want:     []string{"true", "", "https://github.com/acme/kept.git", "orders-api-staging", "", ""},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obs := map[string]*fnv1.Resource{}
			for n, js := range tc.observed {
				obs[n] = &fnv1.Resource{Resource: resource.MustStructJSON(js)}
			}
			set := new(compose.NewObservedState(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: obs}}))
			o := observe(set)
			got := []string{strconv.FormatBool(o.register(set)), o.cloneURL}
			for _, e := range Environments {
				got = append(got, o.source(e), o.appName[e])
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nobserve: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
