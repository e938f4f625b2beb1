package ghtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGetInstallation: GET /app/installations/{installation_id} answers
// the App's own installation, with its account and the permissions its
// owner chose, to the App's JWT only; the answer is held to GitHub's
// description (newServer's cleanup fails the test on any violation).
func TestGetInstallation(t *testing.T) {
	s, _ := newServer(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.AddApp(9, &key.PublicKey, 91, "acme")
	s.AddApp(8, &other.PublicKey, 81, "acme")
	perms := map[string]string{"administration": "write", "contents": "write", "metadata": "read", "members": "read"}
	if !s.SetInstallationPermissions(9, 91, perms) {
		t.Fatal("SetInstallationPermissions: no installation 91 of App 9")
	}
	if s.SetInstallationPermissions(9, 81, perms) {
		t.Error("SetInstallationPermissions set another App's installation")
	}
	get := func(id, jwt string) *http.Response {
		t.Helper()
		r, _ := http.NewRequest(http.MethodGet, s.URL+"/app/installations/"+id, nil)
		r.Header.Set("Authorization", "Bearer "+jwt)
		r.Header.Set("Accept", "application/vnd.github+json")
		rsp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rsp.Body.Close() })
		return rsp
	}

	rsp := get("91", appJWT(t, key, 9))
	var in struct {
		ID          int64             `json:"id"`
		AppID       int64             `json:"app_id"`
		Permissions map[string]string `json:"permissions"`
		Account     struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"account"`
		SuspendedAt *string `json:"suspended_at"`
	}
	if rsp.StatusCode != http.StatusOK || json.NewDecoder(rsp.Body).Decode(&in) != nil {
		t.Fatalf("GET /app/installations/91: %d", rsp.StatusCode)
	}
	if in.ID != 91 || in.AppID != 9 || in.Account.Login != "acme" || in.Account.Type != "Organization" || in.SuspendedAt != nil {
		t.Errorf("installation %+v, want 91 of App 9 on organisation acme, not suspended", in)
	}
	if diff := cmp.Diff(perms, in.Permissions); diff != "" {
		t.Errorf("permissions: -want, +got:\n%s", diff)
	}

	for name, tc := range map[string]struct {
		id, jwt string
		want    int
	}{
		"AnotherAppsInstallation": {id: "81", jwt: appJWT(t, key, 9), want: http.StatusNotFound},
		"NoSuchInstallation":      {id: "92", jwt: appJWT(t, key, 9), want: http.StatusNotFound},
		"SignedByAnotherKey":      {id: "91", jwt: appJWT(t, other, 9), want: http.StatusUnauthorized},
		"NotAJWT":                 {id: "91", jwt: "ghp_token", want: http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			if rsp := get(tc.id, tc.jwt); rsp.StatusCode != tc.want {
				t.Errorf("GET /app/installations/%s: %d, want %d", tc.id, rsp.StatusCode, tc.want)
			}
		})
	}
}
