// Package github builds GitHub API clients for the paved provider: token or
// GitHub App authentication, GitHub Enterprise Server base URLs, an ETag
// cache that turns steady-state reads into conditional requests (304s do
// not count against GitHub's rate limit), rate-limit handling and metrics.
package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v85/github"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errNoCredentials = "GitHub credentials are incomplete: need a token or a GitHub App id, installation id and private key"
	errAppKey        = "cannot use the GitHub App private key (is it a PEM-encoded RSA key?)"
	errBaseURL       = "cannot use GitHub base URL"
	errInsecure      = "spec.github.baseURL %q is http://: GitHub credentials are only sent over https (http:// is allowed only for a stand-in on loopback with --github-allow-http-loopback)"
)

// DefaultReadBudget is the share of an identity's primary rate limit its
// reads may spend per window: 80%, leaving a fifth of GitHub's 5,000 an
// hour for writes and for people and tools using the same identity.
const DefaultReadBudget = 0.8

// Credentials authenticate to GitHub: a token, or a GitHub App installation.
type Credentials struct {
	Token          string
	AppID          int64
	InstallationID int64
	PrivateKey     []byte
}

// Config describes one GitHub endpoint and identity.
type Config struct {
	// ProviderConfig names the ProviderConfig the Config was read from.
	// It does not take part in identifying the client: ProviderConfigs with
	// the same endpoint and credentials share one.
	ProviderConfig string
	// BaseURL of the REST API as the ProviderConfig gives it; see
	// EndpointsFor for how it is normalised. Empty means GitHub.com.
	BaseURL     string
	Credentials Credentials
}

