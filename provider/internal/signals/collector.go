package signals

import (
	"context"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	nsghv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
)

// Metric names: the guide's ("Custom Prometheus Metrics"), and paved's own
// for golden-path adoption and for which kinds the values could be read
// from.
const (
	NameCreations       = "platform_service_creations_total"
	NameProvisioning    = "platform_provisioning_duration_seconds"
	NameSelfService     = "platform_self_service_provisions_total"
	NameManual          = "platform_manual_provisions_total"
	NameActive          = "platform_active_services"
	NameFirstDeploy     = "platform_time_to_first_deploy_seconds"
	NameRepositories    = "platform_repositories"
	NameAdoption        = "platform_golden_path_adoption_ratio"
	NameSourceAvailable = "platform_signals_source_available"
	NameLeadTime        = "platform_lead_time_seconds"
	NameDayTwo          = "platform_database_checks_findings"
	NameDayTwoAt        = "platform_database_checks_last_success_timestamp_seconds"
)

var (
	descCreations = prometheus.NewDesc(NameCreations,
		"ServiceBundles that exist, by golden-path template, owning team (the platform's namespace mapping) and status (ready, pending, failed). Derived from the composites: exact for bundles that exist; a deleted bundle leaves the count.",
		[]string{"template", "team", "status"}, nil)
	descProvisioning = prometheus.NewDesc(NameProvisioning,
		"Time from a composite's creation to its Ready condition's last transition, one observation per composite that is Ready now. Exact for a composite that became Ready once; one that lost and regained Ready counts until it regained it.",
		[]string{"resource_type", "provider"}, nil)
	descSelfService = prometheus.NewDesc(NameSelfService,
		"Composites that exist and that a tenant asked for: by a claim, in a namespace, or composed by such a composite. Exact for composites that exist; a deleted one leaves the count.",
		[]string{"resource_type"}, nil)
	descManual = prometheus.NewDesc(NameManual,
		"Composites that exist and that no tenant asked for (made directly by the platform team). Exact for composites that exist.",
		[]string{"resource_type"}, nil)
	descActive = prometheus.NewDesc(NameActive,
		"Services delivered to an environment: the Argo CD Applications ServiceBundles compose and that are not being deleted, by team and environment. Exact.",
		[]string{"team", "environment"}, nil)
	descFirstDeploy = prometheus.NewDesc(NameFirstDeploy,
		"Time from a ServiceBundle's creation to its staging Application's first completed sync (Argo CD's history entry 0), by team, one observation per Application whose history still holds that entry. Exact; an Application whose first entry Argo CD has dropped is left out.",
		[]string{"team"}, nil)
	descRepositories = prometheus.NewDesc(NameRepositories,
		"GitHub repositories provider-paved manages (Repository objects, cluster-scoped and namespaced), by origin: generated from a golden-path template, or other. Exact for the kinds platform_signals_source_available reports read.",
		[]string{"origin"}, nil)
	descAdoption = prometheus.NewDesc(NameAdoption,
		"Golden-path adoption: repositories generated from a golden-path template over all repositories provider-paved manages, cluster-scoped and namespaced. Absent while it manages none.",
		nil, nil)
	descLeadTime = prometheus.NewDesc(NameLeadTime,
		"Time from the commit of a deployed revision (its committer date on GitHub: an estimate, the committer's clock) to its production deploy (Argo CD's history deployedAt: exact), one observation per production deploy of a ServiceBundle's Application that Argo CD's history still holds and whose commit time provider-paved has read, by team and service.",
		[]string{"team", "service"}, nil)
	descDayTwo = prometheus.NewDesc(NameDayTwo,
		"Databases with a finding of the day-two check (function-paved's CronOperations paved-database-checks and paved-database-checks-namespaced) in the newest successful run of each, by check. Exact for those runs; absent while no run has succeeded.",
		[]string{"check"}, nil)
	descDayTwoAt = prometheus.NewDesc(NameDayTwoAt,
		"When the least recent of the runs platform_database_checks_findings reads finished (its Succeeded condition's last transition).",
		nil, nil)
	descSource = prometheus.NewDesc(NameSourceAvailable,
		"1 when the kind's objects could be read for the platform metrics, 0 when its CRD is absent, its informer has not synced (or cannot list it: RBAC) or listing failed; the metrics leave its objects out.",
		[]string{"kind"}, nil)
)

// Synced says whether a kind's informer has synced (Sources).
type Synced interface {
	Synced(gvk schema.GroupVersionKind) bool
}

// Collector computes the platform metrics at scrape time from the objects a
// reader lists: the manager's informer cache in the provider. Nothing is
// counted in memory: a new Collector over the same objects reports the same
// values.
type Collector struct {
	reader  client.Reader
	sources Synced
	log     logging.Logger
	// Commits, when set, knows the commit times of deployed revisions
	// (platform_lead_time_seconds).
	Commits *CommitTimes
	// Timeout bounds one scrape's listing.
	Timeout time.Duration
}

// NewCollector returns a Collector that lists with r the kinds s has
// synced.
func NewCollector(r client.Reader, s Synced, log logging.Logger) *Collector {
	return &Collector{reader: r, sources: s, log: log, Timeout: 10 * time.Second}
}

// Describe sends every descriptor of the Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCreations, descProvisioning, descSelfService, descManual, descActive, descFirstDeploy, descRepositories, descAdoption, descLeadTime, descDayTwo, descDayTwoAt, descSource} {
		ch <- d
	}
}

