//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// bundlesAtOnce is how many ServiceBundles TestServiceBundlesAtOnce
// creates together.
const bundlesAtOnce = 10

// TestServiceBundlesAtOnce creates ten ServiceBundles at once, each in its
// own team's namespace, on the golden path with Crossplane core's default
// flags (the test plays provider-aws and Argo CD for each, as
// TestServiceBundle does), waits until every claim is Ready and prints how
// long the last one took and how often core's circuit breaker opened for
// the bundles meanwhile: `figure: servicebundles-10-ready`. The breaker
// counts per composite, so ten bundles at once must not open it more than
// one does. Each claim's repository, file and nested database and bucket
// are its own (the composite lists them, the repository has the service's
// name). The bundles stay: the control plane ends with the suite.
func TestServiceBundlesAtOnce(t *testing.T) {
	g := requireGoldenPath(t)
	ctx := context.Background()
	spec := map[string]any{
		"description": "One of many", "template": "go-service",
		"database":     map[string]any{"engine": "postgresql", "size": "small"},
		"bucket":       map[string]any{},
		"environments": []any{"staging", "production"},
	}
	before := readBreakers(ctx, t)
	created := time.Now()
	var mu sync.Mutex
	ready := map[string]time.Duration{}
	t.Run("bundles", func(t *testing.T) {
		for i := range bundlesAtOnce {
			ns, name := fmt.Sprintf("team-many-%d", i), fmt.Sprintf("many-%d-api", i)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				createNamespace(ctx, t, ns)
				if err := cp.Client.Create(ctx, newClaim("ServiceBundle", ns, name, spec)); err != nil {
					t.Fatal(err)
				}
				b := &bundleRun{g: g, ns: ns, name: name}
				b.waitComposed(ctx, t)
				b.playAWS(ctx, t)
				b.playArgoCD(ctx, t)
				waitCondition(ctx, t, waitLimit, claimVersion, "ServiceBundle", ns, name, "Ready", "True")
				mu.Lock()
				ready[name] = time.Since(created)
				mu.Unlock()
			})
		}
	})
	if len(ready) != bundlesAtOnce {
		t.Fatalf("%d of %d bundles Ready", len(ready), bundlesAtOnce)
	}
	after := readBreakers(ctx, t)
	times := make([]time.Duration, 0, len(ready))
	for _, d := range ready {
		times = append(times, d)
	}
	slices.Sort(times)
	k := breakerKinds[0]
	var breakers []string
	for _, kind := range breakerKinds {
		d := after[kind].minus(before[kind])
		breakers = append(breakers, fmt.Sprintf("%s: opened %d, events allowed %d, dropped %d",
			kind, int(d.opens), int(d.allowed), int(d.dropped)))
	}
	name := "servicebundles-10-ready"
	if slices.ContainsFunc(cp.CoreArgs, func(a string) bool { return strings.HasPrefix(a, "--circuit-breaker") }) {
		name = "servicebundles-10-ready-core-args" // not core's defaults: another figure
	}
	t.Logf("figure: %s %.1f s, breaker opens %d (first Ready at %.1f s, median %.1f s; the simulated cloud and Argo CD steps included; core flags beyond the harness's: %v; %s)",
		name, times[len(times)-1].Seconds(), int(after[k].opens-before[k].opens), times[0].Seconds(), times[len(times)/2].Seconds(),
		cp.CoreArgs, strings.Join(breakers, "; "))
}
