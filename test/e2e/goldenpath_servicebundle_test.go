//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/paved-dev/paved/test/harness"
)

// TestServiceBundle follows one ServiceBundle claim along the golden path
// with the real provider, the GitHub stand-in and the real Backstage
// catalog (the test plays only provider-aws and Argo CD's controller):
// the claim becomes a private repository generated from the node-service
// template with topics, a protected main and catalog-info.yaml committed;
// a catalog registration whose Component and Resources Backstage read from
// GitHub; a Ready database (its secret in the team's namespace) and bucket;
// two Applications; and a Ready claim with its status. Deleting it
// unregisters the location, archives the repository with its contents,
// removes the Applications and leaves database and bucket to the
// decommission rules, the claim staying, Deleting, until the operator's
// decommission lets them go.
func TestServiceBundle(t *testing.T) {
	g := requireGoldenPath(t)
	ctx := context.Background()
	const ns, name = "team-orders", "orders-api"
	createNamespace(ctx, t, ns)

	// The API server checks the claim's name (the XRD's root CEL rule).
	bad := newClaim("ServiceBundle", ns, "orders--api", map[string]any{"description": "d", "template": "go-service"})
	if err := cp.Client.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "service's name") {
		t.Errorf("a claim named orders--api: got %v, want the API server to refuse the name", err)
	}

	b := &bundleRun{g: g, ns: ns, name: name}
	ghBefore := g.GitHub.Stats()
	metricsBefore := scrapePlatform(ctx, t, g.Provider)
	b.create(ctx, t, map[string]any{
		"description": "Orders API", "template": "node-service",
		"database":     map[string]any{"engine": "postgresql", "size": "small"},
		"bucket":       map[string]any{},
		"environments": []any{"staging", "production"},
	})
	b.playAWS(ctx, t)
	b.playArgoCD(ctx, t)
	c := b.ready(ctx, t)

	b.checkRepository(ctx, t)
	b.checkCatalog(ctx, t)
	b.checkApplications(ctx, t)
	b.checkClaim(ctx, t, c)
	b.checkRefusedChanges(ctx, t, c)
	b.checkEnvironmentKept(ctx, t)
	if s := g.GitHub.Stats(); s.RepoCreates-ghBefore.RepoCreates != 1 {
		t.Errorf("%d repositories created on GitHub, want 1", s.RepoCreates-ghBefore.RepoCreates)
	}
	b.steadyState(ctx, t)
	b.checkPlatformMetrics(ctx, t, metricsBefore, "node-service")

	b.delete(ctx, t)
	if err := g.check(); err != nil {
		t.Error(err)
	}
}

// bundleRun follows one ServiceBundle and keeps what the figures need.
type bundleRun struct {
	g        *goldenPath
	ns, name string

	xr      *unstructured.Unstructured
	refs    map[string]ref // the bundle's composed resources by kind (Applications aside)
	db, bkt nestedRun

	created   time.Time
	milestone *milestones
	events    *eventCounter
	// breaker is core's circuit breaker counters just before the claim
	// was created.
	breaker map[string]breakerStats
	// The simulated steps: when the test played provider-aws and Argo CD.
	awsDone, argoDone time.Time
}

// nestedRun is a nested XDatabase or XBucket and what its Composition
// composed.
type nestedRun struct {
	xr   *unstructured.Unstructured
	refs map[string]ref
}

func (b *bundleRun) target() string {
	return "https://" + githubHost + "/" + platformOwner + "/" + b.name + "/blob/main/catalog-info.yaml"
}

func (b *bundleRun) componentRef() string { return "component:default/" + b.name }

// create creates the claim, starts recording the milestones of the real
// path, and waits until the composite lists the nested database and
// bucket.
func (b *bundleRun) create(ctx context.Context, t *testing.T, spec map[string]any) {
	t.Helper()
	b.events = countEvents(ctx, t)
	b.breaker = readBreakers(ctx, t)
	b.created = time.Now()
	if err := cp.Client.Create(ctx, newClaim("ServiceBundle", b.ns, b.name, spec)); err != nil {
		t.Fatal(err)
	}
	b.milestone = b.watch(ctx, t)
	b.waitComposed(ctx, t)
}

// waitComposed waits until the bundle's composite lists its repository
// and nested database and bucket, and keeps them in b.
func (b *bundleRun) waitComposed(ctx context.Context, t *testing.T) {
	t.Helper()
	eventually(ctx, t, waitLimit, "ServiceBundle composes its XDatabase and XBucket", func(ctx context.Context) error {
		c, err := get(ctx, claimVersion, "ServiceBundle", b.ns, b.name)
		if err != nil {
			return err
		}
		xrName, _, _ := unstructured.NestedString(c.Object, "spec", "resourceRef", "name")
		if xrName == "" {
			return fmt.Errorf("claim has no spec.resourceRef yet; conditions: %s", conditionsString(c))
		}
		xr, err := get(ctx, claimVersion, "XServiceBundle", "", xrName)
		if err != nil {
			return err
		}
		refs := kinds(resourceRefs(xr))
		// The file and the branch come once the provider observed the
		// Repository (fn/servicebundle, composeOnRepository): a test that
		// needs them waits for them (waitRef).
		for _, k := range []string{"Repository", "XDatabase", "XBucket"} {
			if _, ok := refs[k]; !ok {
				return fmt.Errorf("composite lists %v; conditions: %s", refs, conditionsString(xr))
			}
		}
		b.xr, b.refs = xr, refs
		return nil
	})
	expect(t, "Repository name", b.refs["Repository"].Name, b.name)
}

// milestones are the first times the test saw each step of the real path.
type milestones struct {
	mu   sync.Mutex
	at   times
	stop context.CancelFunc
}

type times struct {
	repository, file, registered, visible, locationReady, ready time.Time
	// conditions: when each of the claim's conditions was first True.
	conditions map[string]time.Time
}

func (m *milestones) get() times {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.at
	t.conditions = maps.Clone(m.at.conditions)
	return t
}

// bundleConditions are the claim's conditions (docs/servicebundle.md).
var bundleConditions = []string{"RepositoryReady", "CatalogRegistered", "DatabaseReady", "BucketReady", "DeliveryReady"}

// watch records, every 100 ms, when the Repository and the RepositoryFile
// became Ready, when Backstage listed the location and the Component, and
// when the claim became Ready.
func (b *bundleRun) watch(ctx context.Context, t *testing.T) *milestones {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	m := &milestones{stop: cancel, at: times{conditions: map[string]time.Time{}}}
	t.Cleanup(cancel)
	ready := func(apiVersion, kind, ns, name string) bool {
		u, err := get(ctx, apiVersion, kind, ns, name)
		if err != nil {
			return false
		}
		s, _, _ := condition(u, "Ready")
		return s == "True"
	}
	mark := func(at *time.Time, ok func() bool) bool {
		m.mu.Lock()
		done := !at.IsZero()
		m.mu.Unlock()
		if done {
			return true
		}
		if !ok() {
			return false
		}
		m.mu.Lock()
		*at = time.Now()
		m.mu.Unlock()
		return true
	}
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			mark(&m.at.repository, func() bool { return ready("github.paved.dev/v1alpha1", "Repository", "", b.name) })
			mark(&m.at.file, func() bool {
				xr := b.composite(ctx)
				if xr == nil {
					return false
				}
				f, ok := kinds(resourceRefs(xr))["RepositoryFile"]
				return ok && ready(f.APIVersion, f.Kind, "", f.Name)
			})
			mark(&m.at.registered, func() bool {
				ls, err := b.g.locations(ctx)
				return err == nil && slices.Contains(ls, b.target())
			})
			mark(&m.at.visible, func() bool {
				_, found, err := b.g.entityByRef(ctx, b.componentRef())
				return err == nil && found
			})
			mark(&m.at.locationReady, func() bool {
				xr := b.composite(ctx)
				if xr == nil {
					return false
				}
				l, ok := kinds(resourceRefs(xr))["CatalogLocation"]
				return ok && ready(l.APIVersion, l.Kind, "", l.Name)
			})
			// The claim's conditions and Ready from one read.
			c, err := get(ctx, claimVersion, "ServiceBundle", b.ns, b.name)
			if err != nil {
				continue
			}
			m.mu.Lock()
			for _, typ := range bundleConditions {
				if s, _, _ := condition(c, typ); s == "True" && m.at.conditions[typ].IsZero() {
					m.at.conditions[typ] = time.Now()
				}
			}
			m.mu.Unlock()
			if mark(&m.at.ready, func() bool { s, _, _ := condition(c, "Ready"); return s == "True" }) {
				return
			}
		}
	}()
	return m
}

