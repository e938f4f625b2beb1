package github

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// etagServer answers every GET of /n with a 200, an ETag and a body of n
// bytes, or 304 when If-None-Match matches.
type etagServer struct {
	seen []*http.Request
}

func (s *etagServer) RoundTrip(r *http.Request) (*http.Response, error) {
	s.seen = append(s.seen, r)
	etag := `"` + r.URL.Path + `"`
	if r.Header.Get("If-None-Match") == etag {
		return &http.Response{StatusCode: http.StatusNotModified, Header: http.Header{"Etag": {etag}}, Body: http.NoBody, Request: r}, nil
	}
	body := strings.Repeat("x", 1000)
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Etag": {etag}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func getURL(t *testing.T, rt http.RoundTripper, u string) *http.Response {
	t.Helper()
	r, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := rt.RoundTrip(r)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, rsp.Body)
	return rsp
}

func TestETagCacheIsBoundedByBytesLeastRecentlyUsedFirst(t *testing.T) {
	srv := &etagServer{}
	one := entrySize(cacheKey(&http.Request{Header: http.Header{}, URL: mustURL(t, "https://api.github.com/repos/a/1")}), `"/repos/a/1"`, http.Header{"Etag": {`"/repos/a/1"`}}, make([]byte, 1000))
	evicted := 0
	store := newETagStore(3*one+one/2, func(_ int64, n int) { evicted += n }) // room for three entries
	c := &etagCache{next: srv, store: store}
	u := func(i string) string { return "https://api.github.com/repos/a/" + i }

	for _, i := range []string{"1", "2", "3"} {
		getURL(t, c, u(i))
	}
	getURL(t, c, u("1")) // 1 is now the most recently used
	getURL(t, c, u("4")) // evicts 2, the least recently used
	if b, n := store.size(); n != 3 || b > store.maxBytes {
		t.Errorf("cache holds %d entries, %d bytes; want 3 within %d", n, b, store.maxBytes)
	}
	if evicted != 1 {
		t.Errorf("%d evictions, want 1", evicted)
	}
	srv.seen = nil
	for _, i := range []string{"1", "3", "4", "2"} {
		if rsp := getURL(t, c, u(i)); rsp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", i, rsp.StatusCode)
		}
	}
	var conditional []string
	for _, r := range srv.seen {
		if r.Header.Get("If-None-Match") != "" {
			conditional = append(conditional, r.URL.Path)
		}
	}
	if got := strings.Join(conditional, ","); got != "/repos/a/1,/repos/a/3,/repos/a/4" {
		t.Errorf("conditional GETs %s, want 1, 3 and 4 (2 was evicted)", got)
	}

	// An answer larger than the whole bound is not cached.
	small := newETagStore(100, nil)
	getURL(t, &etagCache{next: srv, store: small}, u("big"))
	if b, n := small.size(); n != 0 || b != 0 {
		t.Errorf("an answer over the bound was cached: %d entries, %d bytes", n, b)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
