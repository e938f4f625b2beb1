package github

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

type step struct {
	status int
	header map[string]string
	body   string
}

// script is a RoundTripper answering with the next step and recording the
// requests it saw.
type script struct {
	steps []step
	seen  []*http.Request
}

func (s *script) RoundTrip(r *http.Request) (*http.Response, error) {
	s.seen = append(s.seen, r)
	st := s.steps[0]
	if len(s.steps) > 1 {
		s.steps = s.steps[1:]
	}
	h := http.Header{}
	for k, v := range st.header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: st.status, Header: h, Body: io.NopCloser(strings.NewReader(st.body)), Request: r}, nil
}

func get(t *testing.T, rt http.RoundTripper) (*http.Response, error) {
	t.Helper()
	r, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://api.github.com/repos/a/b", nil)
	if err != nil {
		t.Fatal(err)
	}
	return rt.RoundTrip(r)
}

func TestETagCacheTurns304IntoTheCachedBody(t *testing.T) {
	s := &script{steps: []step{
		{status: 200, header: map[string]string{"ETag": `W/"1"`, "X-RateLimit-Remaining": "10"}, body: `{"name":"b"}`},
		{status: 304, header: map[string]string{"ETag": `W/"1"`, "X-RateLimit-Remaining": "10"}},
		{status: 200, header: map[string]string{"ETag": `W/"2"`}, body: `{"name":"c"}`},
	}}
	c := &etagCache{next: s, store: newETagStore(DefaultCacheMaxBytes, nil)}
	for i, want := range []string{`{"name":"b"}`, `{"name":"b"}`, `{"name":"c"}`} {
		rsp, err := get(t, c)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rsp.Body)
		if rsp.StatusCode != http.StatusOK || string(b) != want {
			t.Errorf("request %d: %d %s, want 200 %s", i, rsp.StatusCode, b, want)
		}
	}
	if inm := s.seen[0].Header.Get("If-None-Match"); inm != "" {
		t.Errorf("first request conditional on %q", inm)
	}
	if inm := s.seen[1].Header.Get("If-None-Match"); inm != `W/"1"` {
		t.Errorf("second request If-None-Match = %q", inm)
	}
}

func TestRateLimiterHonoursGitHubSignals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	reset := strconv.FormatInt(now.Add(30*time.Minute).Unix(), 10)
	cases := map[string]struct {
		rsp       step
		wantUntil time.Duration
	}{
		"429 Retry-After":       {rsp: step{status: 429, header: map[string]string{"Retry-After": "90"}}, wantUntil: 90 * time.Second},
		"403 Retry-After":       {rsp: step{status: 403, header: map[string]string{"Retry-After": "30"}}, wantUntil: 30 * time.Second},
		"primary limit":         {rsp: step{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}}, wantUntil: 30 * time.Minute},
		"secondary without RA":  {rsp: step{status: 403, body: `{"message":"You have exceeded a secondary rate limit."}`}, wantUntil: time.Minute},
		"plain 403 is no limit": {rsp: step{status: 403, body: `{"message":"Resource not accessible by integration"}`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := &script{steps: []step{tc.rsp}}
			l := &rateLimiter{next: s, state: newLimitState(pacing{perMinute: 80, perHour: 500}), maxInlineWait: time.Second, now: func() time.Time { return now },
				sleep: func(context.Context, time.Duration) error { t.Fatal("slept for a long wait"); return nil }}
			rsp, err := get(t, l)
			if err != nil {
				t.Fatal(err)
			}
			if rsp.StatusCode != tc.rsp.status {
				t.Errorf("status %d", rsp.StatusCode)
			}
			if got := l.state.blockedUntil(); tc.wantUntil == 0 && !got.IsZero() || tc.wantUntil != 0 && !got.Equal(now.Add(tc.wantUntil)) {
				t.Errorf("blocked until %v, want now+%v", got, tc.wantUntil)
			}
			if tc.wantUntil == 0 {
				return
			}
			// While blocked, nothing reaches GitHub.
			if _, err := get(t, l); !IsRateLimited(err) {
				t.Errorf("second request err = %v, want RateLimitedError", err)
			}
			if len(s.seen) != 1 {
				t.Errorf("%d requests reached GitHub, want 1", len(s.seen))
			}
		})
	}
}

func TestRateLimiterSleepsThroughShortWaitsOnce(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := &script{steps: []step{
		{status: 429, header: map[string]string{"Retry-After": "1"}},
		{status: 200, body: "{}"},
	}}
	var slept time.Duration
	l := &rateLimiter{next: s, state: newLimitState(pacing{perMinute: 80, perHour: 500}), maxInlineWait: 2 * time.Second, now: func() time.Time { return now.Add(slept) },
		sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil }}
	rsp, err := get(t, l)
	if err != nil || rsp.StatusCode != http.StatusOK {
		t.Fatalf("got %v %v, want 200 after one retry", rsp, err)
	}
	if slept != time.Second || len(s.seen) != 2 {
		t.Errorf("slept %v over %d requests, want 1s over 2", slept, len(s.seen))
	}
}