// waitRef waits until the bundle's composite lists a resource of kind and
// returns its reference (b.refs follows).
func (b *bundleRun) waitRef(ctx context.Context, t *testing.T, kind string) ref {
	t.Helper()
	eventually(ctx, t, waitLimit, "ServiceBundle composes its "+kind, func(ctx context.Context) error {
		xr := b.composite(ctx)
		if xr == nil {
			return fmt.Errorf("no composite")
		}
		refs := kinds(resourceRefs(xr))
		if _, ok := refs[kind]; !ok {
			return fmt.Errorf("composite lists %v; conditions: %s", refs, conditionsString(xr))
		}
		b.xr, b.refs = xr, refs
		return nil
	})
	return b.refs[kind]
}

func (b *bundleRun) composite(ctx context.Context) *unstructured.Unstructured {
	if b.xr == nil {
		return nil
	}
	xr, err := get(ctx, claimVersion, "XServiceBundle", "", b.xr.GetName())
	if err != nil {
		return nil
	}
	return xr
}

// Kinds the nested composites compose (apis/database, apis/bucket).
var (
	databaseKinds = []string{"SubnetGroup", "SecurityGroup", "SecurityGroupRule", "ParameterGroup", "Instance"}
	bucketKinds   = []string{"Bucket", "BucketVersioning", "BucketServerSideEncryptionConfiguration", "BucketPublicAccessBlock",
		"BucketOwnershipControls", "BucketPolicy", "BucketLifecycleConfiguration"}
)

// playAWS plays provider-aws for the nested database and bucket, as soon as
// their Compositions composed them: every managed resource is Ready with
// what AWS reports, and the instance's connection secret is written.
func (b *bundleRun) playAWS(ctx context.Context, t *testing.T) {
	t.Helper()
	b.db = waitNested(ctx, t, b.refs["XDatabase"], databaseKinds)
	b.bkt = waitNested(ctx, t, b.refs["XBucket"], bucketKinds)
	inst, err := get(ctx, b.db.refs["Instance"].APIVersion, "Instance", "", b.db.refs["Instance"].Name)
	if err != nil {
		t.Fatal(err)
	}
	address := b.name + ".c9akciq32.eu-west-1.rds.amazonaws.com"
	if err := writeSecret(ctx, mustString(t, inst, "spec", "writeConnectionSecretToRef", "namespace"),
		mustString(t, inst, "spec", "writeConnectionSecretToRef", "name"), map[string]string{
			"username": "paved", "password": randomString(16), "endpoint": address + ":5432", "address": address, "port": "5432",
		}); err != nil {
		t.Fatal(err)
	}
	for k, rf := range b.db.refs {
		at := map[string]any{"id": rf.Name}
		switch k {
		case "Instance":
			at = map[string]any{"address": address, "endpoint": address + ":5432", "port": int64(5432), "id": "db-" + strings.ToUpper(randomString(8))}
		case "SecurityGroup":
			at = map[string]any{"id": "sg-" + randomString(8)}
		}
		if err := markReady(ctx, rf, at); err != nil {
			t.Fatalf("provider-aws step, %s: %v", rf, err)
		}
	}
	bucket, err := get(ctx, b.bkt.refs["Bucket"].APIVersion, "Bucket", "", b.bkt.refs["Bucket"].Name)
	if err != nil {
		t.Fatal(err)
	}
	bucketName := bucket.GetAnnotations()["crossplane.io/external-name"]
	region := mustString(t, bucket, "spec", "forProvider", "region")
	for k, rf := range b.bkt.refs {
		at := map[string]any{"id": bucketName}
		if k == "Bucket" {
			at = map[string]any{"id": bucketName, "arn": "arn:aws:s3:::" + bucketName, "region": region}
		}
		if err := markReady(ctx, rf, at); err != nil {
			t.Fatalf("provider-aws step, %s: %v", rf, err)
		}
	}
	b.awsDone = time.Now()
}

// waitNested waits until a nested composite lists every kind of want (and
// its ClusterUsages), each in the API server.
func waitNested(ctx context.Context, t *testing.T, xrRef ref, want []string) nestedRun {
	t.Helper()
	var n nestedRun
	eventually(ctx, t, waitLimit, xrRef.String()+" composes "+strings.Join(want, ", "), func(ctx context.Context) error {
		xr, err := get(ctx, xrRef.APIVersion, xrRef.Kind, "", xrRef.Name)
		if err != nil {
			return err
		}
		refs := kinds(resourceRefs(xr))
		delete(refs, "ClusterUsage")
		for _, k := range want {
			rf, ok := refs[k]
			if !ok {
				return fmt.Errorf("lists %v; conditions: %s", refs, conditionsString(xr))
			}
			if _, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name); err != nil {
				return err
			}
		}
		n = nestedRun{xr: xr, refs: refs}
		return nil
	})
	return n
}

// playArgoCD plays Argo CD's application controller once the Applications
// exist: staging (automated) synced and Healthy; production (manual) never
// synced yet, health Missing: it waits for a person's first sync.
func (b *bundleRun) playArgoCD(ctx context.Context, t *testing.T) {
	t.Helper()
	for _, e := range []string{"staging", "production"} {
		app := appName(b.ns, b.name, e)
		eventually(ctx, t, waitLimit, "Application argocd/"+app+" reports Argo CD's status", func(ctx context.Context) error {
			u, err := get(ctx, appAPIVersion, "Application", "argocd", app)
			if err != nil {
				return err
			}
			// Argo CD's status (Application has no status subresource):
			// https://argo-cd.readthedocs.io/en/stable/operator-manual/health/
			status := map[string]any{"health": map[string]any{"status": "Missing"}, "sync": map[string]any{"status": "OutOfSync"}}
			if e == "staging" {
				rev := strings.Repeat("a", 40)
				status = map[string]any{
					"health": map[string]any{"status": "Healthy"},
					"sync":   map[string]any{"status": "Synced", "revision": rev},
					"history": []any{map[string]any{"id": int64(0), "revision": rev,
						"deployedAt": time.Now().UTC().Format(time.RFC3339), "source": field(u, "spec", "source")}},
				}
			}
			u.Object["status"] = status
			return cp.Client.Update(ctx, u)
		})
	}
	b.argoDone = time.Now()
}

// playProductionDeploy plays a person's first sync of the production
// Application to revision, as Argo CD records it (history entry 0,
// deployedAt when the sync completed), and returns when.
func (b *bundleRun) playProductionDeploy(ctx context.Context, t *testing.T, revision string) time.Time {
	t.Helper()
	app := appName(b.ns, b.name, "production")
	var at time.Time
	eventually(ctx, t, waitLimit, "Application argocd/"+app+" reports a production sync", func(ctx context.Context) error {
		u, err := get(ctx, appAPIVersion, "Application", "argocd", app)
		if err != nil {
			return err
		}
		at = time.Now().UTC()
		u.Object["status"] = map[string]any{
			"health": map[string]any{"status": "Healthy"},
			"sync":   map[string]any{"status": "Synced", "revision": revision},
			"history": []any{map[string]any{"id": int64(0), "revision": revision,
				"deployedAt": at.Format(time.RFC3339), "source": field(u, "spec", "source")}},
		}
		return cp.Client.Update(ctx, u)
	})
	return at
}

