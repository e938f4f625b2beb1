// Command provider runs paved's Crossplane provider: GitHub repositories and
// files, and Backstage catalog registrations, as managed resources, both
// cluster-scoped (github.paved.dev, backstage.paved.dev) and namespaced
// (github.m.paved.dev, backstage.m.paved.dev; provider/README.md), each
// kind's one controller set up for both scopes.
//
// It runs in-cluster, or out of cluster with --kubeconfig or KUBECONFIG.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/provider/apis"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	pcontroller "github.com/paved-dev/paved/provider/internal/controller"
	"github.com/paved-dev/paved/provider/internal/signals"
)

func main() {
	if err := run(os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "provider:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("provider", flag.ContinueOnError)
	var (
		debug            = fs.Bool("debug", false, "Run with debug logging.")
		syncInterval     = fs.Duration("sync", time.Hour, "Controller manager sync period, such as 300ms, 1.5h or 2h45m.")
		pollInterval     = fs.Duration("poll", 10*time.Minute, "How often each resource is checked for drift.")
		githubTimeout    = fs.Duration("github-timeout", 30*time.Second, "How long one GitHub API request may take before it is abandoned (and retried by a later reconcile).")
		maxReconcileRate = fs.Int("max-reconcile-rate", 10, "Global reconciles per second, and concurrent reconciles per controller.")
		leaderElection   = fs.Bool("leader-election", envBool("LEADER_ELECTION"), "Use leader election (env LEADER_ELECTION).")
		metricsAddr      = fs.String("metrics-bind-address", envOr("METRICS_BIND_ADDRESS", "127.0.0.1:8080"), "Address of the Prometheus metrics endpoint; \"0\" disables it. In a pod use :8080.")
		healthAddr       = fs.String("health-probe-bind-address", envOr("HEALTH_PROBE_BIND_ADDRESS", "127.0.0.1:8081"), "Address of the /healthz and /readyz endpoints; \"0\" disables them. In a pod use :8081.")
		pprofAddr        = fs.String("pprof-bind-address", "", "Address of Go's profiling endpoints (/debug/pprof/, net/http/pprof), such as 127.0.0.1:6060; empty disables them. For diagnosis only: bind to loopback.")
		etagCacheBytes   = fs.Int64("github-etag-cache-bytes", ghclient.DefaultCacheMaxBytes, "Bound of each GitHub identity's ETag cache in bytes (least recently used entries are evicted).")
		writesPerMinute  = fs.Int("github-content-writes-per-minute", ghclient.DefaultContentWritesPerMinute, "Content-creating GitHub requests (POST, PATCH, PUT, DELETE) allowed per identity per minute; GitHub documents 80. Raise it only for a GitHub stand-in.")
		writesPerHour    = fs.Int("github-content-writes-per-hour", ghclient.DefaultContentWritesPerHour, "Content-creating GitHub requests allowed per identity per hour; GitHub documents 500. Raise it only for a GitHub stand-in.")
		serverPerMinute  = fs.Int("github-enterprise-server-content-writes-per-minute", 0, "Content-creating requests allowed per identity per minute on GitHub Enterprise Server; 0 (the default) does not pace, as GHES rate limits are off unless its administrator enables them.")
		serverPerHour    = fs.Int("github-enterprise-server-content-writes-per-hour", 0, "Content-creating requests allowed per identity per hour on GitHub Enterprise Server; 0 (the default) does not pace.")
		requestBudget    = fs.Float64("github-request-budget", ghclient.DefaultRequestBudget, "Share of each identity's GitHub primary rate limit that the provider's requests, reads and writes alike, may spend per window; the rest is kept for other users of the identity.")
		timeScale        = fs.Float64("github-rate-limit-time-scale", 1, "Compresses GitHub's minute and hour in write pacing, for a GitHub stand-in that does the same. Keep 1 for GitHub.")
		allowHTTP        = fs.Bool("github-allow-http-loopback", false, "Allow http:// GitHub base URLs on a loopback address (a GitHub stand-in in tests). Without it credentials go only over https.")
		_                = fs.String("kubeconfig", "", "Path to a kubeconfig; defaults to KUBECONFIG, then in-cluster configuration.")
		printVersion     = fs.Bool("version", false, "Print the version and exit.")
	)
	// --github-read-budget was this flag's name when writes were not
	// counted against the budget.
	fs.Float64Var(requestBudget, "github-read-budget", ghclient.DefaultRequestBudget, "Deprecated: use --github-request-budget.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *printVersion {
		fmt.Println(version.Version)
		return nil
	}
	if kc := fs.Lookup("kubeconfig").Value.String(); kc != "" {
		if _, err := os.Stat(kc); err != nil {
			return errors.Wrap(err, "cannot read --kubeconfig")
		}
		// controller-runtime reads the kubeconfig from its own flag or
		// KUBECONFIG; the flag wins over the environment.
		if err := os.Setenv("KUBECONFIG", kc); err != nil {
			return errors.Wrap(err, "cannot set KUBECONFIG")
		}
	}

	zl := zap.New(zap.UseDevMode(*debug), func(o *zap.Options) { o.TimeEncoder = zapcore.ISO8601TimeEncoder })
	log := logging.NewLogrLogger(zl.WithName("paved-provider"))
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	if *debug {
		ctrl.SetLogger(zl)
	}
	log.Debug("Starting", "sync", syncInterval.String(), "poll", pollInterval.String(), "max-reconcile-rate", *maxReconcileRate,
		"github-timeout", githubTimeout.String())

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return errors.Wrap(err, "cannot get API server rest config")
	}
	mgr, err := ctrl.NewManager(ratelimiter.LimitRESTConfig(cfg, *maxReconcileRate), ctrl.Options{
		// Nothing here reads managedFields; an Update that omits them
		// keeps them on the API server. Stripping them from the cache
		// saves memory in proportion to the number of resources
		// (controller-runtime's TransformStripManagedFields;
		// https://kubernetes.io/docs/reference/using-api/server-side-apply/#clearing-managedfields).
		Cache:                      cache.Options{SyncPeriod: syncInterval, DefaultTransform: cache.TransformStripManagedFields()},
		LeaderElection:             *leaderElection,
		LeaderElectionID:           "crossplane-leader-election-provider-paved",
		LeaderElectionResourceLock: resourcelock.LeasesResourceLock,
		LeaderElectionNamespace:    os.Getenv("POD_NAMESPACE"),
		LeaseDuration:              ptr(60 * time.Second),
		RenewDeadline:              ptr(50 * time.Second),
		Metrics:                    metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress:     *healthAddr,
		PprofBindAddress:           *pprofAddr,
	})
	if err != nil {
		return errors.Wrap(err, "cannot create controller manager")
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return errors.Wrap(err, "cannot add health check")
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return errors.Wrap(err, "cannot add ready check")
	}
	if err := apis.AddToScheme(mgr.GetScheme()); err != nil {
		return errors.Wrap(err, "cannot add paved APIs to scheme")
	}

	mm := managed.NewMRMetricRecorder()
	sm := statemetrics.NewMRStateMetrics()
	metrics.Registry.MustRegister(mm, sm)

	o := controller.Options{
		Logger:                  log,
		MaxConcurrentReconciles: *maxReconcileRate,
		PollInterval:            *pollInterval,
		GlobalRateLimiter:       ratelimiter.NewGlobal(*maxReconcileRate),
		Features:                &feature.Flags{},
		MetricOptions:           &controller.MetricOptions{PollStateMetricInterval: 5 * time.Second, MRMetrics: mm, MRStateMetrics: sm},
	}
	// Management policies are always on: Observe-only is how users adopt.
	o.Features.Enable(feature.EnableBetaManagementPolicies)

	if *serverPerMinute < 0 || *serverPerHour < 0 || *requestBudget <= 0 || *requestBudget > 1 || *timeScale <= 0 {
		return errors.Errorf("--github-enterprise-server-content-writes-per-minute (%d) and -per-hour (%d) must not be negative, --github-request-budget (%v) must be in (0, 1], --github-rate-limit-time-scale (%v) positive",
			*serverPerMinute, *serverPerHour, *requestBudget, *timeScale)
	}
	if *etagCacheBytes <= 0 || *writesPerMinute <= 0 || *writesPerHour <= 0 || *githubTimeout <= 0 {
		return errors.Errorf("--github-etag-cache-bytes (%d), --github-content-writes-per-minute (%d), --github-content-writes-per-hour (%d) and --github-timeout (%v) must be positive",
			*etagCacheBytes, *writesPerMinute, *writesPerHour, *githubTimeout)
	}
	gho := ghclient.Options{CacheMaxBytes: *etagCacheBytes, ContentWritesPerMinute: *writesPerMinute, ContentWritesPerHour: *writesPerHour, Timeout: *githubTimeout,
		ServerContentWritesPerMinute: *serverPerMinute, ServerContentWritesPerHour: *serverPerHour, RequestBudget: *requestBudget,
		RateLimitTimeScale: *timeScale, AllowHTTPLoopback: *allowHTTP}
	// One pool: the platform metrics' GitHub requests (lead time) count
	// against the same identities' budgets as the controllers'.
	gh := ghclient.NewPool(gho)
	if err := pcontroller.Setup(mgr, o, gh); err != nil {
		return errors.Wrap(err, "cannot set up controllers")
	}
	// The guide's platform metrics, derived from the cluster's state at
	// scrape time and served with the ones above (provider/internal/signals
	// says why this process).
	if err := signals.Setup(mgr, log, gh); err != nil {
		return errors.Wrap(err, "cannot set up platform metrics")
	}
	return errors.Wrap(mgr.Start(ctrl.SetupSignalHandler()), "cannot start controller manager")
}

func ptr[T any](v T) *T { return &v }

func envOr(k, def string) string {
	if v, ok := os.LookupEnv(k); ok && v != "" {
		return v
	}
	return def
}

func envBool(k string) bool {
	v := os.Getenv(k)
	return v == "true" || v == "1"
}
