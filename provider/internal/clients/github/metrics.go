package github

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics are labelled by GitHub identity (see Identity and Pool): GitHub
// keeps its rate limits per user (whichever of the user's tokens) or GitHub
// App installation, and ProviderConfigs with the same credentials, or with
// tokens of the same user, share one identity.
var (
	// RateLimitRemaining is GitHub's X-RateLimit-Remaining as last seen per
	// identity.
	RateLimitRemaining = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "paved",
		Subsystem: "github",
		Name:      "rate_limit_remaining",
		Help:      "Requests left in the current GitHub primary rate-limit window, per GitHub identity (X-RateLimit-Remaining).",
	}, []string{"identity"})

	// Requests counts GitHub API requests per identity and whether
	// GitHub answered from a conditional request (304, not counted by GitHub).
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "paved",
		Subsystem: "github",
		Name:      "requests_total",
		Help:      "GitHub API requests sent, per GitHub identity, method and whether they were answered 304 Not Modified.",
	}, []string{"identity", "method", "not_modified"})

	// CacheBytes is the size of each identity's ETag cache.
	CacheBytes = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "paved",
		Subsystem: "github",
		Name:      "etag_cache_bytes",
		Help:      "Approximate bytes held by the ETag cache of a GitHub identity (bounded by --github-etag-cache-bytes).",
	}, []string{"identity"})

	// CacheEvictions counts entries evicted from an identity's ETag cache to
	// stay within its bound.
	CacheEvictions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "paved",
		Subsystem: "github",
		Name:      "etag_cache_evictions_total",
		Help:      "Entries evicted, least recently used first, from the ETag cache of a GitHub identity to stay within its bound.",
	}, []string{"identity"})
)

func init() {
	metrics.Registry.MustRegister(RateLimitRemaining, Requests, CacheBytes, CacheEvictions)
}
