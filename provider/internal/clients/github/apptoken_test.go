package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"testing"
	"time"

	"github.com/paved-dev/paved/test/ghtest"
)

// TestSteadyStateWithRotatingAppTokens: with GitHub App credentials the
// token changes every hour and GitHub's ETags with it; steady-state reads
// must still be answered 304 (not counted) after each rotation.
func TestSteadyStateWithRotatingAppTokens(t *testing.T) {
	v, err := ghtest.LoadValidator()
	if err != nil {
		t.Fatalf("GitHub OpenAPI description unavailable (make provider-test-deps): %v", err)
	}
	s := ghtest.NewServer(v)
	defer s.Close()
	// Tokens live three seconds. The stand-in states expires_at in whole
	// seconds, as GitHub does (RFC 3339), which takes up to a second off a
	// token's life: with one-second tokens a token could have 50 ms left
	// when issued and expire before a loaded machine sent the request
	// (401, seen in make test beside the control-plane suites).
	s.SetTimeScale(1200)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.AddOrg("acme")
	s.AddApp(7, &key.PublicKey, 70, "acme")
	s.CreateOutOfBand("acme", "svc")
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	c, err := NewPool(Options{AllowHTTPLoopback: true}).Client(Config{BaseURL: s.URL, Credentials: Credentials{AppID: 7, InstallationID: 70, PrivateKey: pemKey}})
	if err != nil {
		t.Fatal(err)
	}
	get := func() {
		t.Helper()
		_, rsp, err := c.Repositories.Get(context.Background(), "acme", "svc")
		if err != nil || rsp.StatusCode != http.StatusOK {
			t.Fatalf("GET: %v", err)
		}
	}
	get()
	first := s.Stats()
	for range 3 {
		time.Sleep(3100 * time.Millisecond) // the token expired
		get()
		get()
	}
	st := s.Stats()
	if st.InstallationTokens-first.InstallationTokens < 3 {
		t.Fatalf("%d installation tokens issued, want a new one per rotation", st.InstallationTokens-first.InstallationTokens)
	}
	// Counted against the installation (acme); the token requests
	// themselves are the App's.
	if got := st.CountedByLogin["acme"] - first.CountedByLogin["acme"]; got != 0 {
		t.Errorf("%d counted requests after rotations, want 0 (%d answered 304)", got, st.NotModified-first.NotModified)
	}
	for _, v := range s.Violations() {
		t.Errorf("OpenAPI: %s", v)
	}
}

// TestETagCacheRevalidatesByDateForNewCredentials: an ETag answered to
// other credentials is not sent; If-Modified-Since is, and the ETag a 304
// carries for the new credentials is used from then on.
func TestETagCacheRevalidatesByDateForNewCredentials(t *testing.T) {
	lm := "Thu, 03 Dec 2026 20:00:00 GMT"
	s := &script{steps: []step{
		{status: 200, header: map[string]string{"ETag": `W/"a1"`, "Last-Modified": lm}, body: `{"name":"b"}`},
		{status: 304, header: map[string]string{"ETag": `W/"b1"`}},
		{status: 304, header: map[string]string{"ETag": `W/"b1"`}},
	}}
	c := &etagCache{next: s, store: newETagStore(DefaultCacheMaxBytes, nil)}
	for i, tok := range []string{"one", "two", "two"} {
		r, _ := http.NewRequest(http.MethodGet, "https://api.github.com/repos/a/b", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		rsp, err := c.RoundTrip(r)
		if err != nil || rsp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %v %v", i, rsp, err)
		}
	}
	want := []struct{ inm, ims string }{{"", ""}, {"", lm}, {`W/"b1"`, ""}}
	for i, w := range want {
		if got := (struct{ inm, ims string }{s.seen[i].Header.Get("If-None-Match"), s.seen[i].Header.Get("If-Modified-Since")}); got != w {
			t.Errorf("request %d sent If-None-Match %q If-Modified-Since %q, want %q %q", i, got.inm, got.ims, w.inm, w.ims)
		}
	}
}
