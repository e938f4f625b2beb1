package ghtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type app struct {
	id            int64
	key           *rsa.PublicKey
	installations map[int64]*installation
}

// An installation of an App on an account.
type installation struct {
	login       string
	permissions map[string]string
	created     time.Time
}

// DefaultInstallationPermissions are the permissions an installation has
// unless SetInstallationPermissions says otherwise: what the App's owner
// chose of GitHub's App permissions (the description's app-permissions:
// a permission name and "read" or "write";
// https://docs.github.com/en/apps/creating-github-apps/registering-a-github-app/choosing-permissions-for-a-github-app).
var DefaultInstallationPermissions = map[string]string{"administration": "write", "contents": "write", "metadata": "read"}

// AddApp registers a GitHub App with its public key and one installation on
// the account login, with DefaultInstallationPermissions. Installation
// tokens it issues act as that account.
func (s *Server) AddApp(appID int64, key *rsa.PublicKey, installationID int64, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[appID]
	if !ok {
		a = &app{id: appID, key: key, installations: map[int64]*installation{}}
		s.apps[appID] = a
	}
	a.installations[installationID] = &installation{login: login, permissions: maps.Clone(DefaultInstallationPermissions), created: s.now().UTC().Truncate(time.Second)}
}

// SetInstallationPermissions replaces the permissions of an installation
// AddApp registered, as the App's owner changing them (and the
// organisation accepting the change) would. It reports whether the
// installation exists.
func (s *Server) SetInstallationPermissions(appID, installationID int64, permissions map[string]string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[appID]
	if !ok || a.installations[installationID] == nil {
		return false
	}
	a.installations[installationID].permissions = maps.Clone(permissions)
	return true
}

// getInstallation implements GET /app/installations/{installation_id},
// "Get an installation for the authenticated app"
// (https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app):
// authenticated by the App's JWT, 404 for an installation of another App,
// else the installation (the description's installation schema) with its
// account and permissions. s.mu is held.
func (s *Server) getInstallation(r *http.Request, idStr string) response {
	a, id, in, refused := s.appInstallation(r, idStr)
	if refused != nil {
		return *refused
	}
	acct := s.installationAccount(in.login)
	created := in.created.Format(time.RFC3339)
	return reply(http.StatusOK, map[string]any{
		"id": id, "app_id": a.id, "app_slug": "paved-" + strconv.FormatInt(a.id, 10),
		"target_id": acct.id, "target_type": acct.kind, "account": userBody(acct.login, acct.id, acct.kind),
		"single_file_name": nil, "repository_selection": "all",
		"access_tokens_url": apiHost + "/app/installations/" + idStr + "/access_tokens",
		"repositories_url":  apiHost + "/installation/repositories",
		"html_url":          "https://github.com/organizations/" + acct.login + "/settings/installations/" + idStr,
		"events":            []string{}, "permissions": maps.Clone(in.permissions),
		"created_at": created, "updated_at": created,
		"suspended_by": nil, "suspended_at": nil,
	})
}

// installationAccount is the account an installation is on, made an
// organisation if the stand-in does not know it yet. s.mu is held.
func (s *Server) installationAccount(login string) account {
	acct, ok := s.accounts[lower(login)]
	if !ok {
		s.nextID++
		acct = account{login: login, id: s.nextID, kind: "Organization"}
		s.accounts[lower(login)] = acct
	}
	return acct
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

// appInstallation is the App that the request's JWT authenticates and its
// installation idStr, as GitHub answers the installation endpoints: 401
// without a valid JWT, 404 for an installation of another App. s.mu is
// held.
func (s *Server) appInstallation(r *http.Request, idStr string) (*app, int64, *installation, *response) {
	jwt := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	a, ok := s.verifyJWT(jwt)
	if !ok {
		rsp := reply(http.StatusUnauthorized, basicError(401, "A JSON web token could not be decoded"))
		return nil, 0, nil, &rsp
	}
	id, _ := strconv.ParseInt(idStr, 10, 64)
	in, ok := a.installations[id]
	if !ok {
		rsp := reply(http.StatusNotFound, basicError(404, "Not Found"))
		return nil, 0, nil, &rsp
	}
	return a, id, in, nil
}

// installationToken implements POST /app/installations/{id}/access_tokens.
// s.mu is held.
func (s *Server) installationToken(r *http.Request, idStr string) response {
	_, id, in, refused := s.appInstallation(r, idStr)
	if refused != nil {
		return *refused
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "ghs_" + hex.EncodeToString(b)
	acct := s.installationAccount(in.login)
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
		"permissions":          maps.Clone(in.permissions),
		"repository_selection": "all",
	})
}
