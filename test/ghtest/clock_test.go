package ghtest

import (
	"time"

	"github.com/paved-dev/paved/test/clocktest"
)

// useStepClock makes s read time from a clock the test moves, starting
// now. The stand-in reads every time through Server.now, so windows,
// Retry-After, Last-Modified and token expiry all follow it. Tests of
// scaled windows need it: at SetTimeScale(3600) GitHub's minute lasts
// 1/60 s, less than two requests take on a loaded machine, and a
// wall-clock test then saw its third write land in a new minute (200
// where GitHub answers 403; make test with its steps side by side, CI of
// edb7448).
func useStepClock(s *Server) *clocktest.Clock {
	c := clocktest.New(time.Now())
	s.mu.Lock()
	s.now = c.Now
	s.mu.Unlock()
	return c
}