// ready waits for the claim to be Ready and prints the figures of the path.
func (b *bundleRun) ready(ctx context.Context, t *testing.T) *unstructured.Unstructured {
	t.Helper()
	c, _ := waitCondition(ctx, t, waitLimit, claimVersion, "ServiceBundle", b.ns, b.name, "Ready", "True")
	eventually(ctx, t, 10*time.Second, "the milestones recorded", func(context.Context) error {
		if m := b.milestone.get(); m.ready.IsZero() || m.visible.IsZero() {
			return fmt.Errorf("%+v", m)
		}
		return nil
	})
	b.milestone.stop()
	m := b.milestone.get()
	if xr := b.composite(ctx); xr != nil {
		b.xr, b.refs = xr, kinds(resourceRefs(xr))
	}
	s := func(a, z time.Time) float64 { return z.Sub(a).Seconds() }
	// The simulated steps ran beside the real path; whatever of them ran
	// after the catalog showed the Component delayed Ready, and is left
	// out.
	simulated := time.Duration(0)
	if last := later(b.awsDone, b.argoDone); last.After(m.visible) {
		simulated = last.Sub(m.visible)
	}
	total := m.ready.Sub(b.created) - simulated
	t.Logf("figure: ServiceBundle created -> Ready in %.1f s, excluding the simulated cloud and Argo CD steps (provider-aws played at +%.1f s, Argo CD at +%.1f s; %.1f s of them on the critical path)",
		total.Seconds(), s(b.created, b.awsDone), s(b.created, b.argoDone), simulated.Seconds())
	t.Logf("figure: ServiceBundle steps: repository %.1f s (created -> Repository Ready), file %.1f s (-> catalog-info.yaml committed, RepositoryFile Ready), registration %.1f s (-> location in Backstage), entities visible %.1f s (-> Component in the catalog API), then %.1f s until the claim is Ready (CatalogLocation Ready at +%.1f s)",
		s(b.created, m.repository), s(m.repository, m.file), s(m.file, m.registered), s(m.registered, m.visible),
		(m.ready.Sub(m.visible) - simulated).Seconds(), s(b.created, m.locationReady))
	var conds []string
	for _, typ := range bundleConditions {
		conds = append(conds, fmt.Sprintf("%s +%.1f s", typ, s(b.created, m.conditions[typ])))
	}
	t.Logf("figure: ServiceBundle claim conditions first True: %s; Ready +%.1f s; %s",
		strings.Join(conds, ", "), s(b.created, m.ready), circuitBreakerOpens(b.xr.GetName()))
	// The churn figures cover the bundle's first 30 s, which may end after
	// it is Ready: the breaker may open after Ready too.
	atReady := readBreakers(ctx, t)
	if d := time.Until(b.created.Add(30 * time.Second)); d > 0 {
		time.Sleep(d)
	}
	after := readBreakers(ctx, t)
	b.events.stopSampling()
	for _, w := range []time.Duration{10 * time.Second, 30 * time.Second} {
		n, tokens, by := b.events.summary(b.xr.GetName(), b.created, b.created.Add(w))
		t.Logf("figure: ServiceBundle: %d watch events of its composite and what it composes in the first %s (%s); Crossplane's circuit breaker takes %d tokens for them (two for an update) and has %d in that time",
			n, w, by, tokens, int(breakerBurst+breakerRefill*w.Seconds()))
	}
	n, composite, managedOnly := b.events.churn(b.xr.GetName(), b.created, b.created.Add(30*time.Second))
	t.Logf("figure: servicebundle-events-30s %d (composite %d, of them %d that change nothing but managed fields)", n, composite, managedOnly)
	least, leastAt := b.events.headroom(b.created, b.created.Add(30*time.Second), b.breaker[breakerKinds[0]])
	t.Logf("figure: servicebundle-breaker-headroom %.0f tokens (fewest left in core's bucket of %.0f, at +%.1f s; replayed from core's count of the events it allowed in the first 30 s, %d)",
		least, breakerBurst, leastAt.Sub(b.created).Seconds(), int(after[breakerKinds[0]].allowed-b.breaker[breakerKinds[0]].allowed))
	b.events.dump(t, b.xr.GetName(), b.created, later(m.ready, b.created.Add(30*time.Second)).Add(time.Second))
	var breakers []string
	for _, k := range breakerKinds {
		d := after[k].minus(b.breaker[k])
		breakers = append(breakers, fmt.Sprintf("%s: opened %d, events allowed %d, dropped %d, let through half-open %d",
			k, int(d.opens), int(d.allowed), int(d.dropped), int(d.halfOpen)))
	}
	k := breakerKinds[0]
	name := "servicebundle-ready-default-flags"
	if slices.ContainsFunc(cp.CoreArgs, func(a string) bool { return strings.HasPrefix(a, "--circuit-breaker") }) {
		name = "servicebundle-ready-core-args" // not core's defaults: another figure
	}
	t.Logf("figure: %s %.1f s, breaker opens %d (%d of them by Ready; core flags beyond the harness's: %v; Crossplane core's circuit breakers from created to %s: %s)",
		name, total.Seconds(), int(after[k].opens-b.breaker[k].opens), int(atReady[k].opens-b.breaker[k].opens), cp.CoreArgs,
		"+"+later(m.ready, b.created.Add(30*time.Second)).Sub(b.created).Round(time.Second).String(), strings.Join(breakers, "; "))
	return c
}

// breakerKinds are the composite controllers whose circuit breakers the
// bundle's figures report: its own first, then the nested composites'.
var breakerKinds = []string{"xservicebundles", "xdatabases", "xbuckets"}

// breakerStats are Crossplane core's circuit breaker counters of one
// composite controller (crossplane v2.4.0 internal/circuit/circuit_metrics.go:
// circuit_breaker_opens_total and circuit_breaker_events_total by result,
// labelled with the controller, "composite/<XRD name>"). They count for
// every composite of the kind: a test that runs one bundle at a time reads
// its own.
type breakerStats struct{ opens, allowed, dropped, halfOpen float64 }

func (a breakerStats) minus(b breakerStats) breakerStats {
	return breakerStats{a.opens - b.opens, a.allowed - b.allowed, a.dropped - b.dropped, a.halfOpen - b.halfOpen}
}

// readBreakers reads core's circuit breaker counters of breakerKinds.
func readBreakers(ctx context.Context, t *testing.T) map[string]breakerStats {
	t.Helper()
	text, err := cp.CoreMetrics(ctx)
	if err != nil {
		t.Fatalf("Crossplane core's metrics: %v", err)
	}
	out := map[string]breakerStats{}
	for _, k := range breakerKinds {
		st, err := breakerOf(text, k)
		if err != nil {
			t.Fatalf("Crossplane core's metrics: %v", err)
		}
		out[k] = st
	}
	return out
}

