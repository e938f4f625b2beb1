//go:build backstage

package servicebundle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/test/backstagetest"
)

// TestCatalogInfoAgainstBackstage registers generated catalog-info.yaml
// files, served on loopback, with a real Backstage catalog backend (the
// provider's harness, test/backstage): the dry run Backstage offers
// must accept them and return the Component and its Resources, and after a
// real registration the catalog must have processed them without errors,
// with the Component depending on its Resources. Run by make
// provider-backstage-test.
func TestCatalogInfoAgainstBackstage(t *testing.T) {
	b := backstagetest.Start(t)
	files := backstagetest.NewFileServer(t)

	long := strings.Repeat("a", 63)
	cases := map[string]struct {
		reason    string
		name      string
		namespace string
		spec      string
	}{
		"Full": {
			reason:    "Database, bucket, two environments, a Grafana link.",
			name:      "orders-api",
			namespace: "team-orders",
			spec:      fullSpec,
		},
		"LongNamesAndAwkwardDescription": {
			reason:    "The longest service: Resource names and Application names are shortened to Backstage's and Argo CD's 63 characters; a description YAML must quote; the team of another namespace.",
			name:      long,
			namespace: "team-payments",
			spec:      `{"description": "Payments: \"the\" API -- # not a comment\n second line", "owner": "payments-team", "template": "python-service", "lifecycle": "deprecated", "database": {"engine": "mysql", "size": "large"}, "bucket": {}, "environments": ["production", "staging"]}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr := bundle(tc.spec)
			xr.ClaimName, xr.ClaimNamespace = tc.name, tc.namespace
			s := mustTenant(t, xr)
			content, err := catalogInfo(s, testSettings("https://grafana.example.com"))
			if err != nil {
				t.Fatal(err)
			}
			path := "/" + name + "/catalog-info.yaml"
			files.Set(path, string(content))
			target := files.URL(path)

			want := []string{"component:default/" + s.name}
			if s.database != nil {
				want = append(want, "resource:default/"+resourceName(s, databaseEntity))
			}
			if s.bucket != nil {
				want = append(want, "resource:default/"+resourceName(s, bucketEntity))
			}
			slices.Sort(want)

			// The dry run is Backstage's synchronous validation: it reads
			// the file and processes its entities, or answers 400.
			var dry struct {
				Entities []entityJSON `json:"entities"`
			}
			if code := post(t, b, "/api/catalog/locations?dryRun=true", target, &dry); code != http.StatusCreated {
				t.Fatalf("%s\ndry run of\n%s\nanswered %d", tc.reason, content, code)
			}
			var got []string
			for _, e := range dry.Entities {
				if e.Kind != "Location" {
					got = append(got, e.ref())
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s\ndry run entities = %v, want %v", tc.reason, got, want)
			}

			// A real registration: the catalog processes the entities and
			// resolves the Component's dependsOn to its Resources.
			if code := post(t, b, "/api/catalog/locations", target, nil); code != http.StatusCreated {
				t.Fatalf("registration answered %d", code)
			}
			var c entityJSON
			deadline := time.Now().Add(90 * time.Second)
			for {
				code := getJSON(t, b, "/api/catalog/entities/by-name/component/default/"+url.PathEscape(s.name), &c)
				if code == http.StatusOK && len(c.Relations) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the catalog has no processed component:default/%s after 90 s (last status %d)\n%s", s.name, code, b.Logs())
				}
				time.Sleep(500 * time.Millisecond)
			}
			if len(c.Status.Items) > 0 {
				t.Errorf("the catalog reports processing errors for the Component: %+v", c.Status.Items)
			}
			var deps []string
			for _, r := range c.Relations {
				if r.Type == "dependsOn" {
					deps = append(deps, r.TargetRef)
				}
			}
			slices.Sort(deps)
			if !slices.Equal(deps, withoutComponent(want)) {
				t.Errorf("the Component dependsOn %v, want %v", deps, withoutComponent(want))
			}
			if c.Spec.Owner != "group:default/"+s.owner || c.Spec.Lifecycle != s.lifecycle || c.Spec.System != s.system {
				t.Errorf("the catalog's Component spec = %+v", c.Spec)
			}
		})
	}
}

func withoutComponent(refs []string) []string {
	var out []string
	for _, r := range refs {
		if !strings.HasPrefix(r, "component:") {
			out = append(out, r)
		}
	}
	return out
}

// entityJSON is what this test reads of a catalog entity.
type entityJSON struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Owner     string `json:"owner"`
		Lifecycle string `json:"lifecycle"`
		System    string `json:"system"`
	} `json:"spec"`
	Relations []struct {
		Type      string `json:"type"`
		TargetRef string `json:"targetRef"`
	} `json:"relations"`
	Status struct {
		Items []json.RawMessage `json:"items"`
	} `json:"status"`
}

func (e entityJSON) ref() string {
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = defaultNamespace
	}
	return strings.ToLower(e.Kind) + ":" + ns + "/" + e.Metadata.Name
}

func post(t *testing.T, b *backstagetest.Backend, path, target string, out any) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"type": "url", "target": target})
	return do(t, b, http.MethodPost, path, bytes.NewReader(body), out)
}

func getJSON(t *testing.T, b *backstagetest.Backend, path string, out any) int {
	t.Helper()
	return do(t, b, http.MethodGet, path, nil, out)
}

func do(t *testing.T, b *backstagetest.Backend, method, path string, body io.Reader, out any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, b.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+b.Token)
	req.Header.Set("Content-Type", "application/json")
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	raw, _ := io.ReadAll(rsp.Body)
	if rsp.StatusCode >= 300 {
		if rsp.StatusCode != http.StatusNotFound {
			// Backstage's reason, e.g. an invalid entity name.
			t.Logf("%s %s: %d %s", method, path, rsp.StatusCode, raw)
		}
		return rsp.StatusCode
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(fmt.Errorf("%s %s: %w: %s", method, path, err, raw))
		}
	}
	return rsp.StatusCode
}
