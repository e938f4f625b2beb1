//go:build backstage

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/paved-dev/paved/cmd/paved/internal/doctor"
	"github.com/paved-dev/paved/test/backstagetest"
)

// serviceCatalog is a service's catalog-info.yaml as paved writes it: the
// Component and its database, a Resource.
const serviceCatalog = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: orders}
spec: {type: service, lifecycle: production, owner: group:default/orders}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: orders-db}
spec: {type: database, owner: group:default/orders}
`

// TestDoctorBackstageRules asks the real Backstage catalog backend
// (test/backstage) whether its catalog.rules accept the Resource
// of a location provider-paved registered, by a dry run: with Backstage's
// default rules (set explicitly: a second configuration cannot unset
// catalog.rules) doctor prints the fail line with the fix, with the rules
// README.md documents the ok line; neither registers anything.
//
//	make provider-backstage-test, or
//	go test -tags backstage -run TestDoctorBackstageRules ./cmd/paved/
func TestDoctorBackstageRules(t *testing.T) {
	files := backstagetest.NewFileServer(t)
	files.Set("/orders/catalog-info.yaml", serviceCatalog)
	files.Set("/docs/catalog-info.yaml", backstagetest.ComponentYAML("docs"))
	orders, docs := files.URL("/orders/catalog-info.yaml"), files.URL("/docs/catalog-info.yaml")

	cases := map[string]struct {
		config string
		want   func(url string) string
	}{
		"DefaultRules": {
			// DefaultCatalogRulesEnforcer.defaultRules
			// (plugins/catalog-backend src/ingestion/CatalogRules.ts).
			config: "catalog:\n  rules:\n    - allow: [Component, API, Location]\n",
			want: func(url string) string {
				return "fail backstage catalog rules — " + url + " refuses the entities of " + orders + " (a dry run: InputError: NotAllowedError: Entity resource:default/orders-db at url:" + orders + ", originated at url:" + orders + ", is not of an allowed kind for that location): its catalog.rules do not allow Resource, so no service's database or bucket reaches the catalog; set them in Backstage's app-config.yaml to `catalog: {rules: [{allow: [Component, API, Location]}, {allow: [Resource]}]}`, or, where catalog.rules is set already, add `- allow: [Resource]` to it (setting catalog.rules replaces Backstage's default; README, Install)"
			},
		},
		"DocumentedRules": {
			want: func(url string) string {
				return "ok backstage catalog rules — " + url + " accepts the Resource entities of " + orders + " (a dry run of its registration)"
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := backstagetest.StartWithConfig(t, tc.config)
			in := healthy(t, b.URL)
			in.objs["/Secret/crossplane-system/backstage-token"] = secret(t, "backstage-token", "token", b.Token)
			// Two of provider-paved's CatalogLocations for the
			// ProviderConfig: one whose file holds no Resource (asked
			// about first, by name), one whose file holds the database.
			for _, l := range []struct{ name, target string }{{"a-docs", docs}, {"b-orders", orders}} {
				o := obj(t, `
apiVersion: backstage.paved.dev/v1alpha1
kind: CatalogLocation
spec: {forProvider: {}, providerConfigRef: {name: backstage-prod}}
`)
				o.SetName(l.name)
				_ = unstructured.SetNestedField(o.Object, l.target, "status", "atProvider", "target")
				in.objs["backstage.paved.dev/CatalogLocation//"+l.name] = o
				in.serve(o.GroupVersionKind(), false)
			}
			d := &doctor.Doctor{Client: in.client(), HTTP: &http.Client{Timeout: doctor.DefaultHTTPTimeout},
				Namespace: "crossplane-system", EnvironmentConfig: "paved-environment", GitHubAPI: githubStandIn(t, "repo", "team").URL}
			var got []string
			for _, r := range d.Run(context.Background()) {
				if strings.HasPrefix(r.What, "backstage") {
					got = append(got, r.String())
				}
			}
			want := []string{"ok backstage — " + b.URL + " answers the catalog with the token", tc.want(b.URL)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			// A dry run registers nothing: GET /api/catalog/locations
			// lists every registered location (createRouter.ts).
			req, err := http.NewRequest(http.MethodGet, b.URL+"/api/catalog/locations", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+b.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var locations []any
			if err := json.NewDecoder(resp.Body).Decode(&locations); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /api/catalog/locations: HTTP %d, %v", resp.StatusCode, err)
			}
			if len(locations) != 0 {
				t.Errorf("Backstage holds %d locations after doctor, want none: %v", len(locations), locations)
			}
		})
	}
}
