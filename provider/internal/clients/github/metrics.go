package github

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	// RateLimitRemaining is GitHub's X-RateLimit-Remaining as last seen per
	// ProviderConfig.
	RateLimitRemaining = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "paved",
		Subsystem: "github",
		Name:      "rate_limit_remaining",
		Help:      "Requests left in the current GitHub primary rate-limit window, per ProviderConfig (X-RateLimit-Remaining).",
	}, []string{"provider_config"})

	// Requests counts GitHub API requests per ProviderConfig and whether
	// GitHub answered from a conditional request (304, not counted by GitHub).
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "paved",
		Subsystem: "github",
		Name:      "requests_total",
		Help:      "GitHub API requests sent, per ProviderConfig, method and whether they were answered 304 Not Modified.",
	}, []string{"provider_config", "method", "not_modified"})
)

func init() {
	metrics.Registry.MustRegister(RateLimitRemaining, Requests)
}
