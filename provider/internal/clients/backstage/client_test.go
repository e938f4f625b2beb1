package backstage

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testToken = "s3cr3t-t0ken-value"

// recorded is one request seen by the fake catalog.
type recorded struct {
	Method, Path, Query, Auth, Body string
}

// fakeCatalog answers with status and body for every request and records
// what it received.
func fakeCatalog(t *testing.T, status int, body string) (*Client, *[]recorded) {
	t.Helper()
	var seen []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, recorded{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: string(b)})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/", testToken)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, &seen
}

func TestNewRejectsBadBaseURLs(t *testing.T) {
	for _, u := range []string{"", "backstage.example.com", "ftp://x", "https://user:pw@backstage.example.com", "https://b.example.com?x=1", "https://b.example.com#f", "http://[::1"} {
		if _, err := New(u, testToken); err == nil {
			t.Errorf("New(%q): want an error", u)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("New(%q): error %q leaks user information", u, err)
		}
	}
	if _, err := New("https://b.example.com", ""); err == nil {
		t.Error("New with an empty token: want an error")
	}
}

func TestAddLocationDryRun(t *testing.T) {
	c, seen := fakeCatalog(t, http.StatusCreated, `{"exists":false,"location":{"id":"","type":"url","target":"http://h/c.yaml"},"entities":[{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"svc","namespace":"default"}}]}`)
	rsp, err := c.AddLocation(context.Background(), AddLocationRequest{Type: "url", Target: "http://h/c.yaml"}, true)
	if err != nil {
		t.Fatalf("AddLocation: %v", err)
	}
	got := (*seen)[0]
	if got.Method != http.MethodPost || got.Path != "/api/catalog/locations" || got.Query != "dryRun=true" {
		t.Errorf("request = %s %s?%s, want POST /api/catalog/locations?dryRun=true", got.Method, got.Path, got.Query)
	}
	if got.Auth != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got.Auth)
	}
	var body AddLocationRequest
	if err := json.Unmarshal([]byte(got.Body), &body); err != nil || body.Type != "url" || body.Target != "http://h/c.yaml" {
		t.Errorf("body = %s (%v)", got.Body, err)
	}
	if rsp.Exists == nil || *rsp.Exists || len(rsp.Entities) != 1 || rsp.Entities[0].Ref() != "component:default/svc" {
		t.Errorf("response = %+v", rsp)
	}
}

