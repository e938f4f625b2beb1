// Package signals derives the platform engineering guide's platform metrics
// (platform_service_creations_total, platform_provisioning_duration_seconds,
// platform_self_service_provisions_total, platform_active_services, time to
// first deploy, lead time and golden-path adoption) from the cluster's state: paved has no platform API
// to instrument, Crossplane's objects are the record.
//
// provider-paved exports them because it is the component of paved that
// already runs a long-lived controller-runtime manager with an informer
// cache and a Prometheus endpoint (--metrics-bind-address), scraped for
// crossplane-runtime's crossplane_managed_resource_* metrics and the GitHub
// rate-limit gauges; function-paved only answers RunFunction calls and keeps
// no watch of the cluster (and must stay free of client-go:
// fn/cmd/function TestNoHeavyDependencies).
//
// Every value is computed at scrape time from the objects in the informer
// cache (a prometheus.Collector, no in-memory increments), so a restarted
// provider reports the same values as soon as its cache has synced. What
// that makes exact and what an estimate is said on each metric's help and
// in docs/operations.md, "Platform metrics".
package signals

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	nsghv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
)

// The composites paved's Configuration defines (apis/*/definition.yaml) and
// the Argo CD Applications a ServiceBundle composes
// (fn/servicebundle/delivery.go).
var (
	XServiceBundle = schema.GroupVersionKind{Group: "platform.paved.dev", Version: "v1alpha1", Kind: "XServiceBundle"}
	// ServiceBundle is the namespaced dialect's (apis/servicebundle-v2):
	// it composes its Applications, Repository, Database and Bucket in
	// its own namespace and is their controller, as an XServiceBundle is
	// of its own (fn/internal/compose/dialect.go).
	ServiceBundle = schema.GroupVersionKind{Group: "paved.dev", Version: "v1alpha1", Kind: "ServiceBundle"}
	XDatabase     = schema.GroupVersionKind{Group: "platform.paved.dev", Version: "v1alpha1", Kind: "XDatabase"}
	XBucket       = schema.GroupVersionKind{Group: "platform.paved.dev", Version: "v1alpha1", Kind: "XBucket"}
	Database      = schema.GroupVersionKind{Group: "paved.dev", Version: "v1alpha1", Kind: "Database"}
	Bucket        = schema.GroupVersionKind{Group: "paved.dev", Version: "v1alpha1", Kind: "Bucket"}
	// Application is Argo CD's (argo-cd v3.1.0
	// pkg/apis/application/v1alpha1/types.go).
	Application = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Application"}
	// Operation is Crossplane's (alpha, ops.crossplane.io/v1alpha1): the
	// runs of the day-two checks' CronOperation
	// (package/operations/daytwo.yaml) hold their findings.
	Operation = schema.GroupVersionKind{Group: "ops.crossplane.io", Version: "v1alpha1", Kind: "Operation"}
	// Repository is provider-paved's own managed resource, cluster-scoped
	// (github.paved.dev) and namespaced (github.m.paved.dev): one
	// controller serves both (provider/internal/controller/repository), so
	// both are in the provider's cache and both count as repositories the
	// provider manages.
	Repository           = ghv1alpha1.RepositoryGroupVersionKind
	NamespacedRepository = nsghv1alpha1.RepositoryGroupVersionKind
)

// Composites are the kinds whose provisioning is measured, with their
// resource_type and provider labels: the resource a team asked for (the
// legacy and the namespaced dialect of a kind are the same resource to
// the team) and the Crossplane provider that does the provisioning
// (provider-aws's RDS and S3 for databases and buckets; provider-paved's
// GitHub and Backstage kinds, with the nested AWS composites, for a
// service bundle).
var Composites = []Kind{
	{GVK: XServiceBundle, ResourceType: "servicebundle", Provider: "paved"},
	{GVK: ServiceBundle, ResourceType: "servicebundle", Provider: "paved"},
	{GVK: XDatabase, ResourceType: "database", Provider: "aws"},
	{GVK: XBucket, ResourceType: "bucket", Provider: "aws"},
	{GVK: Database, ResourceType: "database", Provider: "aws"},
	{GVK: Bucket, ResourceType: "bucket", Provider: "aws"},
}

