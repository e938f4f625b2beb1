package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gh "github.com/google/go-github/v85/github"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/paved-dev/paved/test/ghtest"
)

const routeUser = "GET /user"

// standIn starts the GitHub stand-in with organisation acme, its
// repository svc, and tokens of users (token -> login). GitHub counts
// limits per user for tokens and the stand-in does too (ghtest/limits.go).
func standIn(t *testing.T, users map[string]string) *ghtest.Server {
	t.Helper()
	v, err := ghtest.LoadValidator()
	if err != nil {
		t.Fatalf("GitHub OpenAPI description unavailable (make provider-test-deps): %v", err)
	}
	s := ghtest.NewServer(v)
	t.Cleanup(s.Close)
	t.Cleanup(func() {
		for _, v := range s.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	})
	s.AddOrg("acme")
	for tok, login := range users {
		s.AddToken(tok, login)
	}
	s.CreateOutOfBand("acme", "svc")
	return s
}

// writes sends n content-creating requests with c and counts those the
// pool sent and those it held back for the identity's pacing.
func writes(t *testing.T, c topicsClient, n int) (sent, paced int) {
	t.Helper()
	for range n {
		err := c.topics(context.Background())
		var rl *RateLimitedError
		switch {
		case err == nil:
			sent++
		case errors.As(err, &rl) && rl.Pacing:
			paced++
		case StatusCode(err) == http.StatusForbidden || IsRateLimited(err):
			// Refused by GitHub's limits (the stand-in counts them) or
			// held back after such a refusal.
		default:
			t.Fatalf("write: %v", err)
		}
	}
	return sent, paced
}

type topicsClient struct {
	p   *Pool
	cfg Config
}

func (c topicsClient) topics(ctx context.Context) error {
	gc, err := c.p.ClientContext(ctx, c.cfg)
	if err != nil {
		return err
	}
	_, _, err = gc.Repositories.ReplaceAllTopics(ctx, "acme", "svc", []string{"x"})
	return err
}

// pacedPool paces 3 writes a minute per identity, like the stand-in's
// secondary limit in these tests, and never sleeps through a wait.
func pacedPool(t *testing.T) *Pool {
	t.Helper()
	return NewPool(Options{AllowHTTPLoopback: true, ServerContentWritesPerMinute: 3, ServerContentWritesPerHour: 100,
		Sleep: func(context.Context, time.Duration) error { t.Fatal("slept through a pacing wait"); return nil }})
}

