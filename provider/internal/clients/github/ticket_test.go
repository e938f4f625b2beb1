package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestPacerHandsOutSlotsInOrder(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	p := newPacer(2, 3, 1)
	var got []time.Duration
	for range 4 {
		got = append(got, p.reserveLater(now).Sub(now))
	}
	// 2 a minute, 3 an hour: now, now, +1m, +1h.
	want := []time.Duration{0, 0, time.Minute, time.Hour}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("slot %d at +%v, want +%v", i, got[i], want[i])
		}
	}
	// A request without a slot is not let in before those that wait.
	if d := p.reserve(now.Add(2 * time.Minute)); d != time.Hour-2*time.Minute {
		t.Errorf("a later request waits %v, want until after the last slot given (%v)", d, time.Hour-2*time.Minute)
	}
}

func TestTicketReservesTheNextWriteSlot(t *testing.T) {
	rc := &recorder{status: http.StatusOK}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	now := time.Unix(1_800_000_000, 0)
	p := NewPool(Options{AllowHTTPLoopback: true, ServerContentWritesPerMinute: 1, ServerContentWritesPerHour: 100, Now: func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error { t.Fatal("slept through a long pacing wait"); return nil }})
	c, err := p.Client(Config{BaseURL: srv.URL, Credentials: Credentials{Token: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	write := func(tk *Ticket) error {
		ctx := context.Background()
		if tk != nil {
			tk.Begin()
			ctx = WithTicket(ctx, tk)
		}
		_, _, err := c.Repositories.ReplaceAllTopics(ctx, "acme", "svc", []string{"x"})
		return err
	}
	if err := write(nil); err != nil {
		t.Fatal(err)
	}
	a, b := &Ticket{}, &Ticket{}
	var rl *RateLimitedError
	if err := write(a); !errors.As(err, &rl) || !rl.Pacing || !rl.Until.Equal(now.Add(time.Minute)) {
		t.Fatalf("a: %v, want pacing until +1m", err)
	}
	if err := write(b); !errors.As(err, &rl) || !rl.Until.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("b: %v, want pacing until +2m (after a's slot)", err)
	}
	if !a.Refused() || a.WaitUntil(now) != now.Add(time.Minute) || b.WaitUntil(now) != now.Add(2*time.Minute) {
		t.Errorf("tickets: a refused %v until %v, b until %v", a.Refused(), a.WaitUntil(now), b.WaitUntil(now))
	}
	now = now.Add(time.Minute)
	// a's slot is a's: a request without it waits behind b.
	if err := write(nil); !errors.As(err, &rl) {
		t.Errorf("a request without a slot at a's slot: %v, want pacing", err)
	}
	if err := write(a); err != nil {
		t.Errorf("a at its slot: %v", err)
	}
	if !a.WaitUntil(now).IsZero() || !a.Idle(now) || a.Refused() {
		t.Errorf("a after its write: until %v idle %v refused %v", a.WaitUntil(now), a.Idle(now), a.Refused())
	}
	if n := len(rc.paths); n != 2 {
		t.Errorf("%d writes reached GitHub, want 2", n)
	}
}

// TestRequestBudget: once the identity's requests spent the budget's share
// of GitHub's primary limit, reads and writes alike wait for the reset.
func TestRequestBudget(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	reset := now.Add(30 * time.Minute)
	rc := &recorder{status: http.StatusOK, header: map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "2",
		"X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	p := NewPool(Options{AllowHTTPLoopback: true, Now: func() time.Time { return now }})
	c, _ := p.Client(Config{BaseURL: srv.URL, Credentials: Credentials{Token: "t"}})
	if _, _, err := c.Repositories.Get(context.Background(), "acme", "svc"); err != nil {
		t.Fatal(err)
	}
	// 8 of 10 spent: the budget (80%) is gone until the reset.
	cases := map[string]func(ctx context.Context) error{
		"read": func(ctx context.Context) error {
			_, _, err := c.Repositories.Get(ctx, "acme", "svc")
			return err
		},
		"write": func(ctx context.Context) error {
			_, _, err := c.Repositories.ReplaceAllTopics(ctx, "acme", "svc", []string{"x"})
			return err
		},
	}
	for name, send := range cases {
		tk := &Ticket{}
		var rl *RateLimitedError
		if err := send(WithTicket(context.Background(), tk)); !errors.As(err, &rl) || !rl.Budget || !rl.Until.Equal(reset) {
			t.Errorf("%s over budget: %v, want the budget's RateLimitedError until the reset", name, err)
		}
		if !tk.WaitUntil(now).Equal(reset) {
			t.Errorf("%s: ticket waits until %v, want %v", name, tk.WaitUntil(now), reset)
		}
	}
	now = reset
	for name, send := range cases {
		if err := send(context.Background()); err != nil {
			t.Errorf("a %s after the reset: %v", name, err)
		}
	}
	if n := len(rc.paths); n != 3 {
		t.Errorf("%d requests reached GitHub, want 3", n)
	}
}
