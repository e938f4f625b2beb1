package ghtest

import (
	"sync"
	"time"
)

// stepClock is a clock a test moves by hand. The stand-in reads every
// time through Server.now, so windows, Retry-After, Last-Modified and token
// expiry all follow it. Tests of scaled windows need it: at SetTimeScale(3600)
// GitHub's minute lasts 1/60 s, less than two requests take on a loaded
// machine, and a wall-clock test then saw its third write land in a new
// minute (200 where GitHub answers 403; make test with its steps side by
// side, CI of edb7448).
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

// useStepClock makes s read time from a stepClock starting now.
func useStepClock(s *Server) *stepClock {
	c := &stepClock{t: time.Now()}
	s.mu.Lock()
	s.now = c.now
	s.mu.Unlock()
	return c
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
