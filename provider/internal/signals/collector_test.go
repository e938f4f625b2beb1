package signals

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/servicebundle"
	"github.com/paved-dev/paved/provider/apis"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	nsghv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

type composite struct {
	gvk       schema.GroupVersionKind
	name, ns  string
	uid       types.UID
	owner     types.UID // controller
	claim     bool
	template  string
	readyIn   time.Duration // Ready=True this long after creation; 0: Ready=False
	syncedOff bool          // Synced=False
}

func (c composite) object() *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{}}}
	u.SetGroupVersionKind(c.gvk)
	u.SetName(c.name)
	u.SetNamespace(c.ns)
	u.SetUID(c.uid)
	u.SetCreationTimestamp(metav1.NewTime(t0))
	if c.owner != "" {
		u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: XServiceBundle.GroupVersion().String(), Kind: XServiceBundle.Kind, Name: "owner", UID: c.owner, Controller: ptr(true)}})
	}
	if c.claim {
		u.Object["spec"].(map[string]any)["claimRef"] = map[string]any{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "ServiceBundle", "name": c.name, "namespace": "team-a"}
	}
	if c.template != "" {
		u.Object["spec"].(map[string]any)["template"] = c.template
	}
	ready := map[string]any{"type": "Ready", "status": "False", "reason": "Creating", "lastTransitionTime": t0.Format(time.RFC3339)}
	if c.readyIn > 0 {
		ready = map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": t0.Add(c.readyIn).Format(time.RFC3339)}
	}
	synced := map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": t0.Format(time.RFC3339)}
	if c.syncedOff {
		synced["status"], synced["reason"] = "False", "ReconcileError"
	}
	u.Object["status"] = map[string]any{"conditions": []any{synced, ready}}
	return u
}

// deployed is an Application's status.history as Argo CD writes it: ids
// counting up from first, each deployed after.
func deployed(u *unstructured.Unstructured, first int64, after ...time.Duration) *unstructured.Unstructured {
	hs := make([]any, 0, len(after))
	for i, d := range after {
		hs = append(hs, map[string]any{"id": first + int64(i), "revision": "0123abc", "deployedAt": t0.Add(d).Format(time.RFC3339)})
	}
	u.Object["status"] = map[string]any{"history": hs, "sync": map[string]any{"status": "Synced"}, "health": map[string]any{"status": "Healthy"}}
	return u
}

func application(name string, owner types.UID, labels map[string]string, deleting bool) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"project": "team-a"}}}
	u.SetGroupVersionKind(Application)
	u.SetName(name)
	u.SetNamespace("argocd")
	u.SetLabels(labels)
	if owner != "" {
		u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: XServiceBundle.GroupVersion().String(), Kind: XServiceBundle.Kind, Name: "owner", UID: owner, Controller: ptr(true)}})
	}
	if deleting {
		// Argo CD's resources finalizer keeps a deleted Application
		// until its resources are gone.
		u.SetFinalizers([]string{"resources-finalizer.argocd.argoproj.io"})
		u.SetDeletionTimestamp(ptr(metav1.NewTime(t0.Add(time.Hour))))
	}
	return u
}

func repository(name, template string) *ghv1alpha1.Repository {
	r := &ghv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: name}}
	r.Spec.ForProvider.Owner = "acme"
	if template != "" {
		r.Spec.ForProvider.Template = &ghv1alpha1.RepositoryTemplate{Owner: "acme", Repository: template}
	}
	return r
}

