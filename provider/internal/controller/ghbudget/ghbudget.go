// Package ghbudget puts each GitHub identity's budget in front of the
// global reconcile rate limiter, the way package refwait puts waiting for a
// reference there: a resource whose requests GitHub's limits hold back is
// requeued for when they may go, without a token of the global rate
// limiter and without a request to GitHub.
//
// GitHub paces content creation per identity (80 a minute, 500 an hour)
// and limits every identity's requests per hour
// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
// Without the gate, a resource that needs a write while the identity's
// pacer is full fails its reconcile and is retried with backoff, and every
// retry spends a token of the global rate limiter and an observation (a
// counted GET once its cached answer is stale); with many waiting
// resources that spends the identity's primary limit. With the gate, the
// rate limiter of package github reserves the identity's next free write
// slot for the resource (a ghclient.Ticket carried by the reconcile's
// context), and the gate requeues the resource for that slot.
package ghbudget

import (
	"context"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

// A Gate holds back the resources whose GitHub identity cannot take their
// requests yet, and passes every other one on to Next (the global rate
// limiter, then the managed reconciler), with a ticket in the context.
type Gate struct {
	Next reconcile.Reconciler
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	tickets map[reconcile.Request]*ghclient.Ticket
}

// New returns a Gate in front of next.
func New(next reconcile.Reconciler) *Gate {
	return &Gate{Next: next, Now: time.Now, tickets: map[reconcile.Request]*ghclient.Ticket{}}
}

func (g *Gate) ticket(req reconcile.Request) *ghclient.Ticket {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.tickets[req]
	if !ok {
		t = &ghclient.Ticket{}
		g.tickets[req] = t
	}
	return t
}

func (g *Gate) forget(req reconcile.Request, t *ghclient.Ticket, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.Idle(now) && g.tickets[req] == t {
		delete(g.tickets, req)
	}
}

// Waiting returns how many resources hold a ticket.
func (g *Gate) Waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.tickets)
}

// Reconcile implements reconcile.Reconciler.
func (g *Gate) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	t := g.ticket(req)
	if u := t.WaitUntil(g.Now()); !u.IsZero() {
		return reconcile.Result{RequeueAfter: u.Sub(g.Now())}, nil
	}
	t.Begin()
	res, err := g.Next.Reconcile(ghclient.WithTicket(ctx, t), req)
	now := g.Now()
	if u := t.WaitUntil(now); t.Refused() && !u.IsZero() && err == nil {
		// The managed reconciler reported the wait (Synced=False) and
		// asks for a retry with backoff: the resource comes back when
		// its identity can take it instead.
		return reconcile.Result{RequeueAfter: u.Sub(now)}, nil
	}
	g.forget(req, t, now)
	return res, err
}