// breakerOf reads, from core's metrics text, the circuit breaker counters
// of the composite controller of kind (its plural, e.g. xservicebundles).
func breakerOf(text, kind string) (breakerStats, error) {
	controller := `controller="composite/` + kind + `.platform.paved.dev"`
	var st breakerStats
	for _, m := range []struct {
		v      *float64
		name   string
		labels []string
	}{
		{&st.opens, "circuit_breaker_opens_total", nil},
		{&st.allowed, "circuit_breaker_events_total", []string{`result="Allowed"`}},
		{&st.dropped, "circuit_breaker_events_total", []string{`result="Dropped"`}},
		{&st.halfOpen, "circuit_breaker_events_total", []string{`result="HalfOpenAllowed"`}},
	} {
		v, err := harness.MetricSum(text, m.name, append(m.labels, controller)...)
		if err != nil {
			return st, err
		}
		*m.v = v
	}
	return st, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// checkRepository checks the repository on GitHub (the stand-in).
func (b *bundleRun) checkRepository(ctx context.Context, t *testing.T) {
	t.Helper()
	st, ok := b.g.GitHub.Repo(platformOwner, b.name)
	if !ok {
		t.Fatalf("no repository %s/%s on GitHub", platformOwner, b.name)
	}
	expect(t, "repository generated from", st.Template, platformOwner+"/"+templatePrefix+"node-service")
	expect(t, "repository visibility", st.Visibility, "private")
	expect(t, "repository description", st.Description, "Orders API")
	topics := slices.Clone(st.Topics)
	slices.Sort(topics)
	expect(t, "repository topics", topics, []string{"microservice", "nodejs", "platform-managed"})
	expect(t, "repository default branch", st.DefaultBranch, "main")
	expect(t, "main protected", st.Protected, true)
	expect(t, "main's required approving reviews", st.RequiredReviews, 1)
	expect(t, "repository archived", st.Archived, false)
	// Production deploys from release: created from main's head, and
	// changed only through a reviewed pull request, administrators
	// included.
	release, ok := b.g.GitHub.Protection(platformOwner, b.name, "release")
	expect(t, "release protected", ok, true)
	expect(t, "release's required approving reviews", release.RequiredReviews, 1)
	expect(t, "release's protection applies to administrators", release.EnforceAdmins, true)
	file, err := get(ctx, b.refs["RepositoryFile"].APIVersion, "RepositoryFile", "", b.refs["RepositoryFile"].Name)
	if err != nil {
		t.Fatal(err)
	}
	content := mustString(t, file, "spec", "forProvider", "content")
	if st.Files["main:catalog-info.yaml"] != content {
		t.Errorf("main:catalog-info.yaml on GitHub is %q, want the generated file %q", st.Files["main:catalog-info.yaml"], content)
	}
	for _, f := range []string{"package.json", "k8s/overlays/staging/kustomization.yaml", "k8s/overlays/production/kustomization.yaml"} {
		if _, ok := st.Files["main:"+f]; !ok {
			t.Errorf("the repository lacks the template's %s: %v", f, slices.Sorted(maps.Keys(st.Files)))
		}
	}
}

// checkCatalog checks what Backstage's catalog API lists: the Component,
// read from GitHub through the catalog's GitHub integration, with its
// annotations and its dependsOn Resources.
func (b *bundleRun) checkCatalog(ctx context.Context, t *testing.T) {
	t.Helper()
	var e *entity
	// The Component is visible before its relations are stitched.
	eventually(ctx, t, time.Minute, b.componentRef()+" with its relations", func(ctx context.Context) error {
		var found bool
		var err error
		e, found, err = b.g.entityByRef(ctx, b.componentRef())
		if err != nil || !found {
			return fmt.Errorf("found=%v: %v", found, err)
		}
		if len(e.Relations) == 0 {
			return fmt.Errorf("no relations yet")
		}
		return nil
	})
	for k, want := range map[string]string{
		"github.com/project-slug":                 platformOwner + "/" + b.name,
		"backstage.io/techdocs-ref":               "dir:.",
		"argocd/app-selector":                     "paved.dev/service=" + b.name,
		"grafana/dashboard-selector":              "service=" + b.name,
		"backstage.io/managed-by-origin-location": "url:" + b.target(),
	} {
		expect(t, "Component annotation "+k, e.Metadata.Annotations[k], want)
	}
	// The location the entity was read from, as the catalog's GitHub
	// integration names it (it writes GitHub file URLs with /tree/).
	if l := e.Metadata.Annotations["backstage.io/managed-by-location"]; l != "url:"+b.target() &&
		l != "url:"+strings.Replace(b.target(), "/blob/", "/tree/", 1) {
		t.Errorf("Component annotation backstage.io/managed-by-location = %q, want the file in %s/%s", l, platformOwner, b.name)
	}
	// The owner is the team the platform maps the namespace to: unmapped,
	// the namespace itself; the claim does not say.
	for k, want := range map[string]string{"type": "service", "lifecycle": "experimental", "owner": "group:default/" + b.ns, "system": b.ns + "-platform"} {
		expect(t, "Component spec."+k, e.Spec[k], want)
	}
	var dependsOn []string
	for _, r := range e.Relations {
		if r.Type == "dependsOn" {
			dependsOn = append(dependsOn, r.TargetRef)
		}
	}
	slices.Sort(dependsOn)
	want := []string{"resource:default/" + b.name + "-bucket", "resource:default/" + b.name + "-database"}
	expect(t, "Component dependsOn relations", dependsOn, want)
	for _, r := range want {
		if re, found, err := b.g.entityByRef(ctx, r); err != nil || !found || re.Kind != "Resource" {
			t.Errorf("%s in the catalog: found=%v kind=%q err=%v", r, found, re.Kind, err)
		}
	}
	// Backstage read the file from the stand-in with its own token.
	if n := b.g.GitHub.Stats().ByLogin[backstageLogin]; n == 0 {
		t.Errorf("Backstage made no request to GitHub: the catalog did not read through its GitHub integration")
	}
}

// checkApplications checks the two Applications Argo CD deploys from.
func (b *bundleRun) checkApplications(ctx context.Context, t *testing.T) {
	t.Helper()
	for e, rev := range map[string]string{"staging": "main", "production": "release"} {
		app, err := get(ctx, appAPIVersion, "Application", "argocd", appName(b.ns, b.name, e))
		if err != nil {
			t.Fatal(err)
		}
		// Each environment its own namespace (the Composition's pattern
		// {namespace}-{environment}): staging and production render the
		// same object names and must never share one.
		expect(t, e+" destination namespace", field(app, "spec", "destination", "namespace"), b.ns+"-"+e)
		opts, _, _ := unstructured.NestedStringSlice(app.Object, "spec", "syncPolicy", "syncOptions")
		expect(t, e+" fails on a shared resource", slices.Contains(opts, "FailOnSharedResource=true"), true)
		expect(t, e+" source repoURL", field(app, "spec", "source", "repoURL"), "https://github.com/"+platformOwner+"/"+b.name+".git")
		expect(t, e+" source targetRevision", field(app, "spec", "source", "targetRevision"), rev)
		expect(t, e+" source path", field(app, "spec", "source", "path"), "k8s/overlays/"+e)
		// The platform's project of the namespace's team (the Composition's
		// pattern {team}-project), never one the claim names.
		expect(t, e+" project", field(app, "spec", "project"), b.ns+"-project")
		expect(t, e+" team label", app.GetLabels()["team"], b.ns)
		expect(t, e+" automated sync", field(app, "spec", "syncPolicy", "automated") != nil, e == "staging")
		if !slices.Contains(app.GetFinalizers(), argoFinalizer) {
			t.Errorf("%s finalizers %v, want Argo CD's resources finalizer", app.GetName(), app.GetFinalizers())
		}
	}
}

// checkClaim checks the claim's conditions and status, and the database's
// connection secret in the claim's namespace.
func (b *bundleRun) checkClaim(ctx context.Context, t *testing.T, c *unstructured.Unstructured) {
	t.Helper()
	for _, typ := range []string{"Ready", "Synced", "RepositoryReady", "CatalogRegistered", "DatabaseReady", "BucketReady", "DeliveryReady"} {
		if s, _, _ := condition(c, typ); s != "True" {
			t.Errorf("claim %s=%q: %s", typ, s, conditionsString(c))
		}
	}
	if _, _, msg := condition(c, "DeliveryReady"); !strings.Contains(msg, appName(b.ns, b.name, "production")+" waits for its first manual sync") {
		t.Errorf("DeliveryReady message %q does not say production waits for its first sync", msg)
	}
	bucketName := b.bkt.refs["Bucket"].Name
	if bk, err := get(ctx, b.bkt.refs["Bucket"].APIVersion, "Bucket", "", bucketName); err == nil {
		bucketName = bk.GetAnnotations()["crossplane.io/external-name"]
	}
	for path, want := range map[string]any{
		"repositoryURL":       "https://github.com/" + platformOwner + "/" + b.name,
		"catalogEntityRef":    b.componentRef(),
		"database.endpoint":   b.name + ".c9akciq32.eu-west-1.rds.amazonaws.com",
		"database.secretName": b.name + "-database",
		"bucket.bucketName":   bucketName,
		"bucket.secretName":   b.name + "-bucket",
		"applications":        []string{appName(b.ns, b.name, "staging"), appName(b.ns, b.name, "production")},
	} {
		expect(t, "claim status."+path, field(c, append([]string{"status"}, strings.Split(path, ".")...)...), want)
	}
	sec := &corev1.Secret{}
	eventually(ctx, t, waitLimit, "the database's connection secret in "+b.ns, func(ctx context.Context) error {
		if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: b.ns, Name: b.name + "-database"}, sec); err != nil {
			return err
		}
		if len(sec.Data["password"]) == 0 || len(sec.Data["endpoint"]) == 0 {
			return fmt.Errorf("keys %v", keys(sec.Data))
		}
		return nil
	})
}