// namespacedRepository is a github.m.paved.dev Repository in ns.
func namespacedRepository(ns, name, template string) *nsghv1alpha1.Repository {
	r := &nsghv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	r.Spec.ForProvider.Owner = "acme"
	if template != "" {
		r.Spec.ForProvider.Template = &ghv1alpha1.RepositoryTemplate{Owner: "acme", Repository: template}
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// objects is one platform's state: three ServiceBundles (one Ready with two
// environments, one pending, one a platform team made that failed), the
// nested and claimed databases, a bucket past the last bucket, a
// namespaced Database, Applications of which only the bundle's count, and
// three cluster-scoped and two namespaced Repositories.
func objects() []client.Object {
	app := func(env string) map[string]string {
		return map[string]string{"team": "payments", "environment": env, "paved.dev/service": "orders"}
	}
	return []client.Object{
		composite{gvk: XServiceBundle, name: "orders-x1", uid: "b1", claim: true, template: "go-service", readyIn: 100 * time.Second}.object(),
		composite{gvk: XServiceBundle, name: "cart-x2", uid: "b2", claim: true, template: "node-service"}.object(),
		composite{gvk: XServiceBundle, name: "ops-x3", uid: "b3", template: "python-service", syncedOff: true}.object(),
		composite{gvk: XDatabase, name: "orders-x1-db", uid: "d1", owner: "b1", readyIn: 700 * time.Second}.object(),
		composite{gvk: XDatabase, name: "ledger-x4", uid: "d2", claim: true, readyIn: 20 * time.Second}.object(),
		composite{gvk: XBucket, name: "archive", uid: "k1", readyIn: 2000 * time.Second}.object(),
		composite{gvk: Database, name: "reports", ns: "team-b", uid: "n1", readyIn: 45 * time.Second}.object(),
		// First deployed 400 s after the bundle was created.
		deployed(application("team-a--orders-staging", "b1", app("staging"), false), 0, 400*time.Second, 900*time.Second),
		// Production's first deploy is not the service's first.
		deployed(application("team-a--orders-production", "b1", app("production"), false), 0, 2*time.Hour),
		// Argo CD dropped its first entries: left out.
		deployed(application("team-a--orders-old", "b1", app("staging"), true), 5, 100*time.Second),
		// Not a bundle's: someone else's Application names no team.
		application("hand-made", "", map[string]string{"team": "intruders", "environment": "staging", "paved.dev/service": "x"}, false),
		application("other-owner", "d1", map[string]string{"team": "intruders", "environment": "staging", "paved.dev/service": "x"}, false),
		repository("orders", "golden-path-go-service"),
		repository("legacy", "old-template"),
		repository("adopted", ""),
		namespacedRepository("team-b", "billing", "golden-path-go-service"),
		namespacedRepository("team-b", "scratch", ""),
	}
}

const want = `
# HELP platform_active_services Services delivered to an environment: the Argo CD Applications ServiceBundles compose and that are not being deleted, by team and environment. Exact.
# TYPE platform_active_services gauge
platform_active_services{environment="production",team="payments"} 1
platform_active_services{environment="staging",team="payments"} 1
# HELP platform_golden_path_adoption_ratio Golden-path adoption: repositories generated from a golden-path template over all repositories provider-paved manages, cluster-scoped and namespaced. Absent while it manages none.
# TYPE platform_golden_path_adoption_ratio gauge
platform_golden_path_adoption_ratio 0.4
# HELP platform_manual_provisions_total Composites that exist and that no tenant asked for (made directly by the platform team). Exact for composites that exist.
# TYPE platform_manual_provisions_total counter
platform_manual_provisions_total{resource_type="bucket"} 1
platform_manual_provisions_total{resource_type="database"} 0
platform_manual_provisions_total{resource_type="servicebundle"} 1
# HELP platform_provisioning_duration_seconds Time from a composite's creation to its Ready condition's last transition, one observation per composite that is Ready now. Exact for a composite that became Ready once; one that lost and regained Ready counts until it regained it.
# TYPE platform_provisioning_duration_seconds histogram
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="bucket",le="30"} 0
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="bucket",le="60"} 0
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="bucket",le="120"} 0
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="bucket",le="300"} 0
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="bucket",le="600"} 0
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="bucket",le="900"} 0
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="bucket",le="1800"} 0
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="bucket",le="+Inf"} 1
platform_provisioning_duration_seconds_sum{provider="aws",resource_type="bucket"} 2000
platform_provisioning_duration_seconds_count{provider="aws",resource_type="bucket"} 1
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="database",le="30"} 1
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="database",le="60"} 2
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="database",le="120"} 2
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="database",le="300"} 2
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="database",le="600"} 2
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="database",le="900"} 3
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="database",le="1800"} 3
platform_provisioning_duration_seconds_bucket{provider="aws",resource_type="database",le="+Inf"} 3
platform_provisioning_duration_seconds_sum{provider="aws",resource_type="database"} 765
platform_provisioning_duration_seconds_count{provider="aws",resource_type="database"} 3
platform_provisioning_duration_seconds_bucket{provider="paved",resource_type="servicebundle",le="30"} 0
platform_provisioning_duration_seconds_bucket{provider="paved",resource_type="servicebundle",le="60"} 0
platform_provisioning_duration_seconds_bucket{provider="paved",resource_type="servicebundle",le="120"} 1
platform_provisioning_duration_seconds_bucket{provider="paved",resource_type="servicebundle",le="300"} 1
platform_provisioning_duration_seconds_bucket{provider="paved",resource_type="servicebundle",le="600"} 1
platform_provisioning_duration_seconds_bucket{provider="paved",resource_type="servicebundle",le="900"} 1
platform_provisioning_duration_seconds_bucket{provider="paved",resource_type="servicebundle",le="1800"} 1
platform_provisioning_duration_seconds_bucket{provider="paved",resource_type="servicebundle",le="+Inf"} 1
platform_provisioning_duration_seconds_sum{provider="paved",resource_type="servicebundle"} 100
platform_provisioning_duration_seconds_count{provider="paved",resource_type="servicebundle"} 1
# HELP platform_time_to_first_deploy_seconds Time from a ServiceBundle's creation to its staging Application's first completed sync (Argo CD's history entry 0), by team, one observation per Application whose history still holds that entry. Exact; an Application whose first entry Argo CD has dropped is left out.
# TYPE platform_time_to_first_deploy_seconds histogram
platform_time_to_first_deploy_seconds_bucket{team="payments",le="60"} 0
platform_time_to_first_deploy_seconds_bucket{team="payments",le="300"} 0
platform_time_to_first_deploy_seconds_bucket{team="payments",le="600"} 1
platform_time_to_first_deploy_seconds_bucket{team="payments",le="1800"} 1
platform_time_to_first_deploy_seconds_bucket{team="payments",le="3600"} 1
platform_time_to_first_deploy_seconds_bucket{team="payments",le="7200"} 1
platform_time_to_first_deploy_seconds_bucket{team="payments",le="14400"} 1
platform_time_to_first_deploy_seconds_bucket{team="payments",le="86400"} 1
platform_time_to_first_deploy_seconds_bucket{team="payments",le="+Inf"} 1
platform_time_to_first_deploy_seconds_sum{team="payments"} 400
platform_time_to_first_deploy_seconds_count{team="payments"} 1
# HELP platform_repositories GitHub repositories provider-paved manages (Repository objects, cluster-scoped and namespaced), by origin: generated from a golden-path template, or other. Exact for the kinds platform_signals_source_available reports read.
# TYPE platform_repositories gauge
platform_repositories{origin="golden-path"} 2
platform_repositories{origin="other"} 3
# HELP platform_self_service_provisions_total Composites that exist and that a tenant asked for: by a claim, in a namespace, or composed by such a composite. Exact for composites that exist; a deleted one leaves the count.
# TYPE platform_self_service_provisions_total counter
platform_self_service_provisions_total{resource_type="bucket"} 0
platform_self_service_provisions_total{resource_type="database"} 3
platform_self_service_provisions_total{resource_type="servicebundle"} 2
# HELP platform_service_creations_total ServiceBundles that exist, by golden-path template, owning team (the platform's namespace mapping) and status (ready, pending, failed). Derived from the composites: exact for bundles that exist; a deleted bundle leaves the count.
# TYPE platform_service_creations_total counter
platform_service_creations_total{status="failed",team="unknown",template="python-service"} 1
platform_service_creations_total{status="pending",team="unknown",template="node-service"} 1
platform_service_creations_total{status="ready",team="payments",template="go-service"} 1
# HELP platform_signals_source_available 1 when the kind's objects could be read for the platform metrics, 0 when its CRD is absent, its informer has not synced (or cannot list it: RBAC) or listing failed; the metrics leave its objects out.
# TYPE platform_signals_source_available gauge
platform_signals_source_available{kind="Application.argoproj.io"} 1
platform_signals_source_available{kind="Bucket.paved.dev"} 0
platform_signals_source_available{kind="Database.paved.dev"} 1
platform_signals_source_available{kind="Operation.ops.crossplane.io"} 1
platform_signals_source_available{kind="Repository.github.m.paved.dev"} 1
platform_signals_source_available{kind="Repository.github.paved.dev"} 1
platform_signals_source_available{kind="ServiceBundle.paved.dev"} 1
platform_signals_source_available{kind="XBucket.platform.paved.dev"} 1
platform_signals_source_available{kind="XDatabase.platform.paved.dev"} 1
platform_signals_source_available{kind="XServiceBundle.platform.paved.dev"} 1
`

// synced is the kinds whose informers have synced.
type synced map[schema.GroupVersionKind]bool

func (s synced) Synced(gvk schema.GroupVersionKind) bool { return s[gvk] }

func reader(t *testing.T, objs ...client.Object) client.Reader {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
}

// allBut is every watched kind synced but those given.
func allBut(gvks ...schema.GroupVersionKind) synced {
	s := synced{}
	for _, g := range Watched {
		s[g] = true
	}
	for _, g := range gvks {
		delete(s, g)
	}
	return s
}

func TestCollectorValues(t *testing.T) {
	c := NewCollector(reader(t, objects()...), allBut(Bucket), logging.NewNopLogger())
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("CollectAndLint: %v %+v", err, problems)
	}
}

// TestCollectorRestart: a provider that restarts computes its metrics anew
// from the same objects, and reports the same values (nothing was counted
// in memory).
func TestCollectorRestart(t *testing.T) {
	r := reader(t, objects()...)
	before := scrape(t, NewCollector(r, allBut(Bucket), logging.NewNopLogger()))
	after := scrape(t, NewCollector(r, allBut(Bucket), logging.NewNopLogger()))
	if before != after {
		t.Errorf("after a restart:\n%s\nbefore:\n%s", after, before)
	}
	if !strings.Contains(after, `platform_service_creations_total{status="ready",team="payments",template="go-service"} 1`) {
		t.Errorf("scrape has no ready bundle:\n%s", after)
	}
}

func scrape(t *testing.T, c prometheus.Collector) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestCollectorNothingAvailable: a cluster with none of the CRDs (Argo CD
// and paved's Configuration not installed) still scrapes, saying so.
func TestCollectorNothingAvailable(t *testing.T) {
	c := NewCollector(reader(t), synced{}, logging.NewNopLogger())
	want := `
# HELP platform_repositories GitHub repositories provider-paved manages (Repository objects, cluster-scoped and namespaced), by origin: generated from a golden-path template, or other. Exact for the kinds platform_signals_source_available reports read.
# TYPE platform_repositories gauge
platform_repositories{origin="golden-path"} 0
platform_repositories{origin="other"} 0
# HELP platform_signals_source_available 1 when the kind's objects could be read for the platform metrics, 0 when its CRD is absent, its informer has not synced (or cannot list it: RBAC) or listing failed; the metrics leave its objects out.
# TYPE platform_signals_source_available gauge
platform_signals_source_available{kind="Application.argoproj.io"} 0
platform_signals_source_available{kind="Bucket.paved.dev"} 0
platform_signals_source_available{kind="Database.paved.dev"} 0
platform_signals_source_available{kind="Operation.ops.crossplane.io"} 0
platform_signals_source_available{kind="Repository.github.m.paved.dev"} 1
platform_signals_source_available{kind="Repository.github.paved.dev"} 1
platform_signals_source_available{kind="ServiceBundle.paved.dev"} 0
platform_signals_source_available{kind="XBucket.platform.paved.dev"} 0
platform_signals_source_available{kind="XDatabase.platform.paved.dev"} 0
platform_signals_source_available{kind="XServiceBundle.platform.paved.dev"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// TestLabelsBounded: a team or template that is not a label value the
// platform's schemas allow is reported as unknown, never as given.
func TestLabelsBounded(t *testing.T) {
	for in, want := range map[string]string{
		"payments":                 "payments",
		"go-service":               "go-service",
		"Payments Team":            Unknown,
		"":                         Unknown,
		"-x":                       Unknown,
		strings.Repeat("a", 64):    Unknown,
		strings.Repeat("a", 63):    strings.Repeat("a", 63),
		"secret=hunter2":           Unknown,
		"team-a\nplatform_x{} 999": Unknown,
	} {
		if got := bounded(in); got != want {
			t.Errorf("bounded(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGoldenPathPrefix: the prefix that makes a Repository golden-path is
// the one function-paved generates every ServiceBundle's Repository from.
func TestGoldenPathPrefix(t *testing.T) {
	if GoldenPathTemplatePrefix != servicebundle.TemplatePrefix {
		t.Errorf("GoldenPathTemplatePrefix = %q, function-paved's servicebundle.TemplatePrefix = %q", GoldenPathTemplatePrefix, servicebundle.TemplatePrefix)
	}
}

// TestCollectorRepositoryScopes: namespaced Repositories count as the
// cluster-scoped ones do; a scope that cannot be listed is left out and
// said so, and the other still counts.
func TestCollectorRepositoryScopes(t *testing.T) {
	objs := []client.Object{
		repository("orders", "golden-path-go-service"),
		repository("adopted", ""),
		namespacedRepository("team-b", "billing", "golden-path-go-service"),
		namespacedRepository("team-c", "reports", "golden-path-python-service"),
	}
	cases := map[string]struct {
		fail  client.ObjectList
		lines []string
	}{
		"BothScopes": {lines: []string{
			`platform_repositories{origin="golden-path"} 3`,
			`platform_repositories{origin="other"} 1`,
			`platform_golden_path_adoption_ratio 0.75`,
			`platform_signals_source_available{kind="Repository.github.m.paved.dev"} 1`,
		}},
		"NamespacedUnavailable": {fail: &nsghv1alpha1.RepositoryList{}, lines: []string{
			`platform_repositories{origin="golden-path"} 1`,
			`platform_repositories{origin="other"} 1`,
			`platform_golden_path_adoption_ratio 0.5`,
			`platform_signals_source_available{kind="Repository.github.m.paved.dev"} 0`,
			`platform_signals_source_available{kind="Repository.github.paved.dev"} 1`,
		}},
		"ClusterUnavailable": {fail: &ghv1alpha1.RepositoryList{}, lines: []string{
			`platform_repositories{origin="golden-path"} 2`,
			`platform_repositories{origin="other"} 0`,
			`platform_golden_path_adoption_ratio 1`,
			`platform_signals_source_available{kind="Repository.github.m.paved.dev"} 1`,
			`platform_signals_source_available{kind="Repository.github.paved.dev"} 0`,
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := runtime.NewScheme()
			if err := apis.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			r := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithInterceptorFuncs(interceptor.Funcs{
				List: func(ctx context.Context, c client.WithWatch, l client.ObjectList, o ...client.ListOption) error {
					if tc.fail != nil && reflect.TypeOf(l) == reflect.TypeOf(tc.fail) {
						return errors.New("the cache is gone")
					}
					return c.List(ctx, l, o...)
				},
			}).Build()
			got := scrape(t, NewCollector(r, synced{}, logging.NewNopLogger()))
			for _, l := range tc.lines {
				if !strings.Contains(got, l+"\n") {
					t.Errorf("scrape has no %q:\n%s", l, got)
				}
			}
		})
	}
}

// operation is a run of a CronOperation, finished at t, whose pipeline's
// one step output lists databases with the findings' checks.
func operation(name, cron string, succeeded bool, t time.Time, dbs ...[]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(Operation)
	u.SetName(name)
	u.SetLabels(map[string]string{"ops.crossplane.io/cronoperation": cron})
	out := []any{}
	for _, checks := range dbs {
		fs := []any{}
		for _, c := range checks {
			fs = append(fs, map[string]any{"check": c, "message": "m"})
		}
		out = append(out, map[string]any{"subject": map[string]any{"name": "db"}, "findings": fs})
	}
	status := "True"
	if !succeeded {
		status = "False"
	}
	u.Object["status"] = map[string]any{
		"conditions": []any{map[string]any{"type": "Succeeded", "status": status, "lastTransitionTime": t.Format(time.RFC3339)}},
		"pipeline":   []any{map[string]any{"step": "database-checks", "output": map[string]any{"checked": int64(3), "databases": out}}},
	}
	return u
}

// TestCollectorDayTwo: the findings of the newest successful run of each
// day-two CronOperation, per check, counted once per database; older runs,
// failed runs and other CronOperations' runs are not read.
func TestCollectorDayTwo(t *testing.T) {
	objs := []client.Object{
		operation("paved-database-checks-1", "paved-database-checks", true, t0, []string{"StorageNearLimit"}, []string{"StorageNearLimit"}),
		operation("paved-database-checks-2", "paved-database-checks", true, t0.Add(time.Hour),
			[]string{"CACertificateExpiry", "StandardSupportEnd"}, []string{"CACertificateExpiry"}, []string{"VersionDrift", "VersionDrift"}),
		operation("paved-database-checks-3", "paved-database-checks", false, t0.Add(2*time.Hour), []string{"StorageNearLimit"}),
		operation("someone-elses-1", "someone-else", true, t0.Add(3*time.Hour), []string{"StorageNearLimit"}),
		// The namespaced databases' CronOperation: its newest success,
		// finished before the other's, adds its databases and sets the
		// time.
		operation("paved-database-checks-namespaced-1", "paved-database-checks-namespaced", true, t0.Add(30*time.Minute), []string{"StorageNearLimit"}),
	}
	got := scrape(t, NewCollector(reader(t, objs...), synced{Operation: true}, logging.NewNopLogger()))
	for _, l := range []string{
		`platform_database_checks_findings{check="CACertificateExpiry"} 2`,
		`platform_database_checks_findings{check="StandardSupportEnd"} 1`,
		`platform_database_checks_findings{check="StorageNearLimit"} 1`,
		`platform_database_checks_findings{check="VersionDrift"} 1`,
		`platform_database_checks_last_success_timestamp_seconds 1.7936118e+09`,
	} {
		if !strings.Contains(got, l+"\n") {
			t.Errorf("scrape has no %q:\n%s", l, got)
		}
	}
	// No run yet: no findings reported, not zeros.
	if got := scrape(t, NewCollector(reader(t), synced{Operation: true}, logging.NewNopLogger())); strings.Contains(got, "platform_database_checks") {
		t.Errorf("scrape without runs has day-two metrics:\n%s", got)
	}
}

// TestDayTwoChecksNamed: the checks counted are function-paved's.
func TestDayTwoChecksNamed(t *testing.T) {
	if !slices.Equal(DayTwoChecks, database.Checks) {
		t.Errorf("DayTwoChecks %v, function-paved's database.Checks %v", DayTwoChecks, database.Checks)
	}
}

// A bundleDialect is how one dialect's ServiceBundle and what it composes
// look (fn/internal/compose/dialect.go; test/e2e
// TestNamespacedServiceBundle for a real one): a legacy XServiceBundle is
// a claim's, cluster-scoped, and controls its XDatabase, a cluster-scoped
// Repository and Applications in Argo CD's namespace; a namespaced
// ServiceBundle has no claim and controls its Database, its
// github.m.paved.dev Repository and its Applications, all in its own
// namespace.
type bundleDialect struct {
	bundle, database schema.GroupVersionKind
	ns, appNS        string
	claim            bool
}

var dialects = map[string]bundleDialect{
	"Legacy":     {bundle: XServiceBundle, database: XDatabase, appNS: "argocd", claim: true},
	"Namespaced": {bundle: ServiceBundle, database: Database, ns: "team-a", appNS: "team-a"},
}

// controlledBy makes o controlled by the bundle of kind gvk, name and uid.
func controlledBy[T metav1.Object](o T, gvk schema.GroupVersionKind, name string, uid types.UID) T {
	o.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Name: name, UID: uid, Controller: ptr(true)}})
	return o
}

// objects are one bundle of the dialect, named orders-<id>: Ready 100 s
// after its creation, its database 700 s after; its staging Application
// first deployed 400 s after the bundle's creation, its production
// Application deployed revision rev 5 min after t0; its golden-path
// Repository, which GitHub named acme/orders-<id>. Beside it, in its
// Applications' namespace, an Application no bundle controls.
func (d bundleDialect) objects(id, rev string) []client.Object {
	name, uid := "orders-"+id, types.UID("b-"+id)
	labels := func(env string) map[string]string {
		return map[string]string{"team": "payments", "environment": env, "paved.dev/service": name}
	}
	app := func(env string) *unstructured.Unstructured {
		a := application(name+"-"+env, uid, labels(env), false)
		a.SetNamespace(d.appNS)
		return controlledBy(a, d.bundle, name, uid)
	}
	var repo client.Object
	if d.ns == "" {
		r := bundleRepository(name, uid, "acme/"+name)
		repo = controlledBy(r, d.bundle, name, uid)
	} else {
		r := namespacedRepository(d.ns, name, "golden-path-go-service")
		r.SetUID("r-" + uid)
		r.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "default"}
		r.Status.AtProvider.FullName = "acme/" + name
		repo = controlledBy(r, d.bundle, name, uid)
	}
	intruder := application(name+"-hand-made", "", map[string]string{"team": "intruders", "environment": "production", "paved.dev/service": "x"}, false)
	intruder.SetNamespace(d.appNS)
	return []client.Object{
		composite{gvk: d.bundle, name: name, ns: d.ns, uid: uid, claim: d.claim, template: "go-service", readyIn: 100 * time.Second}.object(),
		controlledBy(composite{gvk: d.database, name: name + "-db", ns: d.ns, uid: "d-" + uid, readyIn: 700 * time.Second}.object(), d.bundle, name, uid),
		deployed(app("staging"), 0, 400*time.Second),
		history(app("production"), rev, t0.Add(5*time.Minute)),
		repo,
		history(intruder, rev, t0.Add(time.Minute)),
	}
}

// TestCollectorServiceBundleDialects: every metric derived from
// ServiceBundles counts a namespaced ServiceBundle and what it controls
// exactly as a legacy one: creations (the team from its Applications'
// label, the platform's namespace mapping), provisioning, self-service,
// active services, time to first deploy and lead time (its
// github.m.paved.dev Repository). A platform without the namespaced XRD
// still counts its legacy bundles.
func TestCollectorServiceBundleDialects(t *testing.T) {
	// lines are the series of bundles counted, and of databases and
	// Repositories present (whichever bundle kind can be read).
	lines := func(bundles, present int) []string {
		return []string{
			fmt.Sprintf(`platform_service_creations_total{status="ready",team="payments",template="go-service"} %d`, bundles),
			fmt.Sprintf(`platform_provisioning_duration_seconds_count{provider="paved",resource_type="servicebundle"} %d`, bundles),
			fmt.Sprintf(`platform_provisioning_duration_seconds_sum{provider="paved",resource_type="servicebundle"} %d`, 100*bundles),
			fmt.Sprintf(`platform_provisioning_duration_seconds_count{provider="aws",resource_type="database"} %d`, present),
			fmt.Sprintf(`platform_self_service_provisions_total{resource_type="servicebundle"} %d`, bundles),
			fmt.Sprintf(`platform_self_service_provisions_total{resource_type="database"} %d`, present),
			`platform_manual_provisions_total{resource_type="servicebundle"} 0`,
			`platform_manual_provisions_total{resource_type="database"} 0`,
			fmt.Sprintf(`platform_active_services{environment="staging",team="payments"} %d`, bundles),
			fmt.Sprintf(`platform_active_services{environment="production",team="payments"} %d`, bundles),
			fmt.Sprintf(`platform_time_to_first_deploy_seconds_count{team="payments"} %d`, bundles),
			fmt.Sprintf(`platform_time_to_first_deploy_seconds_sum{team="payments"} %d`, 400*bundles),
			fmt.Sprintf(`platform_repositories{origin="golden-path"} %d`, present),
		}
	}
	cases := map[string]struct {
		dialects []string
		synced   synced
		want     []string
		// leads are the services with one lead time observation.
		leads []string
	}{
		"Legacy": {dialects: []string{"Legacy"}, synced: allBut(),
			want: append(lines(1, 1), `platform_signals_source_available{kind="XServiceBundle.platform.paved.dev"} 1`), leads: []string{"orders-l"}},
		"Namespaced": {dialects: []string{"Namespaced"}, synced: allBut(),
			want: append(lines(1, 1), `platform_signals_source_available{kind="ServiceBundle.paved.dev"} 1`), leads: []string{"orders-n"}},
		"Both": {dialects: []string{"Legacy", "Namespaced"}, synced: allBut(),
			want: lines(2, 2), leads: []string{"orders-l", "orders-n"}},
		// The namespaced XRD is not installed (or not readable): its
		// kind is skipped, the legacy bundles still count, and nothing
		// is counted of a bundle that cannot be read.
		"NamespacedKindAbsent": {dialects: []string{"Legacy", "Namespaced"}, synced: allBut(ServiceBundle),
			want: append(lines(1, 2), `platform_signals_source_available{kind="ServiceBundle.paved.dev"} 0`), leads: []string{"orders-l"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var objs []client.Object
			known := map[Commit]time.Time{}
			for _, d := range tc.dialects {
				id := strings.ToLower(d[:1])
				objs = append(objs, dialects[d].objects(id, "aaa")...)
				known[Commit{Repo: "acme/orders-" + id, SHA: "aaa"}] = t0
			}
			c := NewCollector(reader(t, objs...), tc.synced, logging.NewNopLogger())
			c.Commits = &CommitTimes{known: known}
			got := scrape(t, c)
			for _, l := range tc.want {
				if !strings.Contains(got, l+"\n") {
					t.Errorf("scrape has no %q:\n%s", l, got)
				}
			}
			for _, s := range tc.leads {
				for _, l := range []string{
					`platform_lead_time_seconds_sum{service="` + s + `",team="payments"} 300`,
					`platform_lead_time_seconds_count{service="` + s + `",team="payments"} 1`,
				} {
					if !strings.Contains(got, l+"\n") {
						t.Errorf("scrape has no %q:\n%s", l, got)
					}
				}
			}
			if n := strings.Count(got, "platform_lead_time_seconds_count{"); n != len(tc.leads) {
				t.Errorf("%d services have a lead time, want %d:\n%s", n, len(tc.leads), got)
			}
			if strings.Contains(got, "intruders") {
				t.Errorf("an Application no bundle controls is counted:\n%s", got)
			}
		})
	}
}
