package ghtest

import (
	"math/rand/v2"
	"net/http"
)

// faultMix injects faults at random, independently of queued faults.
type faultMix struct {
	rate  float64
	kinds []Fault
	rnd   *rand.Rand
}

// draw returns the fault for the next request, or nil. s.mu is held.
func (m *faultMix) draw() *Fault {
	if m == nil || m.rate <= 0 || len(m.kinds) == 0 || m.rnd.Float64() >= m.rate {
		return nil
	}
	f := m.kinds[m.rnd.IntN(len(m.kinds))]
	return &f
}

// InjectRandom answers a fraction rate (0..1) of authenticated API requests
// (not GitHub App token requests, and only when no queued fault applies)
// with one of kinds, chosen uniformly; Method, PathPrefix and Times of the
// kinds are ignored. The seed makes a run repeatable for a given request
// order. Rate 0 stops it.
func (s *Server) InjectRandom(rate float64, seed uint64, kinds ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rate <= 0 || len(kinds) == 0 {
		s.mix = nil
		return
	}
	s.mix = &faultMix{rate: rate, kinds: append([]Fault{}, kinds...), rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// A FaultWindow answers every matching request with the same failure until
// it is ended: GitHub unavailable (5xx) or a secondary rate limit that
// lasts (403/429 with Retry-After), rather than a fault that strikes a
// counted number of times.
type FaultWindow struct {
	// Name labels the window's faults in Stats.FaultsByName (optional).
	Name string
	// Status answered instead of the real response, with a basic-error
	// body (see Fault.Status).
	Status int
	// RetryAfter, in seconds, sets Retry-After (see Fault.RetryAfter).
	RetryAfter int
	// WritesOnly limits the window to the requests GitHub counts as
	// content-creating (every method but GET, HEAD and OPTIONS): reads
	// succeed, writes fail.
	WritesOnly bool
}

// faultWindow is the window in force and how many requests it answered.
type faultWindow struct {
	fault      Fault
	writesOnly bool
	answered   int
}

// match returns the window's fault for a request with method, counting it,
// or nil. s.mu is held.
func (w *faultWindow) match(method string) *Fault {
	if w == nil {
		return nil
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		if w.writesOnly {
			return nil
		}
	}
	w.answered++
	f := w.fault
	return &f
}

// StartFaultWindow answers every authenticated API request (not GitHub App
// token requests, and only when no queued fault applies) with w's failure
// until EndFaultWindow; a window in force is replaced (its count is lost).
// Queued faults (Inject) still apply first; random ones (InjectRandom) do
// not apply while a window is in force.
func (s *Server) StartFaultWindow(w FaultWindow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.window = &faultWindow{fault: Fault{Name: w.Name, Status: w.Status, RetryAfter: w.RetryAfter}, writesOnly: w.WritesOnly}
}

// EndFaultWindow ends the window in force, if any, and returns how many
// requests it answered with its failure.
func (s *Server) EndFaultWindow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.window == nil {
		return 0
	}
	n := s.window.answered
	s.window = nil
	return n
}