// checkRefusedChanges: the API server refuses what would lose data or
// cannot be applied (the XRD's CEL rules).
func (b *bundleRun) checkRefusedChanges(ctx context.Context, t *testing.T, c *unstructured.Unstructured) {
	t.Helper()
	for what, tc := range map[string]struct {
		change func(spec map[string]any)
		rule   string // the XRD's message
	}{
		"a template change":     {func(spec map[string]any) { spec["template"] = "go-service" }, "template is immutable"},
		"removing the database": {func(spec map[string]any) { delete(spec, "database") }, "the database cannot be removed"},
		"an engine change":      {func(spec map[string]any) { spec["database"].(map[string]any)["engine"] = "mysql" }, "engine is immutable"},
	} {
		// The claim read earlier has moved on (core writes its status), and
		// the API server answers a stale resourceVersion with a Conflict
		// before it evaluates the XRD's rules: each change is made to the
		// claim as it is now, again while the answer is a Conflict.
		var err error
		for range 10 {
			u, gerr := get(ctx, c.GetAPIVersion(), c.GetKind(), c.GetNamespace(), c.GetName())
			if gerr != nil {
				t.Fatalf("%s: read the claim: %v", what, gerr)
			}
			tc.change(u.Object["spec"].(map[string]any))
			if err = cp.Client.Update(ctx, u); !kerrors.IsConflict(err) {
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), tc.rule) {
			t.Errorf("%s: got %v, want the API server to refuse it (%q)", what, err, tc.rule)
		}
	}
}

// checkEnvironmentKept drops production from the claim: its Application
// exists, and deleting it would delete everything it deployed (Argo CD's
// resources finalizer), so the function refuses the change (DeliveryReady
// False, ChangeRefused, naming the environment and the way out) and the
// Application stays as it is. Putting the environment back lifts the
// refusal.
func (b *bundleRun) checkEnvironmentKept(ctx context.Context, t *testing.T) {
	t.Helper()
	prod := appName(b.ns, b.name, "production")
	before, err := get(ctx, appAPIVersion, "Application", "argocd", prod)
	if err != nil {
		t.Fatal(err)
	}
	setEnvironments := func(envs ...any) {
		t.Helper()
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			c, err := get(ctx, claimVersion, "ServiceBundle", b.ns, b.name)
			if err != nil {
				return err
			}
			if err := unstructured.SetNestedSlice(c.Object, envs, "spec", "environments"); err != nil {
				return err
			}
			return cp.Client.Update(ctx, c)
		}); err != nil {
			t.Fatal(err)
		}
	}
	setEnvironments("staging")
	want := `a list that keeps "production": its Application ` + prod + ` exists, and removing the environment would delete it`
	eventually(ctx, t, waitLimit, "ServiceBundle "+b.ns+"/"+b.name+" refuses dropping production (ChangeRefused)", func(ctx context.Context) error {
		u, err := get(ctx, claimVersion, "ServiceBundle", b.ns, b.name)
		if err != nil {
			return err
		}
		if s, reason, msg := condition(u, "DeliveryReady"); s != "False" || reason != "ChangeRefused" || !strings.Contains(msg, want) {
			return fmt.Errorf("conditions: %s", conditionsString(u))
		}
		return nil
	})
	after, err := get(ctx, appAPIVersion, "Application", "argocd", prod)
	if err != nil {
		t.Fatalf("production's Application after the refused change: %v", err)
	}
	if after.GetDeletionTimestamp() != nil {
		t.Errorf("production's Application is being deleted (%v): the refused change must leave it", after.GetDeletionTimestamp())
	}
	expect(t, "production's Application spec after the refused change", field(after, "spec"), field(before, "spec"))
	setEnvironments("staging", "production")
	waitCondition(ctx, t, waitLimit, claimVersion, "ServiceBundle", b.ns, b.name, "DeliveryReady", "True")
}

