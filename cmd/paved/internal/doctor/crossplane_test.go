package doctor

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBreaker: core's circuit breaker at its defaults is enough for a
// ServiceBundle's creation; less burst or refill opens it, a value that is
// not a number keeps core from starting, and flags that cannot be read are
// said so.
func TestBreaker(t *testing.T) {
	const d = "crossplane-system/crossplane"
	cases := map[string]struct {
		flags map[string]string
		want  Result
	}{
		"NoDeployment": {
			flags: nil,
			want:  Result{Status: Warn, What: whatBreaker, Why: "cannot be seen from the API (no Deployment of core with `core start` args to read flags from): check that core runs with --circuit-breaker-burst and --circuit-breaker-refill-rate at or above their defaults, 100 and 1 (docs/design.md)"},
		},
		"Defaults": {
			flags: map[string]string{},
			want:  Result{Status: OK, What: whatBreaker, Why: "burst 100 (default), refill 1/s (default) (Deployment crossplane-system/crossplane): a ServiceBundle's creation spends nearly all of a composite's 100 default tokens; a higher --circuit-breaker-burst leaves a margin (docs/design.md)"},
		},
		"Raised": {
			flags: map[string]string{"circuit-breaker-burst": "1000", "circuit-breaker-refill-rate": "1"},
			want:  Result{Status: OK, What: whatBreaker, Why: "burst 1000, refill 1/s (Deployment crossplane-system/crossplane): a margin above the nearly 100 tokens a ServiceBundle's creation spends"},
		},
		"BurstBelow": {
			flags: map[string]string{"circuit-breaker-burst": "50"},
			want:  Result{Status: Warn, What: whatBreaker, Why: "Deployment crossplane-system/crossplane runs core with --circuit-breaker-burst=50 below its default 100: a ServiceBundle's creation spends nearly all of its composite's 100 default tokens within seconds, so its breaker opens and its claim waits up to a minute for Ready; remove the flag (docs/design.md)"},
		},
		"BothBelow": {
			flags: map[string]string{"circuit-breaker-burst": "99", "circuit-breaker-refill-rate": "0.5"},
			want:  Result{Status: Warn, What: whatBreaker, Why: "Deployment crossplane-system/crossplane runs core with --circuit-breaker-burst=99 below its default 100 and --circuit-breaker-refill-rate=0.5 below its default 1: a ServiceBundle's creation spends nearly all of its composite's 100 default tokens within seconds, so its breaker opens and its claim waits up to a minute for Ready; remove the flags (docs/design.md)"},
		},
		"NotANumber": {
			flags: map[string]string{"circuit-breaker-refill-rate": "fast"},
			want:  Result{Status: Fail, What: whatBreaker, Why: `Deployment crossplane-system/crossplane runs core with --circuit-breaker-refill-rate="fast", not a number: core does not start; remove the flag (default 1)`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, breaker(tc.flags, d)); diff != "" {
				t.Errorf("breaker(%v): -want, +got:\n%s", tc.flags, diff)
			}
		})
	}
}
