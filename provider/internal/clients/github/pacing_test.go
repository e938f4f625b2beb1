package github

import (
	"testing"
	"time"
)

func TestPacerHoldsGitHubContentCreationLimits(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	p := newPacer(DefaultContentWritesPerMinute, DefaultContentWritesPerHour, 1)
	now := start
	sent := 0
	var times []time.Time
	// Send as fast as the pacer allows for two hours.
	for now.Before(start.Add(2 * time.Hour)) {
		if wait := p.reserve(now); wait > 0 {
			now = now.Add(wait)
			continue
		}
		sent++
		times = append(times, now)
	}
	// No minute holds more than 80 and no hour more than 500.
	for i := range times {
		inMinute, inHour := 0, 0
		for j := i; j < len(times) && times[j].Sub(times[i]) < time.Hour; j++ {
			if times[j].Sub(times[i]) < time.Minute {
				inMinute++
			}
			inHour++
		}
		if inMinute > 80 || inHour > 500 {
			t.Fatalf("from request %d: %d in a minute, %d in an hour", i, inMinute, inHour)
		}
	}
	// And the pacer does not hold back more than the limits demand: two
	// full hours carry 2 × 500.
	if sent != 1000 {
		t.Errorf("sent %d requests in two hours, want 1000", sent)
	}
	// The first 80 go at once; the 81st waits for the first minute to pass.
	p = newPacer(DefaultContentWritesPerMinute, DefaultContentWritesPerHour, 1)
	for i := range 80 {
		if w := p.reserve(start); w != 0 {
			t.Fatalf("request %d waits %v", i, w)
		}
	}
	if w := p.reserve(start.Add(10 * time.Second)); w != 50*time.Second {
		t.Errorf("81st request waits %v, want 50s", w)
	}
}

func TestIsContentWrite(t *testing.T) {
	for m, want := range map[string]bool{"GET": false, "HEAD": false, "OPTIONS": false, "POST": true, "PATCH": true, "PUT": true, "DELETE": true} {
		if got := isContentWrite(m); got != want {
			t.Errorf("isContentWrite(%s) = %v", m, got)
		}
	}
}

func TestPacerRetimesALateSlot(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := newPacer(2, 100, 1)
	a := p.reserveLater(now) // now
	b := p.reserveLater(now) // now
	c := p.reserveLater(now) // +1m
	if !c.Equal(now.Add(time.Minute)) {
		t.Fatalf("third slot at %v, want +1m", c.Sub(now))
	}
	// b's request is sent 30 s late: counted then, it would make three in
	// the minute from +30 s (b, c, and a fourth at +1m); it fits once, and
	// the minute's second slot now waits for b.
	if !p.retime(b, now.Add(30*time.Second)) {
		t.Fatalf("b sent 30 s late was refused")
	}
	if got := p.next(now.Add(time.Minute)); !got.Equal(now.Add(90 * time.Second)) {
		t.Errorf("next slot after c at +%v, want +90s (a minute after b was sent)", got.Sub(now))
	}
	// A request sent where the window is full is refused and must reserve
	// anew.
	if p.retime(a, now.Add(65*time.Second)) {
		t.Errorf("a sent at +65s fitted between b (+30s) and c (+60s)")
	}
}

func TestPacerOnACompressedClock(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	// An hour in a minute: GitHub's minute lasts a second, widened so that
	// arrival jitter does not cross the stand-in's limit.
	p := newPacer(80, 500, 60)
	for i := range 80 {
		if w := p.reserve(now); w != 0 {
			t.Fatalf("request %d waits %v", i, w)
		}
	}
	if w := p.reserve(now); w != 1050*time.Millisecond {
		t.Errorf("81st waits %v, want 1.05s (a compressed minute and 5%%)", w)
	}
}
