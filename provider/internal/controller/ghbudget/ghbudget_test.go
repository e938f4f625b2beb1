package ghbudget

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v85/github"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

// writer is a Next that writes once per reconcile, as a managed reconciler
// whose Update needs a write: on an error it asks for a retry with
// backoff, as crossplane-runtime's does.
type writer struct {
	c     *gh.Client
	calls int
}

func (w *writer) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	w.calls++
	if _, _, err := w.c.Repositories.ReplaceAllTopics(ctx, "acme", req.Name, []string{"x"}); err != nil {
		return reconcile.Result{Requeue: true}, nil //nolint:staticcheck,nilerr // what the managed reconciler answers.
	}
	return reconcile.Result{RequeueAfter: time.Hour}, nil
}

func TestGateRequeuesForTheNextWriteSlot(t *testing.T) {
	writes := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writes++
		_, _ = w.Write([]byte(`{"names":["x"]}`))
	}))
	defer srv.Close()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, ServerContentWritesPerMinute: 1, ServerContentWritesPerHour: 100, Now: clock,
		Sleep: func(context.Context, time.Duration) error { t.Fatal("slept through a long wait"); return nil }})
	c, err := pool.Client(ghclient.Config{BaseURL: srv.URL, Credentials: ghclient.Credentials{Token: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	w := &writer{c: c}
	g := New(w)
	g.Now = clock
	req := func(n string) reconcile.Request {
		return reconcile.Request{NamespacedName: struct{ Namespace, Name string }{"", n}}
	}
	type result struct {
		Res   reconcile.Result
		Calls int
	}
	run := func(name string) result {
		before := w.calls
		res, err := g.Reconcile(context.Background(), req(name))
		if err != nil {
			t.Fatal(err)
		}
		return result{res, w.calls - before}
	}
	steps := []struct {
		at   time.Duration
		name string
		want result
	}{
		{0, "a", result{reconcile.Result{RequeueAfter: time.Hour}, 1}},                       // the minute's write
		{0, "b", result{reconcile.Result{RequeueAfter: time.Minute}, 1}},                     // waits for the next slot, no backoff
		{0, "c", result{reconcile.Result{RequeueAfter: 2 * time.Minute}, 1}},                 // after b's
		{30 * time.Second, "b", result{reconcile.Result{RequeueAfter: 30 * time.Second}, 0}}, // woken early: not passed on
		{time.Minute, "b", result{reconcile.Result{RequeueAfter: time.Hour}, 1}},             // its slot
		{2 * time.Minute, "c", result{reconcile.Result{RequeueAfter: time.Hour}, 1}},
	}
	start := now
	for i, s := range steps {
		now = start.Add(s.at)
		if diff := cmp.Diff(s.want, run(s.name)); diff != "" {
			t.Errorf("step %d (%s at +%v): -want +got:\n%s", i, s.name, s.at, diff)
		}
	}
	if writes != 3 {
		t.Errorf("%d writes reached GitHub, want 3", writes)
	}
	if n := g.Waiting(); n != 0 {
		t.Errorf("%d tickets kept after every write went through", n)
	}
}
