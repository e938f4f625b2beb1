package github

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errInstallationToken = "cannot get a GitHub App installation token for installation %d"
	errTokenStatus       = "GitHub answered %d to the installation token request for installation %d"
	errTokenAnswer       = "cannot read GitHub's installation token answer for installation %d"

	// maxRefreshMargin is how long before its expiry an installation token
	// is replaced at most (ghinstallation's margin).
	maxRefreshMargin = time.Minute
)

// A tokenSource returns the token to authenticate a request with.
type tokenSource interface {
	Token(ctx context.Context) (string, error)
}

type staticToken string

func (t staticToken) Token(context.Context) (string, error) { return string(t), nil }

// installationTokens issues GitHub App installation tokens: POST
// /app/installations/{id}/access_tokens, authenticated by the App's JWT
// (ghinstallation signs it), answers a token and its expires_at
// ("The installation access token will expire after 1 hour",
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app).
// A token is replaced a tenth of its lifetime before it expires, at most a
// minute (ghinstallation's margin), on the pool's clock: ghinstallation's
// own Transport would use a fixed minute on the wall clock, which a token
// living a compressed hour on a stand-in would never outlive.
type installationTokens struct {
	apps           *ghinstallation.AppsTransport
	apiRoot        string // without trailing slash
	installationID int64
	now            func() time.Time

	mu        sync.Mutex
	token     string
	refreshAt time.Time
}

func (s *installationTokens) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Before(s.refreshAt) {
		return s.token, nil
	}
	// GitHub's OpenAPI description requires an object body.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		s.apiRoot+"/app/installations/"+strconv.FormatInt(s.installationID, 10)+"/access_tokens", bytes.NewReader([]byte("{}")))
	if err != nil {
		return "", errors.Wrapf(err, errInstallationToken, s.installationID)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/vnd.github+json")
	rsp, err := s.apps.RoundTrip(req)
	if err != nil {
		return "", errors.Wrapf(err, errInstallationToken, s.installationID)
	}
	defer rsp.Body.Close() //nolint:errcheck // Read to the end below.
	body, err := io.ReadAll(io.LimitReader(rsp.Body, 1<<20))
	if err != nil {
		return "", errors.Wrapf(err, errInstallationToken, s.installationID)
	}
	if rsp.StatusCode != http.StatusCreated {
		// The body is GitHub's message, never a token.
		return "", errors.Errorf(errTokenStatus+": %s", rsp.StatusCode, s.installationID, strings.TrimSpace(string(body)))
	}
	var a struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Token == "" {
		return "", errors.Errorf(errTokenAnswer, s.installationID)
	}
	margin := min(a.ExpiresAt.Sub(now)/10, maxRefreshMargin)
	s.token, s.refreshAt = a.Token, a.ExpiresAt.Add(-margin)
	return s.token, nil
}

// authorize sets the Authorization header of every request from a
// tokenSource.
type authorize struct {
	next   http.RoundTripper
	tokens tokenSource
}

func (a *authorize) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := a.tokens.Token(r.Context())
	if err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return a.next.RoundTrip(r)
}
