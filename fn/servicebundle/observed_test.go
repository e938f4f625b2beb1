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
		want     []string // register, clone URL, commit, then source and name of staging's and production's Application
	}{
		"Nothing": {
			reason: "Nothing observed: no registration, no source for Applications.",
			want:   []string{"false", "", "", "", "", "", ""},
		},
		"RepositoryReadyFileNot": {
			reason:   "The registration waits for the file; the Applications have the clone URL.",
			observed: map[string]string{Repository: readyRepo, CatalogFile: creatingMR},
			want:     []string{"false", "https://github.com/acme/orders-api.git", "", "https://github.com/acme/orders-api.git", "", "https://github.com/acme/orders-api.git", ""},
		},
		"BothReady": {
			reason:   "Repository and file Ready: register, refreshing for the file's commit.",
			observed: map[string]string{Repository: readyRepo, CatalogFile: readyFile},
			want:     []string{"true", "https://github.com/acme/orders-api.git", "0123abcd", "https://github.com/acme/orders-api.git", "", "https://github.com/acme/orders-api.git", ""},
		},
		"KeepWhatExists": {
			reason:   "A registration and an Application that exist are kept while the repository reports nothing, the Application with the name it has.",
			observed: map[string]string{CatalogLocation: brokenLoc, ApplicationPrefix + "staging": app},
			want:     []string{"true", "", "", "https://github.com/acme/kept.git", "orders-api-staging", "", ""},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obs := map[string]*fnv1.Resource{}
			for n, js := range tc.observed {
				obs[n] = &fnv1.Resource{Resource: resource.MustStructJSON(js)}
			}
			o := observe(new(compose.NewObservedState(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: obs}})))
			got := []string{strconv.FormatBool(o.register()), o.cloneURL, o.commit}
			for _, e := range Environments {
				got = append(got, o.source(e), o.appName[e])
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nobserve: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