// steadyState prints what the bundle costs on GitHub once nothing changes:
// the provider's requests per reconcile of its GitHub controllers over a
// few poll intervals.
func (b *bundleRun) steadyState(ctx context.Context, t *testing.T) {
	t.Helper()
	// The first polls after the provider's own writes see new ETags.
	time.Sleep(2 * providerPoll)
	reconciles := func() float64 {
		n, err := b.g.Provider.Metric(ctx, "controller_runtime_reconcile_total", "github.paved.dev")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	r0, s0 := reconciles(), b.g.GitHub.Stats()
	time.Sleep(4 * providerPoll)
	r1, s1 := reconciles(), b.g.GitHub.Stats()
	req := s1.ByLogin[providerLogin] - s0.ByLogin[providerLogin]
	counted := s1.CountedByLogin[providerLogin] - s0.CountedByLogin[providerLogin]
	if n := r1 - r0; n > 0 {
		t.Logf("figure: GitHub requests per steady-state reconcile: %.2f (%d requests by the provider, %d of them counted against the rate limit, the others answered 304, in %d reconciles of Repository and RepositoryFile over %s, --poll=%s)",
			float64(req)/n, req, counted, int(n), 4*providerPoll, providerPoll)
	} else {
		t.Logf("figure: GitHub requests in steady state: %d by the provider in %s, no reconcile", req, 4*providerPoll)
	}
}

// delete deletes the claim, plays Argo CD and provider-aws on deletion,
// and checks what goes and what stays.
func (b *bundleRun) delete(ctx context.Context, t *testing.T) {
	t.Helper()
	before, _ := b.g.GitHub.Repo(platformOwner, b.name)
	ghBefore := b.g.GitHub.Stats()

	// provider-aws: RDS refuses to delete the deletion-protected instance,
	// S3 a bucket that holds objects (TestDatabaseClaim, TestBucketClaim).
	inst, bucket := b.db.refs["Instance"], b.bkt.refs["Bucket"]
	addProviderFinalizer(ctx, t, inst)
	addProviderFinalizer(ctx, t, bucket)
	pctx, cancel := context.WithTimeout(ctx, 2*waitLimit)
	defer cancel()
	instGone := playProviderDeletion(pctx, inst, deletionRefusal{
		message: "delete failed: operation error RDS: DeleteDBInstance, api error InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection and try again.",
		canDelete: func(u *unstructured.Unstructured) bool {
			on, _, _ := unstructured.NestedBool(u.Object, "spec", "forProvider", "deletionProtection")
			return !on
		},
	})
	var holdsObjects atomic.Bool
	holdsObjects.Store(true)
	bucketGone := playProviderDeletion(pctx, bucket, deletionRefusal{
		message:   "delete failed: operation error S3: DeleteBucket, https response error StatusCode: 409, api error BucketNotEmpty: The bucket you tried to delete is not empty. You must delete all versions in the bucket.",
		canDelete: func(*unstructured.Unstructured) bool { return !holdsObjects.Load() },
	})
	// Argo CD: on deletion it deletes what the Application deployed, then
	// removes its resources finalizer.
	go playArgoCDDeletion(pctx, b.ns, b.name)

	// The claim repeats what the nested XDatabase and XBucket keep
	// (compose.Set.ReportNested): Crossplane runs no function while it is
	// deleted, so this is what the team sees on it until the decommission.
	kept := []string{"XDatabase " + b.db.xr.GetName(), "Instance " + inst.Name, "XBucket " + b.bkt.xr.GetName(), "Bucket " + bucket.Name}
	var c *unstructured.Unstructured
	eventually(ctx, t, waitLimit, "the claim's DeletionProtected names what its database and bucket keep", func(ctx context.Context) error {
		var err error
		if c, err = get(ctx, claimVersion, "ServiceBundle", b.ns, b.name); err != nil {
			return err
		}
		if s, _, msg := condition(c, "DeletionProtected"); s != "True" || !containsAll(msg, kept) {
			return fmt.Errorf("DeletionProtected=%s, want True naming %v: %s", s, kept, msg)
		}
		return nil
	})
	begin := time.Now()
	if err := cp.Client.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	var unregistered, archived time.Duration
	eventually(ctx, t, waitLimit, "the location unregistered and the repository archived", func(ctx context.Context) error {
		if unregistered == 0 {
			ls, err := b.g.locations(ctx)
			if err != nil {
				return err
			}
			_, found, err := b.g.entityByRef(ctx, b.componentRef())
			if err != nil {
				return err
			}
			if !slices.Contains(ls, b.target()) && !found {
				unregistered = time.Since(begin)
			}
		}
		if archived == 0 {
			if st, ok := b.g.GitHub.Repo(platformOwner, b.name); ok && st.Archived {
				archived = time.Since(begin)
			}
		}
		if unregistered == 0 || archived == 0 {
			return fmt.Errorf("unregistered after %v, archived after %v", unregistered, archived)
		}
		return nil
	})
	t.Logf("figure: ServiceBundle deleted -> repository archived, location removed in %.1f s (location removed and entity gone at %.1f s, archived at %.1f s)",
		max(unregistered, archived).Seconds(), unregistered.Seconds(), archived.Seconds())
	if archived < unregistered {
		t.Errorf("the repository was archived (%.1f s) before the registration was removed (%.1f s)", archived.Seconds(), unregistered.Seconds())
	}

	// What the provider and Argo CD manage goes.
	gone := []ref{b.refs["Repository"], b.refs["RepositoryFile"], b.refs["CatalogLocation"],
		{appAPIVersion, "Application", appName(b.ns, b.name, "staging")}, {appAPIVersion, "Application", appName(b.ns, b.name, "production")}}
	eventually(ctx, t, waitLimit, "the repository's, the registration's and the Applications' objects deleted", func(ctx context.Context) error {
		var left []string
		for _, rf := range gone {
			ns := ""
			if rf.Kind == "Application" {
				ns = "argocd"
			}
			if _, err := get(ctx, rf.APIVersion, rf.Kind, ns, rf.Name); !kerrors.IsNotFound(err) {
				left = append(left, rf.String())
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("still there: %v", left)
		}
		return nil
	})

	// Archived, never deleted, with everything it held.
	st, ok := b.g.GitHub.Repo(platformOwner, b.name)
	if !ok {
		t.Fatalf("repository %s/%s was deleted from GitHub", platformOwner, b.name)
	}
	for p, content := range before.Files {
		if st.Files[p] != content {
			t.Errorf("the archived repository lost or changed %s", p)
		}
	}
	if s := b.g.GitHub.Stats(); s.RepoDeletes != ghBefore.RepoDeletes {
		t.Errorf("%d repositories deleted on GitHub", s.RepoDeletes-ghBefore.RepoDeletes)
	}

	// Database and bucket are left to the decommission rules: provider-aws
	// is refused, and what protects or reaches them stays.
	for _, n := range []struct {
		user ref
		run  nestedRun
	}{{inst, b.db}, {bucket, b.bkt}} {
		eventually(ctx, t, waitLimit, n.user.String()+" refused deletion", func(ctx context.Context) error {
			u, err := get(ctx, n.user.APIVersion, n.user.Kind, "", n.user.Name)
			if err != nil {
				return err
			}
			if u.GetDeletionTimestamp() == nil {
				return fmt.Errorf("not being deleted yet")
			}
			return nil
		})
		for k, rf := range n.run.refs {
			if _, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name); err != nil {
				t.Errorf("%s of %s: %v: deleting the bundle stripped what the decommission rules keep", k, n.run.xr.GetName(), err)
			}
		}
	}

	// The claim stays while they do (the XRD's Foreground
	// defaultCompositeDeletePolicy), Deleting, and says what it waits for;
	// so do its composite and the nested XDatabase and XBucket, which keep
	// their own DeletionProtected condition.
	claim, err := get(ctx, claimVersion, "ServiceBundle", b.ns, b.name)
	if err != nil {
		t.Fatalf("the claim is gone while its database and bucket wait for the decommission: %v", err)
	}
	if s, reason, _ := condition(claim, "Ready"); s != "False" || reason != "Deleting" {
		t.Errorf("claim Ready=%s reason %s, want False Deleting: %s", s, reason, conditionsString(claim))
	}
	if s, _, msg := condition(claim, "DeletionProtected"); s != "True" || !containsAll(msg, kept) {
		t.Errorf("claim does not say what its deletion waits for (%v): %s", kept, conditionsString(claim))
	}
	t.Logf("bundle claim while deleting: %s", conditionsString(claim))
	for _, x := range []*unstructured.Unstructured{b.xr, b.db.xr, b.bkt.xr} {
		u, err := get(ctx, x.GetAPIVersion(), x.GetKind(), "", x.GetName())
		if err != nil {
			t.Fatalf("%s %s is gone before the decommission: %v", x.GetKind(), x.GetName(), err)
		}
		if u.GetDeletionTimestamp() == nil {
			t.Errorf("%s %s is not being deleted", x.GetKind(), x.GetName())
		}
		if x != b.xr {
			if s, _, _ := condition(u, "DeletionProtected"); s != "True" {
				t.Errorf("%s %s does not say what its deletion waits for: %s", x.GetKind(), x.GetName(), conditionsString(u))
			}
		}
	}

	// The platform operator decommissions them (README and docs/operations.md, "Decommission"):
	// deletion protection off, the bucket emptied; then everything goes.
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(inst.APIVersion)
	u.SetKind(inst.Kind)
	u.SetName(inst.Name)
	if err := cp.Client.Patch(ctx, u, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"forProvider":{"deletionProtection":false}}}`))); err != nil {
		t.Fatal(err)
	}
	holdsObjects.Store(false)
	for what, ch := range map[string]<-chan error{"Instance": instGone, "Bucket": bucketGone} {
		if err := <-ch; err != nil {
			t.Fatalf("provider-aws deleting the %s: %v", what, err)
		}
	}
	eventually(ctx, t, 2*waitLimit, "the claim and everything it composed deleted", func(ctx context.Context) error {
		var left []string
		if _, err := get(ctx, claimVersion, "ServiceBundle", b.ns, b.name); !kerrors.IsNotFound(err) {
			left = append(left, "claim")
		}
		for _, x := range []*unstructured.Unstructured{b.xr, b.db.xr, b.bkt.xr} {
			if _, err := get(ctx, x.GetAPIVersion(), x.GetKind(), "", x.GetName()); !kerrors.IsNotFound(err) {
				left = append(left, x.GetKind()+"/"+x.GetName())
			}
		}
		for _, n := range []nestedRun{b.db, b.bkt} {
			for _, rf := range n.refs {
				if _, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name); !kerrors.IsNotFound(err) {
					left = append(left, rf.String())
				}
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("still there: %v", left)
		}
		return nil
	})
	if st, ok := b.g.GitHub.Repo(platformOwner, b.name); !ok || !st.Archived {
		t.Errorf("after the decommission the repository exists=%v archived=%v, want it kept, archived", ok, st.Archived)
	}
}

// playArgoCDDeletion plays Argo CD for the bundle's Applications being
// deleted: it removes the resources finalizer, as Argo CD does once it has
// deleted what the Application deployed.
func playArgoCDDeletion(ctx context.Context, ns, service string) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		left := 0
		for _, e := range []string{"staging", "production"} {
			u, err := get(ctx, appAPIVersion, "Application", "argocd", appName(ns, service, e))
			if kerrors.IsNotFound(err) {
				continue
			}
			left++
			if err != nil || u.GetDeletionTimestamp() == nil {
				continue
			}
			var keep []string
			for _, f := range u.GetFinalizers() {
				if f != argoFinalizer {
					keep = append(keep, f)
				}
			}
			u.SetFinalizers(keep)
			_ = cp.Client.Update(ctx, u) // A conflict is retried on the next tick.
		}
		if left == 0 {
			return
		}
	}
}

// circuitBreakerOpens reports how often Crossplane core's XR circuit
// breaker (crossplane v2.4.0 internal/circuit: a 100-event token bucket
// per composite, refilled at 1 event/s; while open, one event every 30 s
// gets through, and the composite otherwise waits for its poll) opened
// for ServiceBundles, from core's log.
//
// Only the lines about the composite xr count: every test's bundles log
// there.
func circuitBreakerOpens(xr string) string {
	b, err := os.ReadFile(filepath.Join(cp.LogDir, "crossplane.log"))
	if err != nil {
		return err.Error()
	}
	n := 0
	for l := range strings.SplitSeq(string(b), "\n") {
		if strings.Contains(l, "Circuit breaker is open") && strings.Contains(l, "composite/xservicebundles") &&
			strings.Contains(l, `"name":"`+xr+`"`) {
			n++
		}
	}
	return fmt.Sprintf("Crossplane logged its circuit breaker open for XServiceBundle %s %d times", xr, n)
}

// bundleWatchKinds are the kinds of the bundle's composite and of what it
// composes: the objects whose changes Crossplane maps to the composite.
var bundleWatchKinds = [][2]string{
	{claimVersion, "XServiceBundle"}, {"github.paved.dev/v1alpha1", "Repository"}, {"github.paved.dev/v1alpha1", "RepositoryFile"},
	{"backstage.paved.dev/v1alpha1", "CatalogLocation"}, {"protection.crossplane.io/v1beta1", "ClusterUsage"},
	{"protection.crossplane.io/v1beta1", "Usage"}, {claimVersion, "XDatabase"}, {claimVersion, "XBucket"}, {appAPIVersion, "Application"},
}

// eventCounter records the watch events of bundleWatchKinds: what Crossplane
// core v2.4.0's circuit breaker counts for a composite is every event of
// the composite itself and of the resources it composes
// (internal/circuit/mapfunc.go records one per event it maps to the
// composite).
type eventCounter struct {
	mu           sync.Mutex
	events       []watchEvent
	breaker      []breakerSample
	stopSampling context.CancelFunc
}

// breakerSample is core's circuit breaker counters of the bundle's
// controller at a time.
type breakerSample struct {
	at time.Time
	breakerStats
}

type watchEvent struct {
	at             time.Time
	kind, name, xr string // xr: the XServiceBundle that controls the object
	typ            watch.EventType
	changed        []string // what changed since the object's previous event
	detail         string   // the conditions and status fields that changed
}

// controller is the name of the XServiceBundle that controls u, if one
// does: Crossplane maps a composed resource's events to its controller
// (the crossplane.io/composite label names the root composite, also on what
// a nested composite composes).
func controller(u *unstructured.Unstructured) string {
	if o := metav1.GetControllerOf(u); o != nil && o.Kind == "XServiceBundle" {
		return o.Name
	}
	return ""
}

// changedParts names the parts of an object that differ between two of its
// versions (metadata.resourceVersion, managedFields and generation aside).
func changedParts(prev, cur *unstructured.Unstructured) []string {
	if prev == nil {
		return []string{"created"}
	}
	var out []string
	for _, p := range [][]string{{"metadata", "labels"}, {"metadata", "annotations"}, {"metadata", "finalizers"},
		{"metadata", "ownerReferences"}, {"metadata", "deletionTimestamp"}, {"spec"}, {"status"}} {
		a, _, _ := unstructured.NestedFieldNoCopy(prev.Object, p...)
		b, _, _ := unstructured.NestedFieldNoCopy(cur.Object, p...)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			out = append(out, strings.Join(p, "."))
		}
	}
	if len(out) == 0 {
		out = []string{"nothing"}
	}
	return out
}

// statusDetail names the conditions (type=status reason: message) and other
// status fields that differ between two versions of an object, and the
// managers of its managed fields when they changed.
func statusDetail(prev, cur *unstructured.Unstructured) string {
	if prev == nil {
		return ""
	}
	conds := func(u *unstructured.Unstructured) map[string]string {
		m := map[string]string{}
		cs, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range cs {
			c, _ := c.(map[string]any)
			m[fmt.Sprint(c["type"])] = fmt.Sprintf("%v %v: %v", c["status"], c["reason"], c["message"])
		}
		return m
	}
	var out []string
	a, b := conds(prev), conds(cur)
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if a[k] != b[k] {
			out = append(out, fmt.Sprintf("[%s %s]", k, b[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, ok := b[k]; !ok {
			out = append(out, "[-"+k+"]")
		}
	}
	ps, _, _ := unstructured.NestedMap(prev.Object, "status")
	cs, _, _ := unstructured.NestedMap(cur.Object, "status")
	for _, k := range slices.Sorted(maps.Keys(cs)) {
		if k != "conditions" && fmt.Sprint(ps[k]) != fmt.Sprint(cs[k]) {
			v := fmt.Sprint(cs[k])
			if len(v) > 160 {
				v = v[:160] + "…"
			}
			out = append(out, "status."+k+"="+v)
		}
	}
	managers := func(u *unstructured.Unstructured) string {
		var m []string
		for _, f := range u.GetManagedFields() {
			at := ""
			if f.Time != nil {
				at = f.Time.UTC().Format("15:04:05")
			}
			m = append(m, f.Manager+"/"+string(f.Operation)+"/"+f.Subresource+"@"+at)
		}
		return strings.Join(m, " ")
	}
	if a, b := managers(prev), managers(cur); a != b {
		out = append(out, "managers {"+b+"}")
	}
	if d := diffPaths(prev.Object, cur.Object, ""); len(d) > 0 {
		out = append(out, "paths {"+strings.Join(d, " ")+"}")
	}
	if len(out) == 0 {
		// What else changed: a condition's observedGeneration or
		// lastTransitionTime, or which fields a manager owns.
		full := func(u *unstructured.Unstructured) map[string]string {
			m := map[string]string{}
			cs, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, c := range cs {
				c, _ := c.(map[string]any)
				m["condition "+fmt.Sprint(c["type"])] = fmt.Sprint(c)
			}
			for _, f := range u.GetManagedFields() {
				k := "fields of " + f.Manager + "/" + string(f.Operation) + "/" + f.Subresource
				if f.FieldsV1 != nil {
					m[k] = string(f.FieldsV1.Raw)
				}
			}
			return m
		}
		a, b := full(prev), full(cur)
		for _, k := range slices.Sorted(maps.Keys(merged(a, b))) {
			if a[k] != b[k] {
				out = append(out, "{"+k+": "+a[k]+" -> "+b[k]+"}")
			}
		}
	}
	return strings.Join(out, " ")
}

// diffPaths lists the paths of the fields that differ between a and b
// (lists compared whole; status.conditions, managedFields and
// resourceVersion left out).
func diffPaths(a, b map[string]any, prefix string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(merged(a, b))) {
		p := prefix + "." + k
		switch p {
		case ".metadata.managedFields", ".metadata.resourceVersion", ".status.conditions":
			continue
		}
		am, aok := a[k].(map[string]any)
		bm, bok := b[k].(map[string]any)
		if aok && bok {
			out = append(out, diffPaths(am, bm, p)...)
			continue
		}
		if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
			out = append(out, p)
		}
	}
	return out
}

// merged is a copy of a with b's entries added: the keys of both.
func merged[V any](a, b map[string]V) map[string]V {
	m := maps.Clone(a)
	if m == nil {
		m = map[string]V{}
	}
	maps.Copy(m, b)
	return m
}

func countEvents(ctx context.Context, t *testing.T) *eventCounter {
	t.Helper()
	wc, err := client.NewWithWatch(cp.Config, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &eventCounter{}
	// Core's circuit breaker counters of the bundle's controller, as they
	// change, until stopSampling: the dump shows them beside the events
	// they counted. One read of core's metrics every 250 ms.
	sctx, stop := context.WithCancel(ctx)
	c.stopSampling = stop
	t.Cleanup(stop)
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		var last breakerStats
		for {
			select {
			case <-sctx.Done():
				return
			case <-tick.C:
			}
			text, err := cp.CoreMetrics(sctx)
			if err != nil {
				continue
			}
			st, err := breakerOf(text, breakerKinds[0])
			if err != nil || st == last {
				continue
			}
			last = st
			c.mu.Lock()
			c.breaker = append(c.breaker, breakerSample{time.Now(), st})
			c.mu.Unlock()
		}
	}()
	for _, k := range bundleWatchKinds {
		l := &unstructured.UnstructuredList{}
		l.SetAPIVersion(k[0])
		l.SetKind(k[1] + "List")
		w, err := wc.Watch(ctx, l)
		if err != nil {
			t.Fatalf("watch %s: %v", k[1], err)
		}
		t.Cleanup(w.Stop)
		go func() {
			last := map[string]*unstructured.Unstructured{}
			for ev := range w.ResultChan() {
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					// A watch that fails says so in the dump.
					c.mu.Lock()
					c.events = append(c.events, watchEvent{at: time.Now(), kind: k[1], typ: ev.Type, detail: fmt.Sprint(ev.Object)})
					c.mu.Unlock()
					continue
				}
				key := u.GetNamespace() + "/" + u.GetName()
				e := watchEvent{at: time.Now(), kind: u.GetKind(), name: u.GetName(), xr: controller(u),
					typ: ev.Type, changed: changedParts(last[key], u), detail: statusDetail(last[key], u)}
				last[key] = u
				c.mu.Lock()
				c.events = append(c.events, e)
				c.mu.Unlock()
			}
		}()
	}
	return c
}

// summary counts the events of xr and of what it composes in [from, to),
// by kind.
func (c *eventCounter) summary(xr string, from, to time.Time) (n, tokens int, by string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kinds, objects, what := map[string]int{}, map[string]map[string]bool{}, map[string]map[string]int{}
	for _, e := range c.events {
		if e.at.Before(from) || !e.at.Before(to) || e.typ == watch.Bookmark {
			continue
		}
		if (e.kind == "XServiceBundle" && e.name == xr) || (e.xr == xr && e.name != xr) {
			kinds[e.kind]++
			tokens += breakerTokens(e.typ)
			if objects[e.kind] == nil {
				objects[e.kind], what[e.kind] = map[string]bool{}, map[string]int{}
			}
			objects[e.kind][e.name] = true
			for _, c := range e.changed {
				what[e.kind][c]++
			}
			n++
		}
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		var w []string
		for _, c := range slices.Sorted(maps.Keys(what[k])) {
			w = append(w, fmt.Sprintf("%s %d", c, what[k][c]))
		}
		parts = append(parts, fmt.Sprintf("%s %d on %d objects [%s]", k, kinds[k], len(objects[k]), strings.Join(w, " ")))
	}
	return n, tokens, strings.Join(parts, "; ")
}

// breakerTokens is how many of its tokens core's circuit breaker takes for
// a watch event of a composite or of what it composes: one for an added or
// deleted object, two for an update, whose old and new object
// controller-runtime maps to the composite one after the other
// (controller-runtime v0.23 pkg/handler/enqueue_mapped.go, Update), and
// crossplane v2.4.0 internal/circuit/mapfunc.go records every mapping.
func breakerTokens(t watch.EventType) int {
	if t == watch.Modified {
		return 2
	}
	return 1
}

// Core's circuit breaker at its defaults (crossplane v2.4.0
// internal/circuit/token_bucket.go, NewTokenBucketBreaker): a bucket of
// breakerBurst tokens per composite, full at its first event, refilled at
// breakerRefill tokens a second up to the burst; an event allowed takes a
// token, and one that finds less than one opens the circuit.
const (
	breakerBurst  = 100.0
	breakerRefill = 1.0
)

// headroom replays core's token bucket over core's own count of the events
// it allowed (the samples of the bundle's controller taken in [from, to),
// counted from base) and returns the fewest tokens the bucket held and
// when. The events allowed between two samples are taken at the earlier
// one, before the refill between them, so the figure is a floor (by at
// most a quarter of a token a sample, and every other bundle's events are
// counted as this one's). A margin the breaker's counters cannot show: 0
// opens says nothing of whether two more updates would have opened it.
// The watch events replayed the same way (breakerTokens each) take more
// than core counts (113 against 87 in a run of 2026-12-05): core counts
// the composite's own update once (docs/performance.md), and it maps a
// composed resource's events to its composite through the dependencies
// the composite's reconcile tracks after it applied what it composes
// (crossplane v2.4.0 internal/controller/apiextensions/composite/
// composition_functions.go: Track after the Patch; definition/handlers.go,
// DependantsMapFunc), so a new resource's first events can reach core
// before it maps them to anything.
func (c *eventCounter) headroom(from, to time.Time, base breakerStats) (least float64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tokens, prevAt, prev := breakerBurst, from, base.allowed
	least, at = breakerBurst, from
	for _, s := range c.breaker {
		if s.at.Before(from) || !s.at.Before(to) {
			continue
		}
		tokens -= s.allowed - prev
		if tokens < least {
			least, at = tokens, prevAt
		}
		tokens = min(breakerBurst, tokens+breakerRefill*s.at.Sub(prevAt).Seconds())
		prev, prevAt = s.allowed, s.at
	}
	return least, at
}

// churn counts the events of xr and of what it composes in [from, to), and
// of them the composite's own, and the composite's updates that changed
// nothing but its managed fields (or resourceVersion).
func (c *eventCounter) churn(xr string, from, to time.Time) (n, composite, managedOnly int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.events {
		if e.at.Before(from) || !e.at.Before(to) || e.typ == watch.Bookmark {
			continue
		}
		switch {
		case e.kind == "XServiceBundle" && e.name == xr:
			n++
			composite++
			if slices.Equal(e.changed, []string{"nothing"}) {
				managedOnly++
			}
		case e.xr == xr:
			n++
		}
	}
	return n, composite, managedOnly
}

// dump writes every event of xr and of what it composes in [from, to),
// with what changed, to servicebundle-events-<xr>.log in the log directory.
func (c *eventCounter) dump(t *testing.T, xr string, from, to time.Time) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	samples := slices.Clone(c.breaker)
	writeSample := func(sm breakerSample) {
		fmt.Fprintf(&b, "+%6.2fs BREAKER  opens %d, allowed %d, dropped %d, half-open %d\n", sm.at.Sub(from).Seconds(),
			int(sm.opens), int(sm.allowed), int(sm.dropped), int(sm.halfOpen))
	}
	for _, e := range c.events {
		if e.at.Before(from) || !e.at.Before(to) || e.typ == watch.Bookmark {
			continue
		}
		for len(samples) > 0 && samples[0].at.Before(e.at) {
			writeSample(samples[0])
			samples = samples[1:]
		}
		if (e.kind == "XServiceBundle" && e.name == xr) || e.xr == xr || e.typ == watch.Error {
			fmt.Fprintf(&b, "+%6.2fs %-8s %s/%s %s %s\n", e.at.Sub(from).Seconds(), e.typ, e.kind, e.name, strings.Join(e.changed, ","), e.detail)
		}
	}
	for _, sm := range samples {
		if sm.at.Before(to) {
			writeSample(sm)
		}
	}
	p := filepath.Join(cp.LogDir, "servicebundle-events-"+xr+".log")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Log(err)
		return
	}
	t.Logf("the bundle's watch events are in %s", p)
}

// containsAll reports whether s contains every one of words.
func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
