//go:build backstage

package backstagetest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A stopped backend refuses connections; restarted, it has every
// registration it had and its entities, as a real deployment's database
// keeps them.
func TestRestartKeepsRegistrations(t *testing.T) {
	b := Start(t)
	files := NewFileServer(t)
	files.Set("/catalog-info.yaml", ComponentYAML("restart-survivor"))
	target := files.URL("/catalog-info.yaml")
	hc := &http.Client{Timeout: 5 * time.Second}
	call := func(method, path, body string) (int, []byte, error) {
		req, err := http.NewRequest(method, b.URL+"/api/catalog"+path, strings.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+b.Token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rsp, err := hc.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer rsp.Body.Close()
		out, err := io.ReadAll(rsp.Body)
		return rsp.StatusCode, out, err
	}
	waitEntity := func() {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			code, _, err := call(http.MethodGet, "/entities/by-name/component/default/restart-survivor", "")
			if err == nil && code == http.StatusOK {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("component:default/restart-survivor not in the catalog within a minute (last: %d, %v)", code, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	code, body, err := call(http.MethodPost, "/locations", `{"type":"url","target":"`+target+`"}`)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("POST /locations: %d %s %v", code, body, err)
	}
	var added struct {
		Location struct{ ID string } `json:"location"`
	}
	if err := json.Unmarshal(body, &added); err != nil || added.Location.ID == "" {
		t.Fatalf("POST /locations answered %s (%v): no location id", body, err)
	}
	waitEntity()

	b.Stop()
	if _, _, err := call(http.MethodGet, "/locations", ""); err == nil {
		t.Fatal("GET /locations succeeded on a stopped backend, want a refused connection")
	}
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := b.Restart(); err == nil {
		t.Error("Restart of a running backend succeeded, want an error")
	}

	code, body, err = call(http.MethodGet, "/locations/"+added.Location.ID, "")
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /locations/%s after the restart: %d %s %v; want the registration kept", added.Location.ID, code, body, err)
	}
	if !strings.Contains(string(body), target) {
		t.Errorf("GET /locations/%s after the restart answered %s, want target %s", added.Location.ID, body, target)
	}
	waitEntity()
}
