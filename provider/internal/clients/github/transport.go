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
	// headerLastModified and headerIfModifiedSince: GitHub's conditional
	// requests by date (see etagCache).
	headerLastModified    = "Last-Modified"
	headerIfModifiedSince = "If-Modified-Since"
	headerRetryAfter      = "Retry-After"
	headerRemaining       = "X-RateLimit-Remaining"
	headerLimit           = "X-RateLimit-Limit"
	headerReset           = "X-RateLimit-Reset"

	// HeaderFromCache marks a response served from the ETag cache after
	// GitHub answered 304 Not Modified (which GitHub does not count against
	// the rate limit).
	HeaderFromCache = "X-Paved-From-Cache"

	// secondaryLimitWait is GitHub's documented minimum wait after a
	// secondary rate limit answered without Retry-After.
	secondaryLimitWait = time.Minute
)

// RateLimitedError is returned without contacting GitHub while a rate limit
// GitHub reported is in force, or while content-creating requests are
// paced.
type RateLimitedError struct {
	Until time.Time
	// Pacing is true when GitHub has not refused anything yet and the
	// request waits for GitHub's content-creation limit.
	Pacing bool
	// Budget is true when the identity spent its request budget (a share
	// of GitHub's primary limit) in the current window.
	Budget bool
}

func (e *RateLimitedError) Error() string {
	if e.Budget {
		return "request budget of this GitHub identity spent for the current rate-limit window: next request at " + e.Until.UTC().Format(time.RFC3339)
	}
	if e.Pacing {
		return "GitHub content-creation limit (80 per minute, 500 per hour) reached for this identity: next write at " + e.Until.UTC().Format(time.RFC3339)
	}
	return "GitHub rate limit in force until " + e.Until.UTC().Format(time.RFC3339)
}

// IsRateLimited reports whether err is (or wraps) a RateLimitedError.
func IsRateLimited(err error) bool {
	var rl *RateLimitedError
	return errors.As(err, &rl)
}

// limitState is the rate-limit state of one GitHub identity (a user, or a
// GitHub App installation): GitHub keeps its limits per identity, so every
// client of that identity, whatever ProviderConfig and token it serves,
// shares it.
type limitState struct {
	mu sync.Mutex
	// until: no request is sent before (Retry-After, primary limit reset,
	// secondary-limit backoff).
	until time.Time
	// remaining and reset are the last X-RateLimit-Remaining and
	// X-RateLimit-Reset GitHub sent (remaining -1 while unknown).
	remaining int
	reset     time.Time
	// limit is the last X-RateLimit-Limit (0 while unknown).
	limit int
	// budget is the share of the primary limit requests may spend in a
	// window; the rest is kept for anyone else using the identity. 0 or
	// 1: no budget.
	budget float64
	// writes paces content-creating requests.
	writes *pacer
}

// pacing configures the limits a Pool keeps per identity.
type pacing struct {
	perMinute, perHour int
	timeScale          float64
	budget             float64
}

func newLimitState(p pacing) *limitState {
	return &limitState{remaining: -1, budget: p.budget, writes: newPacer(p.perMinute, p.perHour, p.timeScale)}
}

// overBudget returns the end of the window when the identity spent its
// share of the primary limit in it. What is spent is what GitHub says
// (X-RateLimit-Limit less X-RateLimit-Remaining): "All of these requests
// count towards your personal rate limit"
// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api),
// reads and writes alike, this provider's and anyone else's on the
// identity.
func (s *limitState) overBudget(now time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.budget <= 0 || s.budget >= 1 || s.limit <= 0 || s.remaining < 0 || !now.Before(s.reset) {
		return time.Time{}, false
	}
	return s.reset, float64(s.limit-s.remaining) >= s.budget*float64(s.limit)
}

// absorb takes in the state of o, which turned out to be the same
// identity (another token of the same user): the longer block, the
// fresher account of the primary limit, and o's write slots.
func (s *limitState) absorb(o *limitState) {
	o.mu.Lock()
	until, remaining, reset, limit := o.until, o.remaining, o.reset, o.limit
	sent := append([]time.Time(nil), o.writes.sent...)
	o.mu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.until) {
		s.until = until
	}
	// Within one window GitHub's remaining only goes down; a later
	// reset is a later window.
	if remaining >= 0 && (s.remaining < 0 || reset.After(s.reset) || (reset.Equal(s.reset) && remaining < s.remaining)) {
		s.remaining, s.reset, s.limit = remaining, reset, limit
	}
	s.writes.absorb(sent)
}

func (s *limitState) retimeWrite(slot, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes.retime(slot, now)
}

func (s *limitState) reserveWriteLater(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes.reserveLater(now)
}

