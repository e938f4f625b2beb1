//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/test/harness"
)

// platformSeries are the platform metrics' series one golden-path
// ServiceBundle adds to (provider/internal/signals), for its namespace's
// team (the namespace itself in the golden path's mapping) and template.
func platformSeries(team, template string) []struct{ name, labels string } {
	return []struct{ name, labels string }{
		{"platform_service_creations_total", `status="ready",team="` + team + `",template="` + template + `"`},
		{"platform_active_services", `environment="staging",team="` + team + `"`},
		{"platform_active_services", `environment="production",team="` + team + `"`},
		{"platform_provisioning_duration_seconds_count", `resource_type="servicebundle"`},
		{"platform_provisioning_duration_seconds_count", `resource_type="database"`},
		{"platform_provisioning_duration_seconds_count", `resource_type="bucket"`},
		{"platform_self_service_provisions_total", `resource_type="servicebundle"`},
		{"platform_self_service_provisions_total", `resource_type="database"`},
		{"platform_self_service_provisions_total", `resource_type="bucket"`},
		{"platform_time_to_first_deploy_seconds_count", `team="` + team + `"`},
		{"platform_repositories", `origin="golden-path"`},
	}
}

// platformSources are the kinds the golden path installs, which the
// metrics must read.
var platformSources = []string{"XServiceBundle.platform.paved.dev", "XDatabase.platform.paved.dev", "XBucket.platform.paved.dev", "Application.argoproj.io", "Repository.github.paved.dev", "Repository.github.m.paved.dev"}

// scrapePlatform reads bin/provider's /metrics once every source the
// golden path installs, and the kinds also names, is read (the provider
// looks for a kind installed after it started every 30 s), and returns its
// platform_ lines.
func scrapePlatform(ctx context.Context, t *testing.T, p *harness.Provider, also ...string) []string {
	t.Helper()
	var lines []string
	eventually(ctx, t, waitLimit, "the platform metrics read every source", func(ctx context.Context) error {
		text, err := p.MetricsText(ctx)
		if err != nil {
			return err
		}
		for _, k := range slices.Concat(platformSources, also) {
			if v, err := harness.MetricSum(text, "platform_signals_source_available", `kind="`+k+`"`); err != nil || v != 1 {
				return fmt.Errorf("platform_signals_source_available{kind=%q} = %v (%v)", k, v, err)
			}
		}
		lines = lines[:0]
		for l := range strings.SplitSeq(text, "\n") {
			if strings.HasPrefix(l, "platform_") {
				lines = append(lines, l)
			}
		}
		return nil
	})
	return lines
}

