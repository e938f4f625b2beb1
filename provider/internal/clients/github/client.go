// Package github builds GitHub API clients for the paved provider: token or
// GitHub App authentication, GitHub Enterprise Server base URLs, an ETag
// cache that turns steady-state reads into conditional requests (304s do
// not count against GitHub's rate limit), rate-limit handling and metrics.
package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	ghv75 "github.com/google/go-github/v75/github" // the version ghinstallation/v2 v2.17.0 is built on
	gh "github.com/google/go-github/v85/github"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errNoCredentials = "GitHub credentials are incomplete: need a token or a GitHub App id, installation id and private key"
	errAppKey        = "cannot use the GitHub App private key (is it a PEM-encoded RSA key?)"
	errBaseURL       = "cannot use GitHub base URL"
)

// Credentials authenticate to GitHub: a token, or a GitHub App installation.
type Credentials struct {
	Token          string
	AppID          int64
	InstallationID int64
	PrivateKey     []byte
}

// Config describes one GitHub endpoint and identity.
type Config struct {
	// ProviderConfig names the ProviderConfig, used as metric label.
	ProviderConfig string
	// BaseURL of the REST API; empty means https://api.github.com/.
	BaseURL     string
	Credentials Credentials
}

// Options tune clients; the zero value uses the defaults.
type Options struct {
	// Transport is the underlying transport (default http.DefaultTransport).
	Transport http.RoundTripper
	// Timeout bounds each HTTP request (default 30s).
	Timeout time.Duration
	// MaxInlineWait is the longest rate-limit wait slept through inside a
	// request (default 2s); longer waits fail fast until they are over.
	MaxInlineWait time.Duration
	// Now and Sleep replace the clock (tests).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// A Pool keeps one client per GitHub identity, so the ETag cache, the rate
// limit state and GitHub App installation tokens survive across reconciles.
type Pool struct {
	opts Options

	mu      sync.Mutex
	clients map[string]*gh.Client
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
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	return &Pool{opts: o, clients: map[string]*gh.Client{}}
}

func (c Config) key() string {
	h := sha256.New()
	for _, s := range []string{c.ProviderConfig, c.BaseURL, c.Credentials.Token,
		strconv.FormatInt(c.Credentials.AppID, 10), strconv.FormatInt(c.Credentials.InstallationID, 10),
		string(c.Credentials.PrivateKey)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Client returns the client for cfg, building it on first use.
func (p *Pool) Client(cfg Config) (*gh.Client, error) {
	k := cfg.key()
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[k]; ok {
		return c, nil
	}
	c, err := p.newClient(cfg)
	if err != nil {
		return nil, err
	}
	p.clients[k] = c
	return c, nil
}

type tokenAuth struct {
	next  http.RoundTripper
	token string
}

func (t *tokenAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}

type counting struct {
	next http.RoundTripper
	pc   string
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	rsp, err := c.next.RoundTrip(r)
	if err == nil {
		Requests.WithLabelValues(c.pc, r.Method, strconv.FormatBool(rsp.StatusCode == http.StatusNotModified)).Inc()
	}
	return rsp, err
}

func (p *Pool) newClient(cfg Config) (*gh.Client, error) {
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	var auth http.RoundTripper
	switch c := cfg.Credentials; {
	case c.Token != "":
		auth = &tokenAuth{next: p.opts.Transport, token: c.Token}
	case c.AppID > 0 && c.InstallationID > 0 && len(c.PrivateKey) > 0:
		itr, err := ghinstallation.New(p.opts.Transport, c.AppID, c.InstallationID, c.PrivateKey)
		if err != nil {
			return nil, errors.New(errAppKey)
		}
		if base != "" {
			itr.BaseURL = base
		}
		// Send "{}" rather than "null": GitHub's OpenAPI description
		// requires an object body for access_tokens.
		itr.InstallationTokenOptions = &ghv75.InstallationTokenOptions{}
		auth = itr
	default:
		return nil, errors.New(errNoCredentials)
	}
	rl := &rateLimiter{
		next:          &counting{next: auth, pc: cfg.ProviderConfig},
		maxInlineWait: p.opts.MaxInlineWait,
		now:           p.opts.Now,
		sleep:         p.opts.Sleep,
		observe: func(n int) {
			RateLimitRemaining.WithLabelValues(cfg.ProviderConfig).Set(float64(n))
		},
	}
	hc := &http.Client{
		Transport: &etagCache{next: rl, entries: map[string]*cached{}},
		Timeout:   p.opts.Timeout,
	}
	c := gh.NewClient(hc)
	if base != "" {
		// The base URL is used as given: a GHES API root
		// (https://HOST/api/v3) or a test server.
		if err := setBaseURL(c, base+"/"); err != nil {
			return nil, errors.Wrap(err, errBaseURL)
		}
	}
	return c, nil
}

func setBaseURL(c *gh.Client, u string) error {
	pu, err := c.BaseURL.Parse(u)
	if err != nil {
		return err
	}
	c.BaseURL = pu
	c.UploadURL = pu
	return nil
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