// Remaining returns the last X-RateLimit-Remaining (-1 while unknown) and
// X-RateLimit-Reset seen for the identity.
func (s *limitState) Remaining() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remaining, s.reset
}

func (s *limitState) blockedUntil() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.until
}

func (s *limitState) block(until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.until) {
		s.until = until
	}
}

func (s *limitState) reserveWrite(now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes.reserve(now)
}

// observe records the primary-limit headers of a response and returns the
// remaining quota when GitHub sent it.
func (s *limitState) observe(h http.Header) (int, bool) {
	v := h.Get(headerRemaining)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining = n
	if l, err := strconv.Atoi(h.Get(headerLimit)); err == nil {
		s.limit = l
	}
	if r, err := strconv.ParseInt(h.Get(headerReset), 10, 64); err == nil {
		s.reset = time.Unix(r, 0)
	}
	return n, true
}

// rateLimiter is an http.RoundTripper that honours GitHub's rate limits
// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
// it paces content-creating requests, records X-RateLimit-Remaining, and
// after a 403/429 with Retry-After or X-RateLimit-Remaining: 0 (or a
// secondary-limit message) it refuses requests of the identity until the
// wait is over (so no storm of requests hits GitHub). Short waits are slept
// through and the request retried once.
type rateLimiter struct {
	next          http.RoundTripper
	state         *limitState
	observe       func(remaining int)
	maxInlineWait time.Duration
	now           func() time.Time
	sleep         func(ctx context.Context, d time.Duration) error
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

// wait returns once the identity may send r: it sleeps through short
// waits and fails with a RateLimitedError on long ones. With a Ticket in
// r's context, a content-creating request that must wait long is given the
// identity's next free slot, and the ticket records every long wait (see
// Ticket).
func (l *rateLimiter) wait(r *http.Request) error {
	t := ticketFrom(r.Context())
	if t != nil {
		t.bind(l.state)
	}
	refuse := func(e *RateLimitedError, slot time.Time) error {
		if t != nil {
			var until time.Time
			if slot.IsZero() {
				until = e.Until
			}
			t.hold(slot, until)
		}
		return e
	}
	for {
		now := l.now()
		if u := l.state.blockedUntil(); now.Before(u) {
			d := u.Sub(now)
			if d > l.maxInlineWait {
				return refuse(&RateLimitedError{Until: u}, time.Time{})
			}
			if err := l.sleep(r.Context(), d); err != nil {
				return err
			}
			continue
		}
		// The budget holds writes back too: GitHub counts them against
		// the same primary limit as reads. A write's reserved slot
		// stays with its ticket; the write is retimed when it is sent.
		if u, over := l.state.overBudget(now); over {
			return refuse(&RateLimitedError{Until: u, Budget: true}, time.Time{})
		}
		if !isContentWrite(r.Method) {
			return nil
		}
		if t != nil {
			taken, slot := t.takeSlot(now)
			if taken {
				if l.state.retimeWrite(slot, now) {
					return nil
				}
				// Sent too long after its slot: it would arrive among
				// the slots given since. It waits for a new one.
				next := l.state.reserveWriteLater(now)
				return refuse(&RateLimitedError{Until: next, Pacing: true}, next)
			}
			if !slot.IsZero() {
				// Woken before its slot.
				d := slot.Sub(now)
				if d > l.maxInlineWait {
					return refuse(&RateLimitedError{Until: slot, Pacing: true}, slot)
				}
				if err := l.sleep(r.Context(), d); err != nil {
					return err
				}
				continue
			}
		}
		d := l.state.reserveWrite(now)
		if d == 0 {
			return nil
		}
		if d > l.maxInlineWait {
			if t != nil {
				slot := l.state.reserveWriteLater(now)
				return refuse(&RateLimitedError{Until: slot, Pacing: true}, slot)
			}
			return &RateLimitedError{Until: now.Add(d), Pacing: true}
		}
		if err := l.sleep(r.Context(), d); err != nil {
			return err
		}
	}
}

func (l *rateLimiter) RoundTrip(r *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if err := l.wait(r); err != nil {
			return nil, err
		}
		req := r
		if attempt > 0 {
			if r.GetBody == nil && r.Body != nil && r.Body != http.NoBody {
				return nil, &RateLimitedError{Until: l.state.blockedUntil()}
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
		if n, ok := l.state.observe(rsp.Header); ok {
			if l.observe != nil {
				l.observe(n)
			}
			// None left until the reset: the next request would only
			// be refused ("If you exceed your primary rate limit, you
			// will receive a 403 or 429 response", same page), whoever
			// of the identity sends it.
			if _, reset := l.state.Remaining(); n == 0 && reset.After(l.now()) {
				l.state.block(reset)
			}
		}
		until, limited := l.limitedUntil(rsp)
		if !limited {
			return rsp, nil
		}
		l.state.block(until)
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
