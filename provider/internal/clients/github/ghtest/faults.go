package ghtest

import (
	"math/rand/v2"
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
	s.mix = &faultMix{rate: rate, kinds: append([]Fault{}, kinds...), rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} //nolint:gosec // test faults, not security.
}