// Collect lists the objects and sends the metrics computed from them.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	s := c.state(ctx, ch)
	v := Compute(s)

	for _, k := range sortedKeys(v.Creations, func(a, b CreationKey) bool {
		return a.Template+"/"+a.Team+"/"+a.Status < b.Template+"/"+b.Team+"/"+b.Status
	}) {
		ch <- prometheus.MustNewConstMetric(descCreations, prometheus.CounterValue, float64(v.Creations[k]), k.Template, k.Team, k.Status)
	}
	for _, k := range sortedKeys(v.Provisioning, func(a, b ProvisioningKey) bool { return a.ResourceType+"/"+a.Provider < b.ResourceType+"/"+b.Provider }) {
		h := v.Provisioning[k]
		ch <- prometheus.MustNewConstHistogram(descProvisioning, h.Count, h.Sum, h.Buckets, k.ResourceType, k.Provider)
	}
	for _, t := range sortedKeys(v.SelfService, func(a, b string) bool { return a < b }) {
		ch <- prometheus.MustNewConstMetric(descSelfService, prometheus.CounterValue, float64(v.SelfService[t]), t)
	}
	for _, t := range sortedKeys(v.Manual, func(a, b string) bool { return a < b }) {
		ch <- prometheus.MustNewConstMetric(descManual, prometheus.CounterValue, float64(v.Manual[t]), t)
	}
	for _, k := range sortedKeys(v.Active, func(a, b ActiveKey) bool { return a.Team+"/"+a.Environment < b.Team+"/"+b.Environment }) {
		ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(v.Active[k]), k.Team, k.Environment)
	}
	for _, team := range sortedKeys(v.FirstDeploy, func(a, b string) bool { return a < b }) {
		h := v.FirstDeploy[team]
		ch <- prometheus.MustNewConstHistogram(descFirstDeploy, h.Count, h.Sum, h.Buckets, team)
	}
	for _, k := range sortedKeys(v.LeadTime, func(a, b LeadKey) bool { return a.Team+"/"+a.Service < b.Team+"/"+b.Service }) {
		h := v.LeadTime[k]
		ch <- prometheus.MustNewConstHistogram(descLeadTime, h.Count, h.Sum, h.Buckets, k.Team, k.Service)
	}
	if v.DayTwo != nil {
		for _, c := range DayTwoChecks {
			ch <- prometheus.MustNewConstMetric(descDayTwo, prometheus.GaugeValue, float64(v.DayTwo[c]), c)
		}
		ch <- prometheus.MustNewConstMetric(descDayTwoAt, prometheus.GaugeValue, float64(v.DayTwoAt.Unix()))
	}
	if s.RepositoriesAvailable || s.NamespacedRepositoriesAvailable {
		for _, o := range []string{OriginGoldenPath, OriginOther} {
			ch <- prometheus.MustNewConstMetric(descRepositories, prometheus.GaugeValue, float64(v.Repositories[o]), o)
		}
		if all := v.Repositories[OriginGoldenPath] + v.Repositories[OriginOther]; all > 0 {
			ch <- prometheus.MustNewConstMetric(descAdoption, prometheus.GaugeValue, float64(v.Repositories[OriginGoldenPath])/float64(all))
		}
	}
}

// state lists every kind that can be listed, and reports for each whether
// it could. The cache hands out its own objects, not copies
// (client.UnsafeDisableDeepCopy): Compute only reads them, and a scrape
// then costs no copy of every object the provider manages.
func (c *Collector) state(ctx context.Context, ch chan<- prometheus.Metric) State {
	s := State{Objects: map[schema.GroupVersionKind][]unstructured.Unstructured{}}
	if c.Commits != nil {
		s.CommitTime = c.Commits.Get
	}
	for _, gvk := range Watched {
		ok := c.sources.Synced(gvk)
		if ok {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
			if err := c.reader.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
				c.log.Info("Platform metrics cannot list a kind; leaving it out of this scrape", "kind", gvk.String(), "error", err.Error())
				ok = false
			} else {
				s.Objects[gvk] = l.Items
			}
		}
		ch <- prometheus.MustNewConstMetric(descSource, prometheus.GaugeValue, gauge(ok), gvk.GroupKind().String())
	}
	rl := &ghv1alpha1.RepositoryList{}
	if err := c.reader.List(ctx, rl, client.UnsafeDisableDeepCopy); err != nil {
		c.log.Info("Platform metrics cannot list Repositories; leaving them out of this scrape", "error", err.Error())
	} else {
		s.Repositories, s.RepositoriesAvailable = rl.Items, true
	}
	ch <- prometheus.MustNewConstMetric(descSource, prometheus.GaugeValue, gauge(s.RepositoriesAvailable), Repository.GroupKind().String())
	nl := &nsghv1alpha1.RepositoryList{}
	if err := c.reader.List(ctx, nl, client.UnsafeDisableDeepCopy); err != nil {
		c.log.Info("Platform metrics cannot list namespaced Repositories; leaving them out of this scrape", "error", err.Error())
	} else {
		s.NamespacedRepositories, s.NamespacedRepositoriesAvailable = nl.Items, true
	}
	ch <- prometheus.MustNewConstMetric(descSource, prometheus.GaugeValue, gauge(s.NamespacedRepositoriesAvailable), NamespacedRepository.GroupKind().String())
	return s
}

func gauge(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}

func sortedKeys[K comparable, V any](m map[K]V, less func(a, b K) bool) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return less(ks[i], ks[j]) })
	return ks
}