// A Kind of composite and its label values.
type Kind struct {
	GVK          schema.GroupVersionKind
	ResourceType string
	Provider     string
}

// GoldenPathTemplatePrefix starts the name of every golden-path template
// repository a ServiceBundle's Repository is generated from
// (fn/servicebundle.TemplatePrefix; TestGoldenPathPrefix keeps the two
// equal).
const GoldenPathTemplatePrefix = "golden-path-"

// Label values that are not the platform's own.
const (
	// Unknown is the team of a bundle whose Applications do not exist yet
	// (the team is read from them), and a label value that is not a
	// well-formed, bounded value of the platform's.
	Unknown = "unknown"

	StatusReady   = "ready"
	StatusPending = "pending"
	StatusFailed  = "failed"

	OriginGoldenPath = "golden-path"
	OriginOther      = "other"
)

// Labels the function writes on each Application it composes, from the
// platform's namespace mapping (fn/servicebundle/delivery.go,
// application): the namespace's team and the environment.
const (
	labelTeam        = "team"
	labelEnvironment = "environment"
	labelService     = "paved.dev/service"
)

// labelValue is a value a label may carry here: what the platform's
// schemas bound (the XRD's template and environments enums, the
// EnvironmentConfig's team names, which are Kubernetes label values).
// Anything else is reported as Unknown, never as given.
var labelValue = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func bounded(v string) string {
	if labelValue.MatchString(v) {
		return v
	}
	return Unknown
}

// State is what the metrics are computed from: the objects of each kind,
// as listed from the cache. A kind absent from Objects was not available
// (its CRD is not installed or its informer has not synced).
type State struct {
	Objects      map[schema.GroupVersionKind][]unstructured.Unstructured
	Repositories []ghv1alpha1.Repository
	// RepositoriesAvailable is false when the Repositories could not be
	// listed.
	RepositoriesAvailable bool
	// NamespacedRepositories are the github.m.paved.dev Repositories;
	// NamespacedRepositoriesAvailable is false when they could not be
	// listed.
	NamespacedRepositories          []nsghv1alpha1.Repository
	NamespacedRepositoriesAvailable bool
	// CommitTime returns the commit time of a deployed revision, if
	// known (CommitTimes.Get); nil leaves lead times out.
	CommitTime func(Commit) (time.Time, bool)
}

// CreationKey labels platform_service_creations_total.
type CreationKey struct{ Template, Team, Status string }

// ProvisioningKey labels platform_provisioning_duration_seconds.
type ProvisioningKey struct{ ResourceType, Provider string }

// ActiveKey labels platform_active_services.
type ActiveKey struct{ Team, Environment string }

// Histogram is one provisioning-duration histogram: cumulative counts per
// upper bound, as prometheus.MustNewConstHistogram takes them.
type Histogram struct {
	Count   uint64
	Sum     float64
	Buckets map[float64]uint64
}

// Buckets of platform_provisioning_duration_seconds, the guide's (30 s to
// 30 min).
var Buckets = []float64{30, 60, 120, 300, 600, 900, 1800}

// FirstDeployBuckets of platform_time_to_first_deploy_seconds: a minute
// to a day (the guide gives none; a first deploy waits for a person's
// first push as often as for the platform).
var FirstDeployBuckets = []float64{60, 300, 600, 1800, 3600, 7200, 14400, 86400}

// environmentFirstDeploy is the environment whose first deploy is a
// service's first: staging, which follows main and syncs itself
// (fn/servicebundle/delivery.go).
const environmentFirstDeploy = "staging"

func newHistogram(buckets []float64) *Histogram {
	h := &Histogram{Buckets: map[float64]uint64{}}
	for _, b := range buckets {
		h.Buckets[b] = 0
	}
	return h
}