// GitHub counts the requests of all of a user's tokens against the user
// ("All of these requests count towards your personal rate limit of 5,000
// requests per hour",
// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api),
// and its secondary limits on content creation too: two ProviderConfigs
// with two tokens of one user share one budget, paced as one; tokens of
// two users do not. The pool asks GitHub once per token which user it is,
// and only when a second token is used on the same GitHub.
func TestTokensOfOneUserShareItsBudget(t *testing.T) {
	type want struct {
		Identities     int
		Sent, Paced    int
		SecondaryLimit int // writes the stand-in refused
		AskedUser      int // GET /user, counted by GitHub
	}
	cases := map[string]struct {
		tokens [2]string
		users  map[string]string
		want   want
	}{
		"two tokens of one user": {
			tokens: [2]string{"ghp_octo_one", "ghp_octo_two"},
			users:  map[string]string{"ghp_octo_one": "octo", "ghp_octo_two": "octo"},
			want:   want{Identities: 1, Sent: 3, Paced: 3, AskedUser: 2},
		},
		"tokens of two users": {
			tokens: [2]string{"ghp_octo_one", "ghp_hubot"},
			users:  map[string]string{"ghp_octo_one": "octo", "ghp_hubot": "hubot"},
			want:   want{Identities: 2, Sent: 6, AskedUser: 2},
		},
		"one token in two ProviderConfigs": {
			tokens: [2]string{"ghp_octo_one", "ghp_octo_one"},
			users:  map[string]string{"ghp_octo_one": "octo"},
			want:   want{Identities: 1, Sent: 3, Paced: 3},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := standIn(t, tc.users)
			s.SetSecondaryLimits(3, 100)
			p := pacedPool(t)
			a := topicsClient{p, Config{ProviderConfig: "team-a", BaseURL: s.URL, Credentials: Credentials{Token: tc.tokens[0]}}}
			b := topicsClient{p, Config{ProviderConfig: "team-b", BaseURL: s.URL, Credentials: Credentials{Token: tc.tokens[1]}}}
			var got want
			for _, c := range []topicsClient{a, b} {
				sent, paced := writes(t, c, 3)
				got.Sent, got.Paced = got.Sent+sent, got.Paced+paced
			}
			// Steady state: the users are known, nothing is asked again.
			for range 5 {
				for _, c := range []topicsClient{a, b} {
					gc, err := p.Client(c.cfg)
					if err != nil {
						t.Fatal(err)
					}
					if _, _, err := gc.Repositories.Get(context.Background(), "acme", "svc"); err != nil {
						t.Fatal(err)
					}
				}
			}
			st := s.Stats()
			_, got.Identities = p.Size()
			got.SecondaryLimit, got.AskedUser = st.SecondaryLimited, st.ByRoute[routeUser]
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

// After a user's limit is exhausted, another token of the same user sends
// nothing until the reset: GitHub would refuse it ("If you exceed your
// primary rate limit, you will receive a 403 or 429 response", same page).
func TestTokensOfOneUserShareItsPrimaryLimit(t *testing.T) {
	s := standIn(t, map[string]string{"ghp_octo_one": "octo", "ghp_octo_two": "octo"})
	s.SetRateLimit(5)
	p := NewPool(Options{AllowHTTPLoopback: true, RequestBudget: 1})
	cfg := func(pc, tok string) Config {
		return Config{ProviderConfig: pc, BaseURL: s.URL, Credentials: Credentials{Token: tok}}
	}
	a, err := p.Client(cfg("team-a", "ghp_octo_one"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Client(cfg("team-b", "ghp_octo_two"))
	if err != nil {
		t.Fatal(err)
	}
	// 2 of 5 asked which user each token is; a spends the rest.
	for i := 0; ; i++ {
		_, _, err := a.Repositories.Get(context.Background(), "acme", fmt.Sprintf("r%d", i))
		var gone *gh.RateLimitError // go-github's own record of a's answers
		if IsRateLimited(err) || errors.As(err, &gone) {
			break
		}
		if i > 5 {
			t.Fatal("the primary limit never ran out")
		}
	}
	if _, _, err := b.Repositories.Get(context.Background(), "acme", "svc"); !IsRateLimited(err) {
		t.Errorf("the user's other token after its limit ran out: %v, want RateLimitedError", err)
	}
	if n := s.Stats().PrimaryLimited; n != 0 {
		t.Errorf("the stand-in refused %d requests over the primary limit, want 0 (neither token sends once the user has none left)", n)
	}
}

// A ProviderConfig whose token is replaced by another token of the same
// user keeps the user's state: the write slots the old token used are
// still the user's. Replaced by a token of another user, it starts afresh.
// Either way the old token's client is gone.
func TestRotatedTokenKeepsItsUsersState(t *testing.T) {
	cases := map[string]struct {
		next      string
		wantSent  int
		wantLabel string // user the identity is labelled with
	}{
		"same user":    {next: "ghp_octo_two", wantSent: 0, wantLabel: "octo"},
		"another user": {next: "ghp_hubot", wantSent: 1, wantLabel: "hubot"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := standIn(t, map[string]string{"ghp_octo_one": "octo", "ghp_octo_two": "octo", "ghp_hubot": "hubot"})
			s.SetSecondaryLimits(3, 100)
			p := pacedPool(t)
			cfg := func(tok string) Config {
				return Config{ProviderConfig: "team-a", BaseURL: s.URL, Credentials: Credentials{Token: tok}}
			}
			if sent, _ := writes(t, topicsClient{p, cfg("ghp_octo_one")}, 3); sent != 3 {
				t.Fatalf("%d of 3 writes sent", sent)
			}
			if n := s.Stats().ByRoute[routeUser]; n != 0 {
				t.Errorf("a lone token was asked about: %d GET /user", n)
			}
			sent, _ := writes(t, topicsClient{p, cfg(tc.next)}, 1)
			if sent != tc.wantSent || s.Stats().SecondaryLimited != 0 {
				t.Errorf("after rotation %d writes sent (want %d), %d refused by GitHub's secondary limit (want 0)", sent, tc.wantSent, s.Stats().SecondaryLimited)
			}
			if c, ids := p.Size(); c != 1 || ids != 1 {
				t.Errorf("pool holds %d clients and %d identities, want 1 and 1", c, ids)
			}
			label, _ := p.IdentityOf(cfg(tc.next))
			if want := userIdentity(apiHostOf(t, s.URL), s.AccountID(tc.wantLabel)); label != want {
				t.Errorf("identity %q, want %q", label, want)
			}
		})
	}
}

func apiHostOf(t *testing.T, base string) string {
	t.Helper()
	ep, err := EndpointsFor(base)
	if err != nil {
		t.Fatal(err)
	}
	return apiHost(ep)
}

// A token that is not a user's (an installation token given as a token) is
// refused by GET /user: it stays an identity of its own and is not asked
// again.
func TestTokenWithoutUserStaysItsOwnIdentity(t *testing.T) {
	s := standIn(t, map[string]string{"ghp_octo_one": "octo"})
	const ghs = "ghs_installation-token-given-as-a-token"
	s.AddInstallationToken(ghs, 70, "acme")
	p := NewPool(Options{AllowHTTPLoopback: true})
	cfg := func(pc, tok string) Config {
		return Config{ProviderConfig: pc, BaseURL: s.URL, Credentials: Credentials{Token: tok}}
	}
	for range 3 {
		for _, c := range []Config{cfg("a", "ghp_octo_one"), cfg("b", ghs)} {
			gc, err := p.Client(c)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := gc.Repositories.Get(context.Background(), "acme", "svc"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := s.Stats().ByRoute[routeUser]; n != 2 {
		t.Errorf("%d GET /user, want 2 (each token once)", n)
	}
	tokenLabel, _ := Identity(cfg("b", ghs))
	if got, _ := p.IdentityOf(cfg("b", ghs)); got != tokenLabel {
		t.Errorf("installation token's identity %q, want its own %q", got, tokenLabel)
	}
	if got, _ := p.IdentityOf(cfg("a", "ghp_octo_one")); got != userIdentity(apiHostOf(t, s.URL), s.AccountID("octo")) {
		t.Errorf("user token's identity %q", got)
	}
}

// The pool drops a client no ProviderConfig uses any more (its token was
// replaced, or its ProviderConfig deleted), and an identity with its last
// client, metrics included, so that neither memory nor stale budgets grow.
func TestPoolEvictsWhatNoProviderConfigUses(t *testing.T) {
	s := standIn(t, map[string]string{"t1": "octo", "t2": "hubot", "t3": "octo"})
	p := NewPool(Options{AllowHTTPLoopback: true})
	cfg := func(pc, token string) Config {
		return Config{ProviderConfig: pc, BaseURL: s.URL, Credentials: Credentials{Token: token}}
	}
	host := apiHostOf(t, s.URL)
	octo, hubot := userIdentity(host, s.AccountID("octo")), userIdentity(host, s.AccountID("hubot"))
	t1, _ := Identity(cfg("a", "t1"))
	t2, _ := Identity(cfg("c", "t2"))
	type state struct {
		Clients, Identities int
		Labels              []string // identities with a rate-limit gauge, in any order
	}
	steps := []struct {
		pc, token string // token "": the ProviderConfig was deleted
		want      state
	}{
		{"a", "t1", state{1, 1, []string{t1}}},          // a lone token: keyed by itself
		{"b", "t1", state{1, 1, []string{t1}}},          // the same identity
		{"a", "t2", state{2, 2, []string{hubot, octo}}}, // a rotated to hubot's token; b still uses t1 (octo's)
		{"b", "t3", state{2, 2, []string{hubot, octo}}}, // b rotated to octo's other token: t1 is used by nobody
		{"a", "t3", state{1, 1, []string{octo}}},        // both on t3: t2 and hubot gone
		{"b", "", state{1, 1, []string{octo}}},          // b deleted: a still uses t3
		{"a", "", state{0, 0, nil}},                     // a deleted: nothing left
		{"a", "", state{0, 0, nil}},                     // forgetting twice is harmless
		{"c", "t2", state{1, 1, []string{t2}}},          // hubot's token alone again: keyed by itself
	}
	for i, st := range steps {
		if st.token == "" {
			p.Forget(st.pc)
		} else {
			c, err := p.Client(cfg(st.pc, st.token))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Repositories.Get(context.Background(), "acme", "svc"); err != nil {
				t.Fatal(err)
			}
		}
		var got state
		got.Clients, got.Identities = p.Size()
		got.Labels = gaugeLabels(t, host)
		if diff := cmp.Diff(st.want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("step %d (%s, %q): -want +got:\n%s", i, st.pc, st.token, diff)
		}
	}
}

// gaugeLabels returns the identities on host with a
// paved_github_rate_limit_remaining series.
func gaugeLabels(t *testing.T, host string) []string {
	t.Helper()
	ch := make(chan prometheus.Metric, 100)
	go func() { RateLimitRemaining.Collect(ch); close(ch) }()
	var out []string
	for m := range ch {
		d := &dto.Metric{}
		if err := m.Write(d); err != nil {
			t.Fatal(err)
		}
		for _, l := range d.GetLabel() {
			if l.GetName() == "identity" && strings.HasPrefix(l.GetValue(), host+"/") {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// GitHub counts every request against the primary limit, reads and writes
// alike ("All of these requests count towards your personal rate limit",
// same page): the provider's budget (80% of it) holds writes back too, so
// whatever the mix, GitHub counts no more than the budget in a window.
func TestRequestBudgetCountsWrites(t *testing.T) {
	const limit, budget = 20, 16 // 80%
	read := func(c *gh.Client, i int) error {
		_, _, err := c.Repositories.Get(context.Background(), "acme", fmt.Sprintf("r%d", i))
		if IsNotFound(err) {
			return nil
		}
		return err
	}
	write := func(c *gh.Client, _ int) error {
		_, _, err := c.Repositories.ReplaceAllTopics(context.Background(), "acme", "svc", []string{"x"})
		return err
	}
	cases := map[string][]func(*gh.Client, int) error{
		"writes":             {write},
		"reads, then writes": {read, write},
		"writes, then reads": {write, read},
	}
	for name, phases := range cases {
		t.Run(name, func(t *testing.T) {
			s := standIn(t, map[string]string{"ghp_octo_one": "octo"})
			s.SetRateLimit(limit)
			c, err := NewPool(Options{AllowHTTPLoopback: true}).Client(Config{BaseURL: s.URL, Credentials: Credentials{Token: "ghp_octo_one"}})
			if err != nil {
				t.Fatal(err)
			}
			held := 0
			for i := range limit {
				err := phases[i*len(phases)/limit](c, i)
				var rl *RateLimitedError
				switch {
				case errors.As(err, &rl) && rl.Budget:
					held++
				case err != nil:
					t.Fatalf("request %d: %v", i, err)
				}
			}
			if got := s.Stats().Counted; got != budget || held != limit-budget {
				t.Errorf("GitHub counted %d of %d requests, %d held back; want %d counted (the budget), %d held back", got, limit, held, budget, limit-budget)
			}
		})
	}
}
