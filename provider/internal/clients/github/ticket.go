package github

import (
	"context"
	"sync"
	"time"
)

// A Ticket follows one managed resource's reconciles through their
// context (WithTicket) down to the rate limiter of the GitHub identity its
// requests go to. When GitHub's limits hold a request of the resource back
// for longer than the rate limiter sleeps through, the ticket records until
// when:
//   - a content-creating request is given the identity's next free
//     content-creation slot, reserved for it (the pacer hands slots out in
//     order, so a resource that waits is not overtaken by later ones);
//   - a request while the identity is blocked (primary limit exhausted,
//     Retry-After, secondary limit) or over its request budget waits for the
//     end of that.
//
// A controller's gate (package ghbudget) reads the ticket before a
// reconcile and requeues the resource for that time, without a token of
// the global reconcile rate limiter and without a request to GitHub.
type Ticket struct {
	mu      sync.Mutex
	state   *limitState
	slot    time.Time // a reserved content-creation slot, zero if none
	until   time.Time // no request of this resource before
	refused bool      // a request of the current reconcile was held back
}

type ticketKey struct{}

// WithTicket returns ctx carrying t.
func WithTicket(ctx context.Context, t *Ticket) context.Context {
	return context.WithValue(ctx, ticketKey{}, t)
}

func ticketFrom(ctx context.Context) *Ticket {
	t, _ := ctx.Value(ticketKey{}).(*Ticket)
	return t
}

// Begin starts a reconcile: nothing of it was refused yet.
func (t *Ticket) Begin() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refused = false
}

// Refused reports whether a request of the reconcile since Begin was held
// back by GitHub's limits.
func (t *Ticket) Refused() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refused
}

// WaitUntil returns when the resource may next send a request to GitHub,
// or the zero time if it may now: its reserved content-creation slot, the
// end of its identity's block or of the request budget's window.
func (t *Ticket) WaitUntil(now time.Time) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	var u time.Time
	for _, c := range []time.Time{t.slot, t.until} {
		if c.After(u) {
			u = c
		}
	}
	if t.state != nil {
		if b := t.state.blockedUntil(); b.After(u) {
			u = b
		}
	}
	if !u.After(now) {
		return time.Time{}
	}
	return u
}

// Idle reports whether the ticket holds nothing for the future: it may be
// forgotten.
func (t *Ticket) Idle(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.slot.After(now) && !t.until.After(now) && (t.slot.IsZero() || t.state == nil)
}

// bind records the identity the resource's requests go to.
func (t *Ticket) bind(s *limitState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != s {
		// Another identity (the ProviderConfig changed): a slot of the
		// old one is no use.
		t.state, t.slot = s, time.Time{}
	}
}

// takeSlot reports whether the ticket holds a slot of its identity that
// is due at now, and uses it up; it returns the slot, due or still to come
// (zero if none).
func (t *Ticket) takeSlot(now time.Time) (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	slot := t.slot
	switch {
	case slot.IsZero():
		return false, time.Time{}
	case !slot.After(now):
		t.slot = time.Time{}
		return true, slot
	}
	return false, slot
}

func (t *Ticket) hold(slot, until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refused = true
	if !slot.IsZero() {
		t.slot = slot
	}
	if until.After(t.until) {
		t.until = until
	}
}