func (h *Histogram) observe(d time.Duration, buckets []float64) {
	h.Count++
	h.Sum += d.Seconds()
	for _, b := range buckets {
		if d.Seconds() <= b {
			h.Buckets[b]++
		}
	}
}

// firstDeploy is how long after its bundle was created an Application
// first deployed: the bundle's creationTimestamp to the deployedAt of the
// Application's first sync. Argo CD numbers an Application's history from
// 0 and keeps its last revisionHistoryLimit entries (argo-cd v3.1.0
// controller/state.go, persistRevisionHistory; pkg/apis/application/
// v1alpha1/types.go, RevisionHistory: deployedAt is when the sync
// operation completed), so the first deploy is known exactly while entry 0
// is kept, and not at all once it is dropped: such an Application is left
// out rather than estimated.
func firstDeploy(a, bundle *unstructured.Unstructured) (time.Duration, bool) {
	if bundle == nil {
		return 0, false
	}
	hs, _, _ := unstructured.NestedSlice(a.Object, "status", "history")
	for _, h := range hs {
		m, ok := h.(map[string]any)
		if !ok {
			continue
		}
		// JSON integers decode as int64 in unstructured objects
		// (k8s.io/apimachinery/pkg/runtime.DefaultUnstructuredConverter).
		if id, ok := m["id"].(int64); !ok || id != 0 {
			continue
		}
		at, ok := m["deployedAt"].(string)
		if !ok {
			return 0, false
		}
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return 0, false
		}
		return max(t.Sub(bundle.GetCreationTimestamp().Time), 0), true
	}
	return 0, false
}

// DayTwoCronOperations name the day-two checks' CronOperations, of legacy
// and of namespaced databases (package/operations/daytwo*.yaml); Crossplane
// labels each Operation it creates with its CronOperation's name
// (crossplane v2.4.0 apis/ops/v1alpha1/cronoperation_types.go,
// LabelCronOperationName).
var DayTwoCronOperations = []string{"paved-database-checks", "paved-database-checks-namespaced"}

const labelCronOperation = "ops.crossplane.io/cronoperation"

// DayTwoChecks are the checks function-paved runs
// (fn/database.Checks; TestDayTwoChecksNamed keeps the two equal).
var DayTwoChecks = []string{"CACertificateExpiry", "StandardSupportEnd", "VersionDrift", "StorageNearLimit"}

// dayTwo reads, of each day-two CronOperation, its newest run that
// succeeded (condition Succeeded=True, crossplane v2.4.0 apis/ops/
// v1alpha1/conditions.go), and counts per check the databases with a
// finding in their outputs (fn/operation.go, dayTwoOutput). at is when the
// least recent of those runs finished; ok is false when none succeeded.
func dayTwo(ops []unstructured.Unstructured) (counts map[string]int, at time.Time, ok bool) {
	newest := map[string]*unstructured.Unstructured{}
	when := map[string]time.Time{}
	for i := range ops {
		o := &ops[i]
		cron := o.GetLabels()[labelCronOperation]
		if !slices.Contains(DayTwoCronOperations, cron) {
			continue
		}
		c, found := condition(o, "Succeeded")
		if !found || c.status != "True" || (newest[cron] != nil && !c.lastTransition.After(when[cron])) {
			continue
		}
		newest[cron], when[cron] = o, c.lastTransition
	}
	if len(newest) == 0 {
		return nil, time.Time{}, false
	}
	counts = map[string]int{}
	for _, c := range DayTwoChecks {
		counts[c] = 0
	}
	for cron, o := range newest {
		if at.IsZero() || when[cron].Before(at) {
			at = when[cron]
		}
		steps, _, _ := unstructured.NestedSlice(o.Object, "status", "pipeline")
		for _, st := range steps {
			m, _ := st.(map[string]any)
			dbs, _, _ := unstructured.NestedSlice(m, "output", "databases")
			for _, db := range dbs {
				d, _ := db.(map[string]any)
				fs, _, _ := unstructured.NestedSlice(d, "findings")
				seen := map[string]bool{}
				for _, f := range fs {
					fm, _ := f.(map[string]any)
					c, _ := fm["check"].(string)
					if _, known := counts[c]; known && !seen[c] {
						seen[c] = true
						counts[c]++
					}
				}
			}
		}
	}
	return counts, at, true
}

