//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/paved-dev/paved/test/ghtest"
)

// Faults on the golden path (docs/servicebundle.md, "Faults on the path"): how long each
// lasts at least. They are lengths of outages played, not assertions on
// time.
const (
	githubOutage    = 30 * time.Second // every request answered 503
	githubThrottle  = 30 * time.Second // every write answered 429 with Retry-After
	throttleRetry   = 20               // the 429s' Retry-After, in seconds
	backstageOutage = 30 * time.Second // the catalog backend stopped
)

// TestServiceBundleFaults follows one ServiceBundle claim through the
// faults a real golden path meets, with the real provider, the GitHub
// stand-in and the real Backstage catalog:
//   - GitHub unavailable (every request answered 503), then throttling
//     writes (429 with Retry-After) while the repository is to be created;
//   - Backstage stopped while the registration is due, then started again
//     with its database.
//
// While each fault lasts, the claim says why it waits, in the provider's
// words (RepositoryReady names GitHub's status, CatalogRegistered names
// Backstage); once the fault is over, the claim converges to Ready with
// exactly one repository on GitHub and exactly one location in Backstage's
// catalog for the service. It prints how long recovery took and how many
// requests the faults answered; nothing asserts on time.
func TestServiceBundleFaults(t *testing.T) {
	g := requireGoldenPath(t)
	ctx := context.Background()
	const ns, name = "team-payments", "payments-api"
	createNamespace(ctx, t, ns)
	// Whatever happens, leave GitHub answering and Backstage running for
	// the tests that follow.
	t.Cleanup(func() {
		g.GitHub.EndFaultWindow()
		if err := g.Backstage.Check(); err != nil {
			if err := g.Backstage.Start(context.Background()); err != nil {
				t.Errorf("restarting Backstage after the test: %v", err)
			}
		}
	})

	b := &bundleRun{g: g, ns: ns, name: name}
	ghBefore := g.GitHub.Stats()

	// GitHub unavailable from before the claim exists.
	g.GitHub.StartFaultWindow(ghtest.FaultWindow{Name: "outage", Status: http.StatusServiceUnavailable})
	outageBegin := time.Now()
	b.create(ctx, t, map[string]any{
		"description": "Payments API", "template": "go-service",
		"database":     map[string]any{"engine": "postgresql", "size": "small"},
		"bucket":       map[string]any{},
		"environments": []any{"staging", "production"},
	})
	b.playAWS(ctx, t)
	b.waitsFor(ctx, t, "GitHub unavailable", "RepositoryReady", "SyncFailed", "GitHub", "503")
	b.waitsFor(ctx, t, "GitHub unavailable", "CatalogRegistered", "Waiting", "GitHub", "503")
	b.waitsFor(ctx, t, "GitHub unavailable", "DeliveryReady", "Waiting", "GitHub", "503")
	time.Sleep(time.Until(outageBegin.Add(githubOutage)))
	outageAnswered := g.GitHub.EndFaultWindow()

	// Then GitHub throttles writes: reads succeed, creating the repository
	// is answered 429 with Retry-After.
	g.GitHub.StartFaultWindow(ghtest.FaultWindow{Name: "throttle", Status: http.StatusTooManyRequests, RetryAfter: throttleRetry, WritesOnly: true})
	throttleBegin := time.Now()
	b.waitsFor(ctx, t, "GitHub throttling writes", "RepositoryReady", "SyncFailed", "rate limit")
	time.Sleep(time.Until(throttleBegin.Add(githubThrottle)))
	// Backstage stops before GitHub recovers, so that the registration,
	// due the moment catalog-info.yaml is committed (RepositoryFile
	// Ready), always finds it stopped: stopped at that moment instead, the
	// provider could register first and the fault would test nothing.
	g.Backstage.Stop()
	backstageStopped := time.Now()
	throttleAnswered := g.GitHub.EndFaultWindow()
	githubCleared := time.Now()
	ghDuring := g.GitHub.Stats()

	// Composed once the provider observed the Repository, after GitHub
	// recovered.
	file := b.waitRef(ctx, t, "RepositoryFile")
	eventually(ctx, t, waitLimit, "catalog-info.yaml committed once GitHub recovered", func(ctx context.Context) error {
		u, err := get(ctx, file.APIVersion, file.Kind, "", file.Name)
		if err != nil {
			return err
		}
		if s, r, m := condition(u, "Ready"); s != "True" {
			return fmt.Errorf("%s Ready=%s (%s): %s", file, s, r, m)
		}
		return nil
	})
	fileReady := time.Now()
	waitCondition(ctx, t, waitLimit, claimVersion, "ServiceBundle", ns, name, "RepositoryReady", "True")
	repoReady := time.Now()
	// The provider tried to register while Backstage was stopped, and the
	// claim says so; the location is not registered.
	b.waitsFor(ctx, t, "Backstage stopped", "CatalogRegistered", "SyncFailed", "Backstage")
	if stage, registered := b.registrationStage(ctx); registered {
		t.Fatalf("Backstage stopped, yet the registration completed: %s", stage)
	} else {
		t.Logf("Backstage stopped, registration %s", stage)
	}
	b.playArgoCD(ctx, t)
	time.Sleep(time.Until(backstageStopped.Add(backstageOutage)))
	if err := g.Backstage.Start(ctx); err != nil {
		t.Fatalf("restarting Backstage: %v", err)
	}
	backstageStarted := time.Now()
	waitCondition(ctx, t, waitLimit, claimVersion, "ServiceBundle", ns, name, "CatalogRegistered", "True")
	registered := time.Now()
	c, _ := waitCondition(ctx, t, waitLimit, claimVersion, "ServiceBundle", ns, name, "Ready", "True")
	ready := time.Now()
	for _, typ := range []string{"Synced", "RepositoryReady", "CatalogRegistered", "DatabaseReady", "BucketReady", "DeliveryReady"} {
		if s, _, _ := condition(c, typ); s != "True" {
			t.Errorf("after recovery, claim %s=%q: %s", typ, s, conditionsString(c))
		}
	}

	// Exactly one repository and one location.
	if s := g.GitHub.Stats(); s.RepoCreates-ghBefore.RepoCreates != 1 || s.RepoDeletes != ghBefore.RepoDeletes {
		t.Errorf("GitHub: %d repositories created, %d deleted during the faults; want exactly 1 created, none deleted",
			s.RepoCreates-ghBefore.RepoCreates, s.RepoDeletes-ghBefore.RepoDeletes)
	}
	if st, ok := g.GitHub.Repo(platformOwner, name); !ok || st.Archived {
		t.Errorf("repository %s/%s: exists=%v archived=%v, want it, not archived", platformOwner, name, ok, st.Archived)
	}
	ls, err := g.locations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range ls {
		if strings.Contains(l, "/"+platformOwner+"/"+name+"/") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Backstage lists %d locations for %s, want exactly 1: %v", n, name, ls)
	}
	if _, found, err := g.entityByRef(ctx, b.componentRef()); err != nil || !found {
		t.Errorf("%s in the catalog after recovery: found=%v, %v", b.componentRef(), found, err)
	}

	t.Logf("figure: GitHub faults: %d requests answered 503 in %.0f s, then %d writes answered 429 (Retry-After %d s) in %.0f s; the provider sent %d requests to GitHub meanwhile",
		outageAnswered, throttleBegin.Sub(outageBegin).Seconds(), throttleAnswered, throttleRetry, githubCleared.Sub(throttleBegin).Seconds(),
		ghDuring.ByLogin[providerLogin]-ghBefore.ByLogin[providerLogin])
	t.Logf("figure: recovery: GitHub cleared -> catalog-info.yaml committed in %.1f s, claim RepositoryReady in %.1f s; Backstage stopped for %.0f s, restarted -> claim CatalogRegistered in %.1f s, Ready in %.1f s (%s)",
		fileReady.Sub(githubCleared).Seconds(), repoReady.Sub(githubCleared).Seconds(), backstageStarted.Sub(backstageStopped).Seconds(),
		registered.Sub(backstageStarted).Seconds(), ready.Sub(backstageStarted).Seconds(), circuitBreakerOpens(b.xr.GetName()))

	// Leave nothing behind for the tests that follow: the claim goes (its
	// repository is archived, its location removed).
	if err := cp.Client.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	go playArgoCDDeletion(ctx, ns, name)
	eventually(ctx, t, waitLimit, "the claim deleted", func(ctx context.Context) error {
		if _, err := get(ctx, claimVersion, "ServiceBundle", ns, name); !kerrors.IsNotFound(err) {
			return fmt.Errorf("still there (%v)", err)
		}
		return nil
	})
	if err := g.check(); err != nil {
		t.Error(err)
	}
}