// Options tune clients; the zero value uses the defaults.
type Options struct {
	// Transport is the underlying transport (default http.DefaultTransport).
	Transport http.RoundTripper
	// Timeout bounds each HTTP request (default 30s).
	Timeout time.Duration
	// MaxInlineWait is the longest rate-limit or pacing wait slept through
	// inside a request (default 2s); longer waits fail fast until they are
	// over.
	MaxInlineWait time.Duration
	// CacheMaxBytes bounds the ETag cache of each identity (default
	// DefaultCacheMaxBytes).
	CacheMaxBytes int64
	// ContentWritesPerMinute and ContentWritesPerHour pace the
	// content-creating requests of each identity (defaults: GitHub's
	// documented 80 and 500). Tests may lower them.
	ContentWritesPerMinute int
	ContentWritesPerHour   int
	// ServerContentWritesPerMinute and ServerContentWritesPerHour pace the
	// content-creating requests of each identity on GitHub Enterprise
	// Server. 0 (the default) does not pace: "Rate limits are disabled by
	// default for GitHub Enterprise Server"; a site administrator may
	// enable them
	// (https://docs.github.com/en/enterprise-server@latest/admin/configuring-settings/configuring-user-applications-for-your-enterprise/configuring-rate-limits).
	// Primary limits are honoured from GitHub's answers wherever sent.
	ServerContentWritesPerMinute int
	ServerContentWritesPerHour   int
	// AllowHTTPLoopback lets a base URL be http:// when its host is a
	// loopback address (a GitHub stand-in in tests); otherwise only https
	// carries credentials.
	AllowHTTPLoopback bool
	// ReadBudget is the share of GitHub's primary limit (X-RateLimit-Limit)
	// an identity's reads may spend in one window (default
	// DefaultReadBudget); once spent, reads wait for the window's reset.
	// The rest stays for writes and for anyone else using the identity.
	ReadBudget float64
	// RateLimitTimeScale compresses GitHub's minute and hour in the
	// pacing of content writes, for a stand-in that compresses them too
	// (default 1: GitHub's time).
	RateLimitTimeScale float64
	// Now and Sleep replace the clock (tests).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// identity is what GitHub keeps rate limits for: a token, or a GitHub App
// installation, on one GitHub. Its state is shared by every client of the
// identity.
type identity struct {
	label  string
	limits *limitState
	cache  *etagStore
}

// A Pool keeps one client per GitHub identity and credentials, so the ETag
// cache, the rate-limit and pacing state and GitHub App installation tokens
// survive across reconciles and are shared by all ProviderConfigs that use
// the same identity. A client no ProviderConfig uses any more (its
// credentials were rotated) is dropped, and with the last client of an
// identity the identity's state and metrics.
type Pool struct {
	opts Options

	mu         sync.Mutex
	clients    map[string]*pooled
	identities map[string]*identity
	// inUse maps a ProviderConfig to the key of the client it last asked
	// for.
	inUse map[string]string
}

type pooled struct {
	client   *gh.Client
	identity string
}

// NewPool returns an empty Pool.
func NewPool(o Options) *Pool {
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxInlineWait == 0 {
		o.MaxInlineWait = 2 * time.Second
	}
	if o.CacheMaxBytes == 0 {
		o.CacheMaxBytes = DefaultCacheMaxBytes
	}
	if o.ContentWritesPerMinute == 0 {
		o.ContentWritesPerMinute = DefaultContentWritesPerMinute
	}
	if o.ContentWritesPerHour == 0 {
		o.ContentWritesPerHour = DefaultContentWritesPerHour
	}
	if o.ReadBudget == 0 {
		o.ReadBudget = DefaultReadBudget
	}
	if o.RateLimitTimeScale == 0 {
		o.RateLimitTimeScale = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	return &Pool{opts: o, clients: map[string]*pooled{}, identities: map[string]*identity{}, inUse: map[string]string{}}
}

// Identity returns the metric label of the GitHub identity cfg
// authenticates as: "<API host>/app/<app id>/installation/<installation id>"
// for a GitHub App installation, "<API host>/token/<first 12 hex digits of
// the token's SHA-256>" for a token (never the token). It fails when the
// base URL or the credentials are unusable.
func Identity(cfg Config) (string, error) {
	ep, err := EndpointsFor(cfg.BaseURL)
	if err != nil {
		return "", err
	}
	host := ep.API.Host + strings.TrimSuffix(ep.API.Path, "/")
	switch c := cfg.Credentials; {
	case c.Token != "":
		sum := sha256.Sum256([]byte(c.Token))
		return host + "/token/" + hex.EncodeToString(sum[:])[:12], nil
	case c.AppID > 0 && c.InstallationID > 0 && len(c.PrivateKey) > 0:
		return host + "/app/" + strconv.FormatInt(c.AppID, 10) + "/installation/" + strconv.FormatInt(c.InstallationID, 10), nil
	default:
		return "", errors.New(errNoCredentials)
	}
}

// refuseInsecure refuses an http:// API root unless it is a loopback stand-in
// and o allows it.
func (o Options) refuseInsecure(ep Endpoints) error {
	if ep.API.Scheme != "http" {
		return nil
	}
	h := ep.API.Hostname()
	if ip := net.ParseIP(h); o.AllowHTTPLoopback && (h == "localhost" || (ip != nil && ip.IsLoopback())) {
		return nil
	}
	return errors.Errorf(errInsecure, ep.API.Redacted())
}

// clientKey identifies a client: its identity and the exact credentials
// (two keys of one GitHub App are two clients of one identity).
func clientKey(id string, c Credentials) string {
	h := sha256.New()
	for _, s := range []string{id, c.Token, string(c.PrivateKey)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Client returns the client for cfg, building it on first use.
func (p *Pool) Client(cfg Config) (*gh.Client, error) {
	id, err := Identity(cfg)
	if err != nil {
		return nil, err
	}
	ep, err := EndpointsFor(cfg.BaseURL)
	if err != nil {
		return nil, errors.Wrap(err, errBaseURL)
	}
	if err := p.opts.refuseInsecure(ep); err != nil {
		return nil, err
	}
	k := clientKey(id, cfg.Credentials)
	p.mu.Lock()
	defer p.mu.Unlock()
	if cfg.ProviderConfig != "" {
		old, ok := p.inUse[cfg.ProviderConfig]
		p.inUse[cfg.ProviderConfig] = k
		if ok && old != k {
			p.evictLocked(old)
		}
	}
	if c, ok := p.clients[k]; ok {
		return c.client, nil
	}
	c, err := p.newClient(cfg, p.identityLocked(id, ep.Server))
	if err != nil {
		return nil, err
	}
	p.clients[k] = &pooled{client: c, identity: id}
	return c, nil
}

// evictLocked drops the client k unless a ProviderConfig still uses it,
// and its identity with the identity's last client.
func (p *Pool) evictLocked(k string) {
	for _, used := range p.inUse {
		if used == k {
			return
		}
	}
	c, ok := p.clients[k]
	if !ok {
		return
	}
	delete(p.clients, k)
	for _, o := range p.clients {
		if o.identity == c.identity {
			return
		}
	}
	delete(p.identities, c.identity)
	RateLimitRemaining.DeleteLabelValues(c.identity)
	CacheBytes.DeleteLabelValues(c.identity)
	CacheEvictions.DeleteLabelValues(c.identity)
	Requests.DeletePartialMatch(prometheus.Labels{"identity": c.identity})
}

// Size returns how many clients and identities the pool holds.
func (p *Pool) Size() (clients, identities int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients), len(p.identities)
}

func (p *Pool) identityLocked(label string, server bool) *identity {
	if id, ok := p.identities[label]; ok {
		return id
	}
	pc := pacing{perMinute: p.opts.ContentWritesPerMinute, perHour: p.opts.ContentWritesPerHour,
		timeScale: p.opts.RateLimitTimeScale, readShare: p.opts.ReadBudget}
	if server {
		pc.perMinute, pc.perHour = p.opts.ServerContentWritesPerMinute, p.opts.ServerContentWritesPerHour
	}
	id := &identity{
		label:  label,
		limits: newLimitState(pc),
		cache: newETagStore(p.opts.CacheMaxBytes, func(b int64, evicted int) {
			CacheBytes.WithLabelValues(label).Set(float64(b))
			CacheEvictions.WithLabelValues(label).Add(float64(evicted))
		}),
	}
	p.identities[label] = id
	return id
}

type counting struct {
	next     http.RoundTripper
	identity string
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	rsp, err := c.next.RoundTrip(r)
	if err == nil {
		Requests.WithLabelValues(c.identity, r.Method, strconv.FormatBool(rsp.StatusCode == http.StatusNotModified)).Inc()
	}
	return rsp, err
}

func (p *Pool) newClient(cfg Config, id *identity) (*gh.Client, error) {
	ep, err := EndpointsFor(cfg.BaseURL)
	if err != nil {
		return nil, errors.Wrap(err, errBaseURL)
	}
	var tokens tokenSource
	switch c := cfg.Credentials; {
	case c.Token != "":
		tokens = staticToken(c.Token)
	case c.AppID > 0 && c.InstallationID > 0 && len(c.PrivateKey) > 0:
		apps, err := ghinstallation.NewAppsTransport(p.opts.Transport, c.AppID, c.PrivateKey)
		if err != nil {
			return nil, errors.New(errAppKey)
		}
		tokens = &installationTokens{apps: apps, apiRoot: strings.TrimSuffix(ep.API.String(), "/"), installationID: c.InstallationID, now: p.opts.Now}
	default:
		return nil, errors.New(errNoCredentials)
	}
	rl := &rateLimiter{
		next:          &counting{next: p.opts.Transport, identity: id.label},
		state:         id.limits,
		maxInlineWait: p.opts.MaxInlineWait,
		now:           p.opts.Now,
		sleep:         p.opts.Sleep,
		observe: func(n int) {
			RateLimitRemaining.WithLabelValues(id.label).Set(float64(n))
		},
	}
	// The ETag cache sits below the authentication: it keys what it sends
	// by the Authorization header (see etagCache).
	hc := &http.Client{
		Transport: &authorize{next: &etagCache{next: rl, store: id.cache}, tokens: tokens},
		Timeout:   p.opts.Timeout,
	}
	c := gh.NewClient(hc)
	c.BaseURL, c.UploadURL = ep.API, ep.Uploads
	return c, nil
}

// StatusCode returns the HTTP status of a GitHub API error, or 0.
func StatusCode(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		return rl.Response.StatusCode
	}
	var ab *gh.AbuseRateLimitError
	if errors.As(err, &ab) && ab.Response != nil {
		return ab.Response.StatusCode
	}
	return 0
}

// IsNotFound reports whether GitHub answered 404.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsNameTaken reports whether GitHub refused a repository creation because
// the name exists (422 with a name error).
func IsNameTaken(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if e.Field == "name" && (strings.Contains(e.Message, "already exists") || e.Code == "already_exists") {
			return true
		}
	}
	return strings.Contains(er.Message, "already exists")
}

// IsUnauthorized reports whether GitHub rejected the credentials.
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// Describe turns a GitHub error into a short message for conditions and
// events: the status and GitHub's message, never request headers.
func Describe(err error) string {
	if IsUnauthorized(err) {
		return "GitHub rejected the credentials (401 Bad credentials): check the ProviderConfig's token or GitHub App"
	}
	return err.Error()
}