func TestErrorsAreTypedAndCarryNoToken(t *testing.T) {
	cases := map[string]struct {
		status int
		body   string
		is     func(error) bool
		name   string
		reason string
	}{
		"InputError": {
			status: 400,
			body:   `{"error":{"name":"InputError","message":"Unable to read url, NotFoundError: could not read http://h/c.yaml"},"request":{"method":"POST","url":"/locations?dryRun=true"},"response":{"statusCode":400}}`,
			is:     IsInputError, name: "InputError", reason: "Unable to read url, NotFoundError: could not read http://h/c.yaml",
		},
		"Unauthorized": {
			status: 401,
			body:   `{"error":{"name":"AuthenticationError","message":"Illegal token"},"request":{"method":"POST","url":"/locations"},"response":{"statusCode":401}}`,
			is:     IsUnauthorized, name: "AuthenticationError", reason: "Illegal token",
		},
		"NotFound": {
			status: 404,
			body:   `{"error":{"name":"NotFoundError","message":"Found no location with ID x"},"response":{"statusCode":404}}`,
			is:     IsNotFound, name: "NotFoundError", reason: "Found no location with ID x",
		},
		"Conflict": {
			status: 409,
			body:   `{"error":{"name":"ConflictError","message":"Location url:http://h/c.yaml already exists"},"response":{"statusCode":409}}`,
			is:     IsConflict, name: "ConflictError", reason: "Location url:http://h/c.yaml already exists",
		},
		"NotJSON": {
			status: 502, body: "bad gateway", is: func(err error) bool { return !IsNotFound(err) && !IsConflict(err) }, reason: "bad gateway",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, _ := fakeCatalog(t, tc.status, tc.body)
			_, err := c.AddLocation(context.Background(), AddLocationRequest{Type: "url", Target: "http://h/c.yaml"}, false)
			if err == nil {
				t.Fatal("want an error")
			}
			if !tc.is(err) {
				t.Errorf("error %v is not classified as %s", err, name)
			}
			var e *Error
			if !asError(err, &e) || e.StatusCode != tc.status || e.Name != tc.name {
				t.Errorf("error = %#v", err)
			}
			if Reason(err) != tc.reason {
				t.Errorf("Reason = %q, want %q", Reason(err), tc.reason)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error) //nolint:errorlint // The client returns *Error unwrapped.
	*target = e
	return ok
}

func TestNetworkErrorCarriesNoToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	c, err := New(url, testToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetLocation(context.Background(), "x")
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q contains the token", err)
	}
}

func TestPathsAndDecoding(t *testing.T) {
	c, seen := fakeCatalog(t, http.StatusOK, `[{"data":{"id":"a","type":"url","target":"http://h/a.yaml"}},{"data":{"id":"b","type":"url","target":"http://h/b.yaml"}}]`)
	locs, err := c.ListLocations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(locs) != 2 || locs[1].ID != "b" || locs[1].Target != "http://h/b.yaml" {
		t.Errorf("locations = %+v", locs)
	}
	_, _ = c.GetLocation(context.Background(), "a/b")
	_, _ = c.GetEntityByName(context.Background(), "Component", "", "svc")
	_, _ = c.GetLocationByEntity(context.Background(), "component", "default", "svc")
	_, _ = c.ListEntities(context.Background(), map[string]string{AnnotationManagedByOriginLocation: "url:http://h/a.yaml"})
	_ = c.Refresh(context.Background(), "location:default/generated-x")
	_ = c.DeleteLocation(context.Background(), "a")
	want := []string{
		"GET /api/catalog/locations",
		"GET /api/catalog/locations/a%2Fb",
		"GET /api/catalog/entities/by-name/Component/default/svc",
		"GET /api/catalog/locations/by-entity/component/default/svc",
		"GET /api/catalog/entities",
		"POST /api/catalog/refresh",
		"DELETE /api/catalog/locations/a",
	}
	if len(*seen) != len(want) {
		t.Fatalf("saw %d requests, want %d", len(*seen), len(want))
	}
	for i, w := range want {
		if got := (*seen)[i].Method + " " + (*seen)[i].Path; got != w {
			t.Errorf("request %d = %s, want %s", i, got, w)
		}
	}
	if q := (*seen)[4].Query; q != "filter=backstage.io%2Fmanaged-by-origin-location%3Durl%3Ahttp%3A%2F%2Fh%2Fa.yaml" {
		t.Errorf("filter query = %s", q)
	}
	if b := (*seen)[5].Body; b != `{"entityRef":"location:default/generated-x"}` {
		t.Errorf("refresh body = %s", b)
	}
	if _, err := c.GetLocation(context.Background(), ""); err == nil {
		t.Error("GetLocation with an empty id: want an error")
	}
}

func TestEntityRef(t *testing.T) {
	if got := EntityRef("Component", "", "My-Svc"); got != "component:default/my-svc" {
		t.Errorf("EntityRef = %s", got)
	}
	// sha1("url:https://example.com/catalog-info.yaml"), computed independently.
	if got := LocationEntityName("url", "https://example.com/catalog-info.yaml"); got != "generated-"+sha1Example {
		t.Errorf("LocationEntityName = %s", got)
	}
}

// printf 'url:https://example.com/catalog-info.yaml' | sha1sum
const sha1Example = "94fde8d1a3274d54a87afa4868abb452412d59c6"