// ServiceBundles are the kinds of service bundle, legacy and namespaced:
// every metric of a bundle counts both alike.
var ServiceBundles = []schema.GroupVersionKind{XServiceBundle, ServiceBundle}

// bundlesOf indexes the bundles of both dialects in s by UID, the
// controller UID of what each composes.
func bundlesOf(s State) map[types.UID]*unstructured.Unstructured {
	bundles := map[types.UID]*unstructured.Unstructured{}
	for _, gvk := range ServiceBundles {
		for i := range s.Objects[gvk] {
			b := &s.Objects[gvk][i]
			bundles[b.GetUID()] = b
		}
	}
	return bundles
}

// Values are the metrics' values computed from a State.
type Values struct {
	Creations    map[CreationKey]int
	Provisioning map[ProvisioningKey]*Histogram
	SelfService  map[string]int // per resource_type
	Manual       map[string]int // per resource_type
	Active       map[ActiveKey]int
	FirstDeploy  map[string]*Histogram // per team
	Repositories map[string]int        // per origin
	// DayTwo counts databases with a finding per check in the newest
	// successful run of the day-two checks, which finished at DayTwoAt;
	// nil when none succeeded (or Operations cannot be read).
	DayTwo   map[string]int
	DayTwoAt time.Time
	LeadTime map[LeadKey]*Histogram
}

// Compute derives the metrics' values from the objects in s.
func Compute(s State) Values {
	v := Values{
		Creations:    map[CreationKey]int{},
		Provisioning: map[ProvisioningKey]*Histogram{},
		SelfService:  map[string]int{},
		Manual:       map[string]int{},
		Active:       map[ActiveKey]int{},
		FirstDeploy:  map[string]*Histogram{},
		Repositories: map[string]int{},
		LeadTime:     map[LeadKey]*Histogram{},
	}
	bundles := bundlesOf(s)
	// The team and environments of each bundle, from the Applications it
	// controls: only those, so that no Application anyone else made is
	// counted or names a team.
	teams := map[types.UID]string{}
	for _, a := range s.Objects[Application] {
		owner := controllerUID(&a)
		if _, ok := bundles[owner]; !ok || a.GetLabels()[labelService] == "" {
			continue
		}
		team := bounded(a.GetLabels()[labelTeam])
		teams[owner] = team
		env := bounded(a.GetLabels()[labelEnvironment])
		if d, ok := firstDeploy(&a, bundles[owner]); ok && env == environmentFirstDeploy {
			h := v.FirstDeploy[team]
			if h == nil {
				h = newHistogram(FirstDeployBuckets)
				v.FirstDeploy[team] = h
			}
			h.observe(d, FirstDeployBuckets)
		}
		if a.GetDeletionTimestamp() != nil {
			continue
		}
		v.Active[ActiveKey{Team: team, Environment: env}]++
	}
	for _, b := range bundles {
		t, _, _ := unstructured.NestedString(b.Object, "spec", "template")
		team, ok := teams[b.GetUID()]
		if !ok {
			team = Unknown
		}
		v.Creations[CreationKey{Template: bounded(t), Team: team, Status: status(b)}]++
	}

	// Which composites were asked for by a tenant: a claim's (legacy
	// composites have spec.claimRef), a namespaced composite (made in a
	// tenant's namespace), or one a self-service composite composed (a
	// bundle's nested XDatabase and XBucket).
	all := map[types.UID]*unstructured.Unstructured{}
	for _, k := range Composites {
		for i := range s.Objects[k.GVK] {
			all[s.Objects[k.GVK][i].GetUID()] = &s.Objects[k.GVK][i]
		}
	}
	var selfService func(u *unstructured.Unstructured, depth int) bool
	selfService = func(u *unstructured.Unstructured, depth int) bool {
		if u.GetNamespace() != "" {
			return true
		}
		if ref, _, _ := unstructured.NestedMap(u.Object, "spec", "claimRef"); len(ref) > 0 {
			return true
		}
		if owner, ok := all[controllerUID(u)]; ok && depth < 4 {
			return selfService(owner, depth+1)
		}
		return false
	}
	for _, k := range Composites {
		objs, ok := s.Objects[k.GVK]
		if !ok {
			continue
		}
		pk := ProvisioningKey{ResourceType: k.ResourceType, Provider: k.Provider}
		h := v.Provisioning[pk]
		if h == nil {
			h = newHistogram(Buckets)
			v.Provisioning[pk] = h
		}
		v.SelfService[k.ResourceType] += 0
		v.Manual[k.ResourceType] += 0
		for i := range objs {
			u := &objs[i]
			if selfService(u, 0) {
				v.SelfService[k.ResourceType]++
			} else {
				v.Manual[k.ResourceType]++
			}
			if d, ok := provisioned(u); ok {
				h.observe(d, Buckets)
			}
		}
	}

	leadTimes(s, &v)
	if counts, at, ok := dayTwo(s.Objects[Operation]); ok {
		v.DayTwo, v.DayTwoAt = counts, at
	}

	if s.RepositoriesAvailable || s.NamespacedRepositoriesAvailable {
		v.Repositories[OriginGoldenPath] += 0
		v.Repositories[OriginOther] += 0
	}
	if s.RepositoriesAvailable {
		for i := range s.Repositories {
			v.Repositories[origin(&s.Repositories[i].Spec.ForProvider)]++
		}
	}
	if s.NamespacedRepositoriesAvailable {
		for i := range s.NamespacedRepositories {
			v.Repositories[origin(&s.NamespacedRepositories[i].Spec.ForProvider)]++
		}
	}
	return v
}