func sample(t *testing.T, lines []string, name, labels string) float64 {
	t.Helper()
	v, err := harness.MetricSum(strings.Join(lines, "\n"), name, labels)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkPlatformMetrics checks bin/provider's platform metrics after the
// bundle is Ready against what the test did since before (the scrape
// before the claim was created): one bundle of its template and team,
// ready; its staging and production Applications; one provisioning
// observation each for the bundle, its database and its bucket, the
// bundle's within the time the test measured; its time to first deploy,
// within the time after which the test played Argo CD's first sync; a
// golden-path repository;
// the adoption ratio of the repositories; and, once the test played a
// production sync of the repository's head, its lead time: the deploy
// minus the commit's time on GitHub. Then it restarts the
// provider and checks that the values are the same (they are derived from
// the objects, never counted in memory).
func (b *bundleRun) checkPlatformMetrics(ctx context.Context, t *testing.T, before []string, template string) {
	t.Helper()
	elapsed := time.Since(b.created)
	after := scrapePlatform(ctx, t, b.g.Provider)
	for _, s := range platformSeries(b.ns, template) {
		if d := sample(t, after, s.name, s.labels) - sample(t, before, s.name, s.labels); d != 1 {
			t.Errorf("%s{%s} grew by %v while the test created one ServiceBundle, want 1", s.name, s.labels, d)
		}
	}
	// Creation to Ready in whole seconds (Kubernetes' timestamps): at
	// most the time since the test created the claim, plus a second.
	sum := sample(t, after, "platform_provisioning_duration_seconds_sum", `resource_type="servicebundle"`) -
		sample(t, before, "platform_provisioning_duration_seconds_sum", `resource_type="servicebundle"`)
	if sum < 0 || sum > elapsed.Seconds()+1 {
		t.Errorf("the bundle's provisioning duration %.0f s, want within the %.1f s since the claim was created", sum, elapsed.Seconds())
	}
	// The test played Argo CD's first staging sync (history entry 0,
	// deployedAt when it played it).
	first := sample(t, after, "platform_time_to_first_deploy_seconds_sum", `team="`+b.ns+`"`) -
		sample(t, before, "platform_time_to_first_deploy_seconds_sum", `team="`+b.ns+`"`)
	if played := b.argoDone.Sub(b.created).Seconds(); first < 0 || first > played+1 {
		t.Errorf("the bundle's time to first deploy %.0f s, want within the %.1f s after which the test played Argo CD's first sync", first, played)
	}
	// Lead time: the test plays Argo CD's first production sync of the
	// repository's head; provider-paved reads the commit's time from
	// GitHub (the stand-in) and observes deploy minus commit.
	sha, committed, ok := b.g.GitHub.HeadCommit(platformOwner, b.name, "main")
	if !ok {
		t.Fatalf("no head of %s/%s main on GitHub", platformOwner, b.name)
	}
	deployed := b.playProductionDeploy(ctx, t, sha)
	leadLabels := `service="` + b.name + `",team="` + b.ns + `"`
	eventually(ctx, t, waitLimit, "platform_lead_time_seconds observes the production deploy", func(ctx context.Context) error {
		after = scrapePlatform(ctx, t, b.g.Provider)
		if n := sample(t, after, "platform_lead_time_seconds_count", leadLabels) - sample(t, before, "platform_lead_time_seconds_count", leadLabels); n != 1 {
			return fmt.Errorf("platform_lead_time_seconds_count{%s} grew by %v, want 1", leadLabels, n)
		}
		return nil
	})
	lead := sample(t, after, "platform_lead_time_seconds_sum", leadLabels) - sample(t, before, "platform_lead_time_seconds_sum", leadLabels)
	// Whole seconds (RFC 3339 in Argo CD's history and GitHub's dates).
	if want := deployed.Truncate(time.Second).Sub(committed).Seconds(); lead < want-1 || lead > want+1 {
		t.Errorf("lead time %.0f s, want %.0f s: the deploy at %s minus the commit at %s", lead, want, deployed, committed)
	}
	t.Logf("figure: lead time of the played production deploy %.0f s (commit %s at %s)", lead, sha[:7], committed.Format(time.RFC3339))

	golden, other := sample(t, after, "platform_repositories", `origin="golden-path"`), sample(t, after, "platform_repositories", `origin="other"`)
	if ratio := sample(t, after, "platform_golden_path_adoption_ratio", ""); ratio != golden/(golden+other) {
		t.Errorf("platform_golden_path_adoption_ratio %v, want %v golden-path of %v repositories", ratio, golden, golden+other)
	}
	t.Logf("figure: platform metrics after the bundle: provisioning %.0f s (test measured %.1f s since create), repositories %v golden-path of %v",
		sum, elapsed.Seconds(), golden, golden+other)

	b.g.Provider.Stop()
	if err := b.g.Provider.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// Once the restarted provider's informers have synced (every kind the
	// first process read, namespaced composites too), its values are the
	// first process's.
	slices.Sort(after)
	eventually(ctx, t, waitLimit, "the restarted provider's platform metrics equal the first process's", func(ctx context.Context) error {
		restarted := scrapePlatform(ctx, t, b.g.Provider)
		slices.Sort(restarted)
		if !slices.Equal(after, restarted) {
			return fmt.Errorf("before the restart:\n%s\nafter:\n%s", strings.Join(after, "\n"), strings.Join(restarted, "\n"))
		}
		return nil
	})
}
