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
// window's limit is exceeded. It hands out slots in time order: a slot is
// never earlier than the last one given, so a request that reserved a
// future slot (see Ticket) is not overtaken by later ones. It is not safe
// for concurrent use: its owner (limitState) holds a lock.
type pacer struct {
	windows []window
	// sent holds the slots given, oldest first, within the longest window
	// (slots reserved for later included).
	sent []time.Time
}

// compressedMargin widens the pacer's windows when time is compressed:
// the pacer counts requests when they leave, GitHub when they arrive, and
// a request can arrive later than the one after it left. Against GitHub's
// minute and hour that jitter is negligible; against a minute compressed
// to a second it is not.
const compressedMargin = 1.05

// newPacer paces to perMinute and perHour (0: no such limit); scale
// compresses GitHub's minute and hour for a stand-in that does the same
// (1: GitHub's time).
func newPacer(perMinute, perHour int, scale float64) *pacer {
	windowMargin := 1.0
	if scale <= 0 {
		scale = 1
	}
	if scale > 1 {
		windowMargin = compressedMargin
	}
	p := &pacer{}
	if perMinute > 0 {
		p.windows = append(p.windows, window{n: perMinute, per: time.Duration(float64(time.Minute) * windowMargin / scale)})
	}
	if perHour > 0 {
		p.windows = append(p.windows, window{n: perHour, per: time.Duration(float64(time.Hour) * windowMargin / scale)})
	}
	return p
}

// next returns the earliest slot at or after now, and not before the last
// slot given, that every window allows.
func (p *pacer) next(now time.Time) time.Time {
	var longest time.Duration
	for _, w := range p.windows {
		longest = max(longest, w.per)
	}
	// Forget slots older than the longest window.
	drop := sort.Search(len(p.sent), func(i int) bool { return now.Sub(p.sent[i]) < longest })
	p.sent = p.sent[drop:]

	t := now
	if n := len(p.sent); n > 0 && p.sent[n-1].After(t) {
		t = p.sent[n-1]
	}
	for moved := true; moved; {
		moved = false
		for _, w := range p.windows {
			in := len(p.sent) - sort.Search(len(p.sent), func(i int) bool { return t.Sub(p.sent[i]) < w.per })
			if in < w.n {
				continue
			}
			// The oldest of the last n slots must leave the window first.
			t, moved = p.sent[len(p.sent)-w.n].Add(w.per), true
		}
	}
	return t
}

// reserve records a request at now and returns 0 when every window allows
// it now; otherwise it records nothing and returns how long to wait.
func (p *pacer) reserve(now time.Time) time.Duration {
	t := p.next(now)
	if t.After(now) {
		return t.Sub(now)
	}
	p.sent = append(p.sent, now)
	return 0
}

// reserveLater records and returns the next free slot: the request is
// sent then.
func (p *pacer) reserveLater(now time.Time) time.Time {
	t := p.next(now)
	p.sent = append(p.sent, t)
	return t
}

// retime moves the slot given for slot to now, when the request that
// reserved it is sent later than its slot: GitHub counts it when it
// arrives. It reports false, and forgets the slot, when now has no room in
// every window (the request must reserve a new slot).
func (p *pacer) retime(slot, now time.Time) bool {
	i := sort.Search(len(p.sent), func(i int) bool { return !p.sent[i].Before(slot) })
	if i < len(p.sent) && p.sent[i].Equal(slot) {
		p.sent = append(p.sent[:i], p.sent[i+1:]...)
	}
	if !p.fits(now) {
		return false
	}
	j := sort.Search(len(p.sent), func(i int) bool { return p.sent[i].After(now) })
	p.sent = append(p.sent, time.Time{})
	copy(p.sent[j+1:], p.sent[j:])
	p.sent[j] = now
	return true
}

// absorb takes in the slots another pacer of the same identity gave.
func (p *pacer) absorb(sent []time.Time) {
	if len(sent) == 0 {
		return
	}
	p.sent = append(p.sent, sent...)
	sort.Slice(p.sent, func(i, j int) bool { return p.sent[i].Before(p.sent[j]) })
}

// fits reports whether one more slot at t keeps every window, wherever it
// starts, within its limit, slots given for later included.
func (p *pacer) fits(t time.Time) bool {
	for _, w := range p.windows {
		// Every span [s, s+per) that holds t starts in (t-per, t]; the
		// fullest starts just after t-per or at a slot.
		starts := []time.Time{t.Add(-w.per + 1)}
		for _, e := range p.sent {
			if e.After(t.Add(-w.per)) && !e.After(t) {
				starts = append(starts, e)
			}
		}
		for _, s := range starts {
			from := sort.Search(len(p.sent), func(i int) bool { return !p.sent[i].Before(s) })
			to := sort.Search(len(p.sent), func(i int) bool { return !p.sent[i].Before(s.Add(w.per)) })
			if to-from >= w.n {
				return false
			}
		}
	}
	return true
}
