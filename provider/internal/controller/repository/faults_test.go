package repository

import (
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/test/ghtest"
)

// Every fault scenario must converge to exactly one repository, never
// delete one, and keep the traffic within GitHub's OpenAPI description
// (checked by the harness).
func assertOneRepoNoDelete(t *testing.T, e *env, name string) {
	t.Helper()
	if _, ok := e.gh.Repo(testOrg, name); !ok {
		t.Fatalf("repository %s does not exist", name)
	}
	s := e.gh.Stats()
	if s.RepoCreates != 1 {
		t.Errorf("repository created %d times, want exactly 1", s.RepoCreates)
	}
	if s.RepoDeletes != 0 {
		t.Errorf("repository deleted %d times, want 0", s.RepoDeletes)
	}
	if e.gh.RepoCount() != 1 {
		t.Errorf("%d repositories exist, want 1", e.gh.RepoCount())
	}
}

func TestFaults(t *testing.T) {
	cases := map[string]struct {
		faults []ghtest.Fault
	}{
		"5xx before creating": {
			faults: []ghtest.Fault{{Method: "POST", PathPrefix: "/orgs/", Status: 502, Times: 2}},
		},
		"5xx after creating (response lost)": {
			faults: []ghtest.Fault{{Method: "POST", PathPrefix: "/orgs/", Status: 500, AfterHandling: true}},
		},
		"timeout after creating": {
			faults: []ghtest.Fault{{Method: "POST", PathPrefix: "/orgs/", AfterHandling: true, Delay: 4 * time.Second}},
		},
		"5xx on reads": {
			faults: []ghtest.Fault{{Method: "GET", PathPrefix: "/repos/", Status: 503, Times: 3}},
		},
		"secondary rate limit with Retry-After on create": {
			faults: []ghtest.Fault{{Method: "POST", PathPrefix: "/orgs/", Status: 429, RetryAfter: 1}},
		},
		"secondary rate limit 403 with Retry-After on update": {
			faults: []ghtest.Fault{{Method: "PUT", PathPrefix: "/repos/", Status: 403, RetryAfter: 1, Times: 2}},
		},
		"5xx on update": {
			faults: []ghtest.Fault{{Method: "PUT", PathPrefix: "/repos/", Status: 502, Times: 2}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(o *ghclient.Options) { o.Timeout = time.Second })
			for _, f := range tc.faults {
				e.gh.Inject(f)
			}
			e.create("svc", fullSpec, func(r *v1alpha1.Repository) { r.Spec.ForProvider.Description = ptr("svc") })
			e.converge("svc", 12)
			assertOneRepoNoDelete(t, e, "svc")
			if s := e.gh.Stats(); s.FaultsInjected == 0 {
				t.Fatal("no fault was injected: the scenario tests nothing")
			}
			st, _ := e.gh.Repo(testOrg, "svc")
			if st.Description != "svc" || !st.Protected {
				t.Errorf("repository not converged: %+v", st)
			}
		})
	}
}

func TestLongRateLimitStopsRequestsUntilReset(t *testing.T) {
	e := newEnv(t)
	e.create("svc")
	e.converge("svc", 6)

	// A secondary limit asking for two minutes: the next reconcile gets the
	// 429, later ones must not reach GitHub until the wait is over.
	e.gh.Inject(ghtest.Fault{Method: "GET", PathPrefix: "/repos/", Status: 429, RetryAfter: 120})
	e.reconcile("svc")
	if c := synced(e.get("svc")); c.Status != "False" {
		t.Fatalf("Synced = %s after a rate limit, want False", c.Status)
	}
	before := e.gh.Stats().Requests
	for range 5 {
		e.reconcile("svc")
	}
	if d := e.gh.Stats().Requests - before; d != 0 {
		t.Errorf("%d requests reached GitHub while rate limited, want 0", d)
	}
	c := synced(e.get("svc"))
	if !strings.Contains(c.Message, "rate limit") {
		t.Errorf("condition does not explain the rate limit: %q", c.Message)
	}
	e.clock.Advance(121 * time.Second)
	e.converge("svc", 3)
}

func TestPrimaryRateLimitExhausted(t *testing.T) {
	e := newEnv(t)
	e.gh.SetRateLimit(3)
	e.create("svc", fullSpec)
	for range 6 {
		e.reconcile("svc")
	}
	c := synced(e.get("svc"))
	if c.Status != "False" || !strings.Contains(c.Message, "rate limit") {
		t.Errorf("Synced = %s %q, want a rate-limit error", c.Status, c.Message)
	}
	// X-RateLimit-Reset is an hour away: the client must stop sending.
	if s := e.gh.Stats(); s.Requests > 5 {
		t.Errorf("%d requests sent against an exhausted rate limit", s.Requests)
	}
}
