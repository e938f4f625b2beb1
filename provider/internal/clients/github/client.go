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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// DefaultRequestBudget is the share of an identity's primary rate limit
// the provider's requests, reads and writes alike, may spend per window:
// 80%, leaving a fifth of GitHub's 5,000 an hour for people and tools
// using the same identity.
const DefaultRequestBudget = 0.8

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
	// RequestBudget is the share of GitHub's primary limit
	// (X-RateLimit-Limit) an identity's requests may spend in one window
	// (default DefaultRequestBudget): GitHub counts every request, read
	// or write, against the same limit, so once the share is spent
	// (X-RateLimit-Remaining says how much is, whoever spent it) reads
	// and writes wait for the window's reset. The rest stays for anyone
	// else using the identity.
	RequestBudget float64
	// RateLimitTimeScale compresses GitHub's minute and hour in the
	// pacing of content writes, for a stand-in that compresses them too
	// (default 1: GitHub's time).
	RateLimitTimeScale float64
	// Now and Sleep replace the clock (tests).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// identity is what GitHub counts requests against
// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
// a user ("All of these requests count towards your personal rate limit of
// 5,000 requests per hour", whichever of the user's tokens sends them), or
// a GitHub App installation ("Primary rate limit for GitHub App
// installations"), on one GitHub. Its state is shared by every client of
// the identity. A token whose user the pool has not asked GitHub about
// (see Pool) is an identity of its own until it is asked.
type identity struct {
	// name is the metric label; it changes once when a token's identity
	// turns out to be its user's.
	name   atomic.Pointer[string]
	server bool
	limits *limitState
	cache  *etagStore
}

func (id *identity) label() string { return *id.name.Load() }

// A Pool keeps one client per GitHub credentials and one state per GitHub
// identity, so the ETag cache, the rate-limit and pacing state and GitHub
// App installation tokens survive across reconciles and are shared by all
// ProviderConfigs and credentials GitHub counts against the same identity.
//
// GitHub counts the requests of every token of a user against that user's
// limit, and neither a token nor GitHub's answers name the user (their
// X-RateLimit headers, like the uncounted GET /rate_limit, say how much of
// the budget is left, not whose it is). So the pool asks GitHub (GET
// /user: one counted request, once per token, with that token's own
// client), but only when it matters: when a second token is used on the
// same GitHub (two ProviderConfigs, or a ProviderConfig whose token was
// replaced). A lone token is keyed by itself at no cost: no other token of
// the provider spends its user's budget, and GitHub's answers report what
// anyone else spends of it. Tokens found to be one user's share one
// identity; the state the first had (what GitHub's answers said, reserved
// write slots) is the user's from then on.
//
// A client no ProviderConfig uses any more (its credentials were rotated,
// or its ProviderConfig deleted: Forget) is dropped, and with the last
// client of an identity the identity's state and metrics.
type Pool struct {
	opts Options

	mu         sync.Mutex
	clients    map[string]*pooled
	identities map[string]*identity
	// inUse maps a ProviderConfig to the key of the client it last asked
	// for.
	inUse map[string]string
	seq   uint64
}

type pooled struct {
	key string
	// seq orders clients by when they were built.
	seq      uint64
	client   *gh.Client
	identity *identity
	// cfg rebuilds the client onto another identity.
	cfg Config
	// root is the API root: tokens share an identity only on one GitHub.
	// host labels its identities.
	root, host string
	// user is the GitHub user a token authenticates as, once GitHub said.
	user int64
	// settled: the user is known, or GitHub will not tell (the token is
	// refused, or it is not a user's: an installation token answers 403);
	// the pool does not ask again.
	settled bool
	// retryAt: GitHub could not answer (outage, rate limit); ask again
	// no sooner.
	retryAt time.Time
	// asking is closed when the question under way is answered; nil when
	// none is.
	asking chan struct{}
}

