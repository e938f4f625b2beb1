package github

import (
	"net/http"
	"sort"
	"time"
)

// GitHub's documented secondary rate limit on content creation: "In
// general, no more than 80 content-generating requests per minute and no
// more than 500 content-generating requests per hour are allowed"
// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits).
// The same page counts POST, PATCH, PUT and DELETE as the requests that
// create content (5 points each, against 1 for GET, HEAD and OPTIONS).
const (
	DefaultContentWritesPerMinute = 80
	DefaultContentWritesPerHour   = 500
)

// isContentWrite reports whether a request creates content in GitHub's
// sense: any method other than GET, HEAD and OPTIONS.
func isContentWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// window allows at most n events in any span of length per.
type window struct {
	n   int
	per time.Duration
}

// pacer spaces the content-creating requests of one identity so that no
// window's limit is exceeded. It is not safe for concurrent use: its owner
// (limitState) holds a lock.
type pacer struct {
	windows []window
	// sent holds the times of the requests let through, oldest first,
	// within the longest window.
	sent []time.Time
}

func newPacer(perMinute, perHour int) *pacer {
	p := &pacer{}
	if perMinute > 0 {
		p.windows = append(p.windows, window{n: perMinute, per: time.Minute})
	}
	if perHour > 0 {
		p.windows = append(p.windows, window{n: perHour, per: time.Hour})
	}
	return p
}

// reserve records a request at now and returns 0 when every window allows
// it; otherwise it records nothing and returns how long to wait.
func (p *pacer) reserve(now time.Time) time.Duration {
	var longest time.Duration
	for _, w := range p.windows {
		longest = max(longest, w.per)
	}
	// Forget requests older than the longest window.
	drop := sort.Search(len(p.sent), func(i int) bool { return now.Sub(p.sent[i]) < longest })
	p.sent = p.sent[drop:]

	var wait time.Duration
	for _, w := range p.windows {
		in := len(p.sent) - sort.Search(len(p.sent), func(i int) bool { return now.Sub(p.sent[i]) < w.per })
		if in < w.n {
			continue
		}
		// The oldest of the last n requests must leave the window first.
		if d := p.sent[len(p.sent)-w.n].Add(w.per).Sub(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return wait
	}
	p.sent = append(p.sent, now)
	return 0
}
