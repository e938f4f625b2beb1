package ghtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type app struct {
	id            int64
	key           *rsa.PublicKey
	installations map[int64]string // installation id -> account login
}

// AddApp registers a GitHub App with its public key and one installation on
// the account login. Installation tokens it issues act as that account.
func (s *Server) AddApp(appID int64, key *rsa.PublicKey, installationID int64, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[appID]
	if !ok {
		a = &app{id: appID, key: key, installations: map[int64]string{}}
		s.apps[appID] = a
	}
	a.installations[installationID] = login
}

// verifyJWT checks an RS256 App JWT as GitHub does: signature by the App's
// key, iss the App id, iat/exp current and at most ten minutes apart.
func (s *Server) verifyJWT(token string) (*app, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string `json:"iss"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	c, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(h, &hdr) != nil || json.Unmarshal(c, &claims) != nil || hdr.Alg != "RS256" {
		return nil, false
	}
	id, err := strconv.ParseInt(claims.Iss, 10, 64)
	if err != nil {
		return nil, false
	}
	a, ok := s.apps[id]
	if !ok {
		return nil, false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(a.key, crypto.SHA256, digest[:], sig) != nil {
		return nil, false
	}
	now := s.now().Unix()
	if claims.Exp <= now || claims.Iat > now+60 || claims.Exp-claims.Iat > 600 {
		return nil, false
	}
	return a, true
}

// installationToken implements POST /app/installations/{id}/access_tokens.
// s.mu is held.
func (s *Server) installationToken(r *http.Request, idStr string) response {
	jwt := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	a, ok := s.verifyJWT(jwt)
	if !ok {
		return reply(http.StatusUnauthorized, basicError(401, "A JSON web token could not be decoded"))
	}
	id, _ := strconv.ParseInt(idStr, 10, 64)
	login, ok := a.installations[id]
	if !ok {
		return reply(http.StatusNotFound, basicError(404, "Not Found"))
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "ghs_" + hex.EncodeToString(b)
	acct, ok := s.accounts[lower(login)]
	if !ok {
		s.nextID++
		acct = account{login: login, id: s.nextID, kind: "Organization"}
		s.accounts[lower(login)] = acct
	}
	s.tokens[tok] = acct
	// A new token each time, expiring after (scaled) hour: "The
	// installation access token will expire after 1 hour"
	// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app).
	// Its requests count against the installation's primary limit.
	exp := s.now().Add(s.scaled(time.Hour)).Truncate(time.Second)
	s.tokenInstallation[tok], s.tokenExpiry[tok] = id, exp
	s.stats.InstallationTokens++
	return reply(http.StatusCreated, map[string]any{
		"token":                tok,
		"expires_at":           exp.UTC().Format(time.RFC3339),
		"permissions":          map[string]any{"administration": "write", "contents": "write", "metadata": "read"},
		"repository_selection": "all",
	})
}