func (c *pooled) token() bool { return c.cfg.Credentials.Token != "" }

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
	if o.RequestBudget == 0 {
		o.RequestBudget = DefaultRequestBudget
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

// apiHost is the API host and path prefix that labels an identity.
func apiHost(ep Endpoints) string {
	return ep.API.Host + strings.TrimSuffix(ep.API.Path, "/")
}

// Identity returns the metric label of the GitHub identity cfg
// authenticates as before the pool knows more:
// "<API host>/app/<app id>/installation/<installation id>" for a GitHub
// App installation, "<API host>/token/<first 12 hex digits of the token's
// SHA-256>" for a token (never the token). Once GitHub has said which user
// a token is (see Pool), the token's identity is "<API host>/user/<user
// id>" (Pool.IdentityOf). It fails when the base URL or the credentials
// are unusable.
func Identity(cfg Config) (string, error) {
	ep, err := EndpointsFor(cfg.BaseURL)
	if err != nil {
		return "", err
	}
	host := apiHost(ep)
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

// userIdentity labels the identity of a GitHub user on the GitHub whose
// API host is host.
func userIdentity(host string, user int64) string {
	return host + "/user/" + strconv.FormatInt(user, 10)
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

// clientKey identifies a client: its GitHub and its exact credentials
// (two keys of one GitHub App are two clients of one identity).
func clientKey(root string, c Credentials) string {
	h := sha256.New()
	for _, s := range []string{root, c.Token, strconv.FormatInt(c.AppID, 10), strconv.FormatInt(c.InstallationID, 10), string(c.PrivateKey)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Client returns the client for cfg, building it on first use.
func (p *Pool) Client(cfg Config) (*gh.Client, error) {
	return p.ClientContext(context.Background(), cfg)
}

// ClientContext returns the client for cfg, building it on first use. When
// cfg's token is the second on its GitHub, it first asks GitHub which user
// each of them is (see Pool), within ctx.
func (p *Pool) ClientContext(ctx context.Context, cfg Config) (*gh.Client, error) {
	label, err := Identity(cfg)
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
	root := ep.API.String()
	k := clientKey(root, cfg.Credentials)
	p.mu.Lock()
	old := ""
	if cfg.ProviderConfig != "" {
		old = p.inUse[cfg.ProviderConfig]
		p.inUse[cfg.ProviderConfig] = k
	}
	c, ok := p.clients[k]
	if !ok {
		id := p.identityLocked(label, ep.Server)
		cl, err := p.newClient(cfg, id)
		if err != nil {
			p.dropIfUnusedLocked(id)
			if old != "" && old != k {
				p.evictLocked(old)
			}
			p.mu.Unlock()
			return nil, err
		}
		p.seq++
		c = &pooled{key: k, seq: p.seq, client: cl, identity: id, cfg: cfg, root: root, host: apiHost(ep)}
		p.clients[k] = c
	}
	ask := p.toAskLocked(c)
	// Asked about by this call or by another one under way: the client
	// is returned once it is on its user's identity.
	wait := c.asking
	p.mu.Unlock()

	// The client of a ProviderConfig's old credentials is dropped only
	// after the new token was asked about: if both are one user's, the
	// user's state (reserved write slots, what GitHub's answers said)
	// stays with the new one.
	if len(ask) > 0 {
		p.ask(ctx, ask)
	}
	if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
		}
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if old != "" && old != k {
		p.evictLocked(old)
	}
	if c, ok := p.clients[k]; ok {
		return c.client, nil
	}
	// Evicted meanwhile (the ProviderConfig moved on again): still a
	// usable client of these credentials.
	return c.client, nil
}

// lookupRetry is how long the pool waits before asking GitHub again which
// user a token is, after GitHub could not answer.
const lookupRetry = time.Minute

// toAskLocked returns the token clients on c's GitHub whose user the pool
// must ask GitHub about now, and marks them asked: none while c is the
// only token client there (a lone token is its user's only budget here).
func (p *Pool) toAskLocked(c *pooled) []*pooled {
	if !c.token() {
		return nil
	}
	var same []*pooled
	for _, o := range p.clients {
		if o.token() && o.root == c.root {
			same = append(same, o)
		}
	}
	if len(same) < 2 {
		return nil
	}
	now := p.opts.Now()
	var ask []*pooled
	for _, o := range same {
		if o.settled || o.asking != nil || now.Before(o.retryAt) {
			continue
		}
		o.asking = make(chan struct{})
		ask = append(ask, o)
	}
	return ask
}

// answer is what GitHub said about a token's user.
type answer struct {
	c       *pooled
	user    int64
	settled bool
	retryAt time.Time
}

// ask asks GitHub which user each token of cs is, each with its own
// client (GET /user, through its identity's limits), and moves each onto
// its user's identity.
func (p *Pool) ask(ctx context.Context, cs []*pooled) {
	// The question is not the resource's: it takes no slot of the
	// reconcile's ticket and is not held against it.
	ctx = WithTicket(ctx, nil)
	answers := make([]answer, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { answers[i] = p.whoIs(ctx, c) })
	}
	wg.Wait()

	p.mu.Lock()
	defer p.mu.Unlock()
	// Clients older than this question first: the identity a user's
	// state already lives in is the one that stays.
	sort.Slice(answers, func(i, j int) bool { return answers[i].c.seq < answers[j].c.seq })
	for _, a := range answers {
		c := a.c
		close(c.asking)
		c.asking = nil
		if p.clients[c.key] != c {
			continue // evicted meanwhile
		}
		if a.user == 0 {
			c.settled, c.retryAt = a.settled, a.retryAt
			continue
		}
		c.user, c.settled = a.user, true
		p.moveLocked(c, userIdentity(c.host, a.user))
	}
}

// whoIs asks GitHub which user c's token is: "Get the authenticated user"
// (https://docs.github.com/en/rest/users/users#get-the-authenticated-user),
// which any personal access token, classic or fine-grained, may call, and
// an installation token may not (GitHub answers 403 "Resource not
// accessible by integration").
func (p *Pool) whoIs(ctx context.Context, c *pooled) answer {
	u, _, err := c.client.Users.Get(ctx, "")
	if err == nil && u.GetID() != 0 {
		return answer{c: c, user: u.GetID(), settled: true}
	}
	now := p.opts.Now()
	var rl *RateLimitedError
	var prim *gh.RateLimitError
	var sec *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return answer{c: c, retryAt: rl.Until}
	case errors.As(err, &prim):
		return answer{c: c, retryAt: prim.Rate.Reset.Time}
	case errors.As(err, &sec):
		return answer{c: c, retryAt: now.Add(sec.GetRetryAfter())}
	}
	switch StatusCode(err) {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		// The token is refused, or it is not a user's: it stays an
		// identity of its own.
		return answer{c: c, settled: true}
	}
	return answer{c: c, retryAt: now.Add(lookupRetry)}
}

// moveLocked makes label c's identity: c's own identity is renamed when
// no identity has that label yet; otherwise c's state joins the one that
// has it and c's client is rebuilt on it.
func (p *Pool) moveLocked(c *pooled, label string) {
	cur := c.identity
	if cur.label() == label {
		return
	}
	to, ok := p.identities[label]
	if !ok && !p.sharedLocked(cur, c) {
		old := cur.label()
		delete(p.identities, old)
		deleteMetrics(old)
		cur.name.Store(&label)
		p.identities[label] = cur
		if n, _ := cur.limits.Remaining(); n >= 0 {
			RateLimitRemaining.WithLabelValues(label).Set(float64(n))
		}
		b, _ := cur.cache.size()
		CacheBytes.WithLabelValues(label).Set(float64(b))
		return
	}
	if !ok {
		to = p.identityLocked(label, cur.server)
	}
	to.limits.absorb(cur.limits)
	cl, err := p.newClient(c.cfg, to)
	if err != nil {
		return // the credentials built a client before: cannot happen
	}
	c.client, c.identity = cl, to
	p.dropIfUnusedLocked(cur)
}

// sharedLocked reports whether a client other than c uses id.
func (p *Pool) sharedLocked(id *identity, c *pooled) bool {
	for _, o := range p.clients {
		if o != c && o.identity == id {
			return true
		}
	}
	return false
}

// IdentityOf returns the label of the identity cfg's client counts
// against, if the pool holds that client.
func (p *Pool) IdentityOf(cfg Config) (string, bool) {
	ep, err := EndpointsFor(cfg.BaseURL)
	if err != nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.clients[clientKey(ep.API.String(), cfg.Credentials)]
	if !ok {
		return "", false
	}
	return c.identity.label(), true
}

// Forget drops what the ProviderConfig named pc used, once no other
// ProviderConfig uses it: for a deleted ProviderConfig.
func (p *Pool) Forget(pc string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k, ok := p.inUse[pc]
	if !ok {
		return
	}
	delete(p.inUse, pc)
	p.evictLocked(k)
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
	p.dropIfUnusedLocked(c.identity)
}

// dropIfUnusedLocked drops id, its state and its metrics when no client
// uses it.
func (p *Pool) dropIfUnusedLocked(id *identity) {
	for _, o := range p.clients {
		if o.identity == id {
			return
		}
	}
	if p.identities[id.label()] == id {
		delete(p.identities, id.label())
	}
	deleteMetrics(id.label())
}

func deleteMetrics(label string) {
	RateLimitRemaining.DeleteLabelValues(label)
	CacheBytes.DeleteLabelValues(label)
	CacheEvictions.DeleteLabelValues(label)
	Requests.DeletePartialMatch(prometheus.Labels{"identity": label})
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
		timeScale: p.opts.RateLimitTimeScale, budget: p.opts.RequestBudget}
	if server {
		pc.perMinute, pc.perHour = p.opts.ServerContentWritesPerMinute, p.opts.ServerContentWritesPerHour
	}
	id := &identity{limits: newLimitState(pc), server: server}
	id.name.Store(&label)
	id.cache = newETagStore(p.opts.CacheMaxBytes, func(b int64, evicted int) {
		l := id.label()
		CacheBytes.WithLabelValues(l).Set(float64(b))
		CacheEvictions.WithLabelValues(l).Add(float64(evicted))
	})
	p.identities[label] = id
	return id
}

type counting struct {
	next     http.RoundTripper
	identity *identity
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	rsp, err := c.next.RoundTrip(r)
	if err == nil {
		Requests.WithLabelValues(c.identity.label(), r.Method, strconv.FormatBool(rsp.StatusCode == http.StatusNotModified)).Inc()
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
		next:          &counting{next: p.opts.Transport, identity: id},
		state:         id.limits,
		maxInlineWait: p.opts.MaxInlineWait,
		now:           p.opts.Now,
		sleep:         p.opts.Sleep,
		observe: func(n int) {
			RateLimitRemaining.WithLabelValues(id.label()).Set(float64(n))
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
