package github

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	headerETag        = "ETag"
	headerIfNoneMatch = "If-None-Match"
	headerRetryAfter  = "Retry-After"
	headerRemaining   = "X-RateLimit-Remaining"
	headerReset       = "X-RateLimit-Reset"

	// HeaderFromCache marks a response served from the ETag cache after
	// GitHub answered 304 Not Modified (which GitHub does not count against
	// the rate limit).
	HeaderFromCache = "X-Paved-From-Cache"

	// maxCacheEntries bounds the ETag cache of one client.
	maxCacheEntries = 20000
	// secondaryLimitWait is GitHub's documented minimum wait after a
	// secondary rate limit answered without Retry-After.
	secondaryLimitWait = time.Minute
)

type cached struct {
	etag   string
	header http.Header
	body   []byte
}

// etagCache is an http.RoundTripper that makes every GET conditional on the
// ETag of the last 200 it saw for the same URL, and turns GitHub's 304 Not
// Modified back into the cached 200, so callers see a normal response.
type etagCache struct {
	next http.RoundTripper

	mu      sync.Mutex
	entries map[string]*cached
}

func cacheKey(r *http.Request) string {
	return r.Header.Get("Accept") + " " + r.URL.String()
}

func (c *etagCache) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet {
		return c.next.RoundTrip(r)
	}
	key := cacheKey(r)
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e != nil {
		r = r.Clone(r.Context())
		r.Header.Set(headerIfNoneMatch, e.etag)
	}
	rsp, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	switch {
	case rsp.StatusCode == http.StatusNotModified && e != nil:
		_ = rsp.Body.Close()
		h := e.header.Clone()
		for k, v := range rsp.Header { // fresh rate-limit headers
			h[k] = v
		}
		h.Set(HeaderFromCache, "1")
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK, Proto: rsp.Proto, ProtoMajor: rsp.ProtoMajor, ProtoMinor: rsp.ProtoMinor,
			Header: h, Body: io.NopCloser(bytes.NewReader(e.body)), ContentLength: int64(len(e.body)), Request: rsp.Request,
		}, nil
	case rsp.StatusCode == http.StatusOK && rsp.Header.Get(headerETag) != "":
		body, err := io.ReadAll(rsp.Body)
		_ = rsp.Body.Close()
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if len(c.entries) >= maxCacheEntries {
			for k := range c.entries { // evict an arbitrary entry
				delete(c.entries, k)
				break
			}
		}
		c.entries[key] = &cached{etag: rsp.Header.Get(headerETag), header: rsp.Header.Clone(), body: body}
		c.mu.Unlock()
		rsp.Body = io.NopCloser(bytes.NewReader(body))
		return rsp, nil
	case rsp.StatusCode == http.StatusNotFound || rsp.StatusCode == http.StatusGone:
		c.mu.Lock()
		delete(c.entries, key)
		c.mu.Unlock()
	}
	return rsp, nil
}

// RateLimitedError is returned without contacting GitHub while a rate limit
// GitHub reported is in force.
type RateLimitedError struct {
	Until time.Time
}

func (e *RateLimitedError) Error() string {
	return "GitHub rate limit in force until " + e.Until.UTC().Format(time.RFC3339)
}

// IsRateLimited reports whether err is (or wraps) a RateLimitedError.
func IsRateLimited(err error) bool {
	var rl *RateLimitedError
	return errors.As(err, &rl)
}

// rateLimiter is an http.RoundTripper that honours GitHub's rate limits: it
// records X-RateLimit-Remaining in a gauge, and after a 403/429 with
// Retry-After or X-RateLimit-Remaining: 0 it refuses requests until the wait
// is over (so no storm of requests hits GitHub). Short waits are slept
// through and the request retried once.
type rateLimiter struct {
	next          http.RoundTripper
	observe       func(remaining int)
	maxInlineWait time.Duration
	now           func() time.Time
	sleep         func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	until time.Time
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (l *rateLimiter) blockedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.until
}

func (l *rateLimiter) RoundTrip(r *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if u := l.blockedUntil(); l.now().Before(u) {
			wait := u.Sub(l.now())
			if wait > l.maxInlineWait {
				return nil, &RateLimitedError{Until: u}
			}
			if err := l.sleep(r.Context(), wait); err != nil {
				return nil, err
			}
		}
		req := r
		if attempt > 0 {
			if r.GetBody == nil && r.Body != nil && r.Body != http.NoBody {
				return nil, &RateLimitedError{Until: l.blockedUntil()}
			}
			req = r.Clone(r.Context())
			if r.GetBody != nil {
				b, err := r.GetBody()
				if err != nil {
					return nil, err
				}
				req.Body = b
			}
		}
		rsp, err := l.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		if v := rsp.Header.Get(headerRemaining); v != "" && l.observe != nil {
			if n, err := strconv.Atoi(v); err == nil {
				l.observe(n)
			}
		}
		until, limited := l.limitedUntil(rsp)
		if !limited {
			return rsp, nil
		}
		l.mu.Lock()
		if until.After(l.until) {
			l.until = until
		}
		l.mu.Unlock()
		// A rate-limited request was not processed: retrying it, even a
		// POST, cannot duplicate anything. Retry once after a short wait.
		if attempt > 0 || until.Sub(l.now()) > l.maxInlineWait {
			return rsp, nil
		}
		_ = rsp.Body.Close()
	}
}

// limitedUntil interprets GitHub's rate-limit answers (REST guide: "Rate
// limits for the REST API").
func (l *rateLimiter) limitedUntil(rsp *http.Response) (time.Time, bool) {
	if rsp.StatusCode != http.StatusForbidden && rsp.StatusCode != http.StatusTooManyRequests {
		return time.Time{}, false
	}
	now := l.now()
	if ra := rsp.Header.Get(headerRetryAfter); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			return now.Add(time.Duration(s) * time.Second), true
		}
	}
	if rsp.Header.Get(headerRemaining) == "0" {
		if s, err := strconv.ParseInt(rsp.Header.Get(headerReset), 10, 64); err == nil {
			if t := time.Unix(s, 0); t.After(now) {
				return t, true
			}
		}
		return now.Add(secondaryLimitWait), true
	}
	if rsp.StatusCode == http.StatusTooManyRequests {
		return now.Add(secondaryLimitWait), true
	}
	// A secondary limit may come as a bare 403 whose message says so.
	body, err := io.ReadAll(io.LimitReader(rsp.Body, 64<<10))
	_ = rsp.Body.Close()
	rsp.Body = io.NopCloser(bytes.NewReader(body))
	if err == nil && bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit")) {
		return now.Add(secondaryLimitWait), true
	}
	return time.Time{}, false
}