// waitsFor waits until the claim's condition typ is False with reason and
// a message holding every one of words: the claim says why it waits.
func (b *bundleRun) waitsFor(ctx context.Context, t *testing.T, fault, typ, reason string, words ...string) {
	t.Helper()
	var msg string
	eventually(ctx, t, waitLimit, fmt.Sprintf("while %s, the claim's %s is False (%s) naming %q", fault, typ, reason, words), func(ctx context.Context) error {
		c, err := get(ctx, claimVersion, "ServiceBundle", b.ns, b.name)
		if err != nil {
			return err
		}
		s, r, m := condition(c, typ)
		if s != "False" || r != reason {
			return fmt.Errorf("%s=%s (%s): %s", typ, s, r, m)
		}
		for _, w := range words {
			if !strings.Contains(m, w) {
				return fmt.Errorf("%s=%s (%s): %q lacks %q", typ, s, r, m, w)
			}
		}
		msg = m
		return nil
	})
	t.Logf("while %s: %s=False (%s): %s", fault, typ, reason, msg)
}

// registrationStage says how far the registration had got: not composed
// yet, composed but not registered, or registered in the catalog.
func (b *bundleRun) registrationStage(ctx context.Context) (stage string, registered bool) {
	xr := b.composite(ctx)
	if xr == nil {
		return "before the composite could be read", false
	}
	l, ok := kinds(resourceRefs(xr))["CatalogLocation"]
	if !ok {
		return "before the registration was composed", false
	}
	u, err := get(ctx, l.APIVersion, l.Kind, "", l.Name)
	if kerrors.IsNotFound(err) {
		return "composed, its CatalogLocation not created yet", false
	}
	if err != nil {
		return "composed (" + err.Error() + ")", false
	}
	if id := u.GetAnnotations()["crossplane.io/external-name"]; id != "" {
		s, _, _ := condition(u, "Ready")
		return "done: the catalog registered location " + id + " (CatalogLocation Ready=" + s + ")", true
	}
	return "under way: the CatalogLocation created, not registered yet", false
}