// origin says whether a Repository was generated from a golden-path
// template (the template repository's name; a ServiceBundle's always is,
// fn/servicebundle/repository.go), whatever its scope.
func origin(p *ghv1alpha1.RepositoryParameters) string {
	if t := p.Template; t != nil && strings.HasPrefix(t.Repository, GoldenPathTemplatePrefix) {
		return OriginGoldenPath
	}
	return OriginOther
}

// status of a bundle: ready (Ready=True), failed (Synced=False: the
// function refused the claim or the pipeline failed), or pending.
func status(u *unstructured.Unstructured) string {
	if c, ok := condition(u, "Ready"); ok && c.status == "True" {
		return StatusReady
	}
	if c, ok := condition(u, "Synced"); ok && c.status == "False" {
		return StatusFailed
	}
	return StatusPending
}

// provisioned is how long a composite took from creation to Ready: its
// creationTimestamp to its Ready condition's lastTransitionTime, for a
// composite that is Ready.
func provisioned(u *unstructured.Unstructured) (time.Duration, bool) {
	c, ok := condition(u, "Ready")
	if !ok || c.status != "True" || c.lastTransition.IsZero() {
		return 0, false
	}
	// A clock skew between writers never makes a negative duration.
	return max(c.lastTransition.Sub(u.GetCreationTimestamp().Time), 0), true
}

type cond struct {
	status         string
	lastTransition time.Time
}

func condition(u *unstructured.Unstructured, typ string) (cond, bool) {
	cs, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range cs {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		out := cond{}
		out.status, _ = m["status"].(string)
		if ts, ok := m["lastTransitionTime"].(string); ok {
			out.lastTransition, _ = time.Parse(time.RFC3339, ts)
		}
		return out, true
	}
	return cond{}, false
}

func controllerUID(u *unstructured.Unstructured) types.UID {
	for _, o := range u.GetOwnerReferences() {
		if o.Controller != nil && *o.Controller {
			return o.UID
		}
	}
	return ""
}
