package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// recorder is a GitHub-shaped test server that records request paths and
// answers with the scripted status and headers, and GET /user with the id
// of the token's user in users.
type recorder struct {
	mu     sync.Mutex
	paths  []string
	status int
	header map[string]string
	users  map[string]int64
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.paths = append(rc.paths, r.Method+" "+r.URL.Path)
	st, h := rc.status, rc.header
	id, ok := rc.users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	rc.mu.Unlock()
	if ok && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/user") {
		_, _ = fmt.Fprintf(w, `{"login":"u%d","id":%d}`, id, id)
		return
	}
	for k, v := range h {
		w.Header().Set(k, v)
	}
	if st == 0 {
		st = http.StatusOK
	}
	w.WriteHeader(st)
	_, _ = io.WriteString(w, `{"message":"x"}`)
}

func TestPoolUsesGHESPathsForAHostOnlyBaseURL(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	for _, base := range []string{srv.URL, srv.URL + "/", srv.URL + "/api/v3", srv.URL + "/api/v3/"} {
		c, err := NewPool(Options{AllowHTTPLoopback: true}).Client(Config{BaseURL: base, Credentials: Credentials{Token: "t"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Repositories.Get(context.Background(), "acme", "svc"); err != nil {
			t.Fatal(err)
		}
		if got := c.UploadURL.String(); got != srv.URL+"/api/uploads/" {
			t.Errorf("base %q: upload URL %s", base, got)
		}
	}
	for _, p := range rc.paths {
		if p != "GET /api/v3/repos/acme/svc" {
			t.Errorf("request %s, want GET /api/v3/repos/acme/svc", p)
		}
	}
}

func TestPoolSharesStatePerIdentityNotPerProviderConfig(t *testing.T) {
	rc := &recorder{status: http.StatusForbidden, header: map[string]string{"Retry-After": "600", "X-RateLimit-Remaining": "17"},
		users: map[string]int64{"same-token": 1, "other-token": 2}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	p := NewPool(Options{AllowHTTPLoopback: true})
	cfg := func(pc, token string) Config {
		return Config{ProviderConfig: pc, BaseURL: srv.URL, Credentials: Credentials{Token: token}}
	}
	a, err := p.Client(cfg("team-a", "same-token"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Client(cfg("team-b", "same-token"))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("two ProviderConfigs with the same token got two clients")
	}
	// Another user's token: the pool asks GitHub which user each token
	// is (GET /user, once per token).
	other, err := p.Client(cfg("team-c", "other-token"))
	if err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.paths = nil
	rc.mu.Unlock()
	// team-a hits a secondary limit: team-b (same identity) waits too and
	// sends nothing; team-c (another token) is not held back.
	if _, _, err := a.Repositories.Get(context.Background(), "acme", "svc"); err == nil {
		t.Fatal("no error for a 403 with Retry-After")
	}
	if _, _, err := b.Repositories.Get(context.Background(), "acme", "svc"); !IsRateLimited(err) {
		t.Errorf("same identity after the limit: %v, want RateLimitedError", err)
	}
	if _, _, err := other.Repositories.Get(context.Background(), "acme", "svc"); IsRateLimited(err) {
		t.Errorf("another identity is held back: %v", err)
	}
	if len(rc.paths) != 2 {
		t.Errorf("%d requests reached GitHub, want 2 (team-a once, team-c once)", len(rc.paths))
	}
	// The remaining quota is exported per identity (the token's user),
	// never with the token.
	id, _ := p.IdentityOf(cfg("team-a", "same-token"))
	if want := strings.TrimPrefix(srv.URL, "http://") + "/api/v3/user/1"; id != want {
		t.Errorf("identity label %q, want %q", id, want)
	}
	m := &dto.Metric{}
	if err := RateLimitRemaining.WithLabelValues(id).Write(m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetGauge().GetValue(); got != 17 {
		t.Errorf("%s{identity=%q} = %v, want 17", "paved_github_rate_limit_remaining", id, got)
	}
	if n, _ := p.identities[id].limits.Remaining(); n != 17 {
		t.Errorf("remaining kept for the identity = %d, want 17", n)
	}
}

func TestPoolPacesContentWritesPerIdentity(t *testing.T) {
	rc := &recorder{status: http.StatusOK}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	now := time.Unix(1_800_000_000, 0)
	p := NewPool(Options{AllowHTTPLoopback: true, ServerContentWritesPerMinute: 3, ServerContentWritesPerHour: 5, Now: func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error { t.Fatal("slept through a long pacing wait"); return nil }})
	a, _ := p.Client(Config{ProviderConfig: "a", BaseURL: srv.URL, Credentials: Credentials{Token: "t"}})
	b, _ := p.Client(Config{ProviderConfig: "b", BaseURL: srv.URL, Credentials: Credentials{Token: "t"}})
	write := func(i int) error {
		c := a
		if i%2 == 1 {
			c = b
		}
		_, _, err := c.Repositories.ReplaceAllTopics(context.Background(), "acme", fmt.Sprintf("svc-%d", i), []string{"x"})
		return err
	}
	for i := range 3 {
		if err := write(i); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// The 4th write of the identity within a minute waits, whichever
	// ProviderConfig sends it; reads are not paced.
	err := write(3)
	var rl *RateLimitedError
	if !IsRateLimited(err) || !errors.As(err, &rl) || !rl.Pacing || !rl.Until.Equal(now.Add(time.Minute)) {
		t.Fatalf("4th write: %v, want pacing until now+1m", err)
	}
	if _, _, err := a.Repositories.Get(context.Background(), "acme", "svc"); err != nil {
		t.Errorf("a read was held back: %v", err)
	}
	now = now.Add(time.Minute)
	for i := 3; i < 5; i++ {
		if err := write(i); err != nil {
			t.Fatalf("write %d after a minute: %v", i, err)
		}
	}
	// 5 in the hour: the 6th waits for the hour.
	if err := write(5); !errors.As(err, &rl) || !rl.Until.Equal(now.Add(-time.Minute).Add(time.Hour)) {
		t.Errorf("6th write: %v, want pacing until the first write + 1h", err)
	}
	if writes := strings.Count(strings.Join(rc.paths, "\n"), "PUT "); writes != 5 {
		t.Errorf("%d writes reached GitHub, want 5", writes)
	}
}

func TestPoolRefusesHTTPButForALoopbackStandIn(t *testing.T) {
	cases := map[string]struct {
		base    string
		allow   bool
		refused bool
	}{
		"https":                   {base: "https://ghe.example.com"},
		"http":                    {base: "http://ghe.example.com", refused: true},
		"http even when allowed":  {base: "http://ghe.example.com", allow: true, refused: true},
		"loopback not allowed":    {base: "http://127.0.0.1:8080", refused: true},
		"loopback allowed":        {base: "http://127.0.0.1:8080", allow: true},
		"localhost allowed":       {base: "http://localhost:8080", allow: true},
		"IPv6 loopback allowed":   {base: "http://[::1]:8080", allow: true},
		"private address allowed": {base: "http://10.0.0.1", allow: true, refused: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewPool(Options{AllowHTTPLoopback: tc.allow}).Client(Config{BaseURL: tc.base, Credentials: Credentials{Token: "t"}})
			if refused := err != nil; refused != tc.refused {
				t.Errorf("Client(%q) error = %v, want refused %v", tc.base, err, tc.refused)
			}
		})
	}
}

func TestPoolDoesNotPaceGHESUnlessConfigured(t *testing.T) {
	rc := &recorder{status: http.StatusOK}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	now := time.Unix(1_800_000_000, 0)
	opts := Options{AllowHTTPLoopback: true, ContentWritesPerMinute: 1, Now: func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error { return errors.New("slept") }}
	writes := func(o Options) int {
		c, err := NewPool(o).Client(Config{BaseURL: srv.URL, Credentials: Credentials{Token: "t"}}) // a GHES base URL
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range 5 {
			if _, _, err := c.Repositories.ReplaceAllTopics(context.Background(), "acme", "svc", []string{"x"}); err == nil {
				n++
			}
		}
		return n
	}
	if n := writes(opts); n != 5 {
		t.Errorf("GHES by default: %d of 5 writes sent, want 5 (GHES rate limits are off by default)", n)
	}
	opts.ServerContentWritesPerMinute = 2
	if n := writes(opts); n != 2 {
		t.Errorf("GHES paced at 2 a minute: %d of 5 writes sent, want 2", n)
	}
}
