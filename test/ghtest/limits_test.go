package ghtest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// call sends one request with the given token and extra headers.
func call(t *testing.T, s *Server, method, path, tok string, hdr map[string]string, body string) *http.Response {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	r, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Accept", "application/vnd.github+json")
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	rsp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	_ = rsp.Body.Close()
	return rsp
}

// TestConditionalRequestsLikeGitHub: GitHub's ETags depend on the
// credentials (answers "Vary: Accept, Authorization"); Last-Modified
// describes the resource, and If-Modified-Since is answered 304 whoever
// asks; If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3); a 304
// is not counted.
func TestConditionalRequestsLikeGitHub(t *testing.T) {
	s, _ := newServer(t)
	clock := useStepClock(s)
	s.AddToken("ghp_other", "octo")
	s.CreateOutOfBand("acme", "svc")
	a := call(t, s, http.MethodGet, "/repos/acme/svc", token, nil, "")
	b := call(t, s, http.MethodGet, "/repos/acme/svc", "ghp_other", nil, "")
	if a.StatusCode != http.StatusOK || b.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d, %d", a.StatusCode, b.StatusCode)
	}
	if a.Header.Get("ETag") == b.Header.Get("ETag") {
		t.Errorf("two tokens got the same ETag %s for the same answer", a.Header.Get("ETag"))
	}
	lm := a.Header.Get("Last-Modified")
	if lm == "" || lm != b.Header.Get("Last-Modified") {
		t.Errorf("Last-Modified %q and %q, want one date for the resource", lm, b.Header.Get("Last-Modified"))
	}
	counted := s.Stats().Counted
	cases := map[string]struct {
		tok  string
		hdr  map[string]string
		want int
	}{
		"own ETag":                       {tok: token, hdr: map[string]string{"If-None-Match": a.Header.Get("ETag")}, want: 304},
		"another token's ETag":           {tok: "ghp_other", hdr: map[string]string{"If-None-Match": a.Header.Get("ETag")}, want: 200},
		"If-Modified-Since, other token": {tok: "ghp_other", hdr: map[string]string{"If-Modified-Since": lm}, want: 304},
		"If-None-Match wins":             {tok: "ghp_other", hdr: map[string]string{"If-None-Match": a.Header.Get("ETag"), "If-Modified-Since": lm}, want: 200},
		"date before the change":         {tok: token, hdr: map[string]string{"If-Modified-Since": time.Unix(0, 0).UTC().Format(http.TimeFormat)}, want: 200},
	}
	want200 := 0
	for name, tc := range cases {
		rsp := call(t, s, http.MethodGet, "/repos/acme/svc", tc.tok, tc.hdr, "")
		if rsp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", name, rsp.StatusCode, tc.want)
		}
		if tc.want == 304 && rsp.Header.Get("ETag") == "" {
			t.Errorf("%s: 304 without an ETag", name)
		}
		if tc.want == 200 {
			want200++
		}
	}
	if got := s.Stats().Counted - counted; got != want200 {
		t.Errorf("%d counted, want %d (304s are not counted)", got, want200)
	}
	// A change moves Last-Modified on (HTTP dates are whole seconds).
	clock.Advance(1100 * time.Millisecond)
	s.Mutate("acme", "svc", func(r *RepoState) { r.Description = "changed" })
	if rsp := call(t, s, http.MethodGet, "/repos/acme/svc", "ghp_other", map[string]string{"If-Modified-Since": lm}, ""); rsp.StatusCode != http.StatusOK {
		t.Errorf("after a change, If-Modified-Since the old date: %d, want 200", rsp.StatusCode)
	}
}

// TestPrimaryLimitPerIdentity: the tokens of one user share its limit
// ("your personal rate limit"); an installation has its own.
func TestPrimaryLimitPerIdentity(t *testing.T) {
	s, _ := newServer(t)
	s.SetRateLimit(3)
	s.AddToken("ghp_same_user", "octo")
	s.AddToken("ghp_someone", "hubot")
	for i, tok := range []string{token, "ghp_same_user", token} {
		if rsp := call(t, s, http.MethodGet, "/users/octo", tok, nil, ""); rsp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i, rsp.StatusCode)
		}
	}
	rsp := call(t, s, http.MethodGet, "/users/octo", "ghp_same_user", nil, "")
	if rsp.StatusCode != http.StatusForbidden || rsp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("4th request of octo (another token): %d remaining %q, want 403 and 0", rsp.StatusCode, rsp.Header.Get("X-RateLimit-Remaining"))
	}
	if rsp := call(t, s, http.MethodGet, "/users/octo", "ghp_someone", nil, ""); rsp.StatusCode != http.StatusOK || rsp.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("another user: %d remaining %s, want 200 and 2", rsp.StatusCode, rsp.Header.Get("X-RateLimit-Remaining"))
	}
	if st := s.Stats(); st.PrimaryLimited != 1 || st.PeakCountedPerWindow != 3 {
		t.Errorf("PrimaryLimited = %d, PeakCountedPerWindow = %d; want 1, 3", st.PrimaryLimited, st.PeakCountedPerWindow)
	}
}

// TestSecondaryLimitOnContentCreation: 80 a minute, 500 an hour per
// identity, scaled; 403 with Retry-After; reads are not refused.
func TestSecondaryLimitOnContentCreation(t *testing.T) {
	s, _ := newServer(t)
	s.SetTimeScale(3600) // an hour in a second, a minute in 1/60 s
	s.SetSecondaryLimits(2, 3)
	clock := useStepClock(s)
	s.CreateOutOfBand("acme", "svc")
	put := func() *http.Response {
		return call(t, s, http.MethodPut, "/repos/acme/svc/topics", token, nil, `{"names":["a"]}`)
	}
	for i := range 2 {
		if rsp := put(); rsp.StatusCode != http.StatusOK {
			t.Fatalf("write %d: %d", i, rsp.StatusCode)
		}
	}
	rsp := put()
	if rsp.StatusCode != http.StatusForbidden || rsp.Header.Get("Retry-After") == "" {
		t.Errorf("3rd write within the (scaled) minute: %d Retry-After %q, want 403 with Retry-After", rsp.StatusCode, rsp.Header.Get("Retry-After"))
	}
	if rsp := call(t, s, http.MethodGet, "/repos/acme/svc", token, nil, ""); rsp.StatusCode != http.StatusOK {
		t.Errorf("a read during the secondary limit: %d", rsp.StatusCode)
	}
	clock.Advance(50 * time.Millisecond) // past the scaled minute
	if rsp := put(); rsp.StatusCode != http.StatusOK {
		t.Errorf("write after the minute: %d", rsp.StatusCode)
	}
	if rsp := put(); rsp.StatusCode != http.StatusForbidden {
		t.Errorf("4th write within the (scaled) hour: %d, want 403", rsp.StatusCode)
	}
	st := s.Stats()
	if st.SecondaryLimited != 2 || st.Writes != 3 || st.PeakWritesPerHour != 3 {
		t.Errorf("SecondaryLimited %d, Writes %d, PeakWritesPerHour %d; want 2, 3, 3", st.SecondaryLimited, st.Writes, st.PeakWritesPerHour)
	}
	clock.Advance(time.Second) // past the scaled hour
	if rsp := put(); rsp.StatusCode != http.StatusOK {
		t.Errorf("write after the hour: %d", rsp.StatusCode)
	}
}

// TestSecondaryLimitPerUser: the tokens of one user share its
// content-creation limit, as they share its primary limit; another user's
// token does not.
func TestSecondaryLimitPerUser(t *testing.T) {
	s, _ := newServer(t)
	s.SetSecondaryLimits(2, 100)
	s.AddToken("ghp_same_user", "octo")
	s.AddToken("ghp_someone", "hubot")
	s.CreateOutOfBand("acme", "svc")
	put := func(tok string) int {
		return call(t, s, http.MethodPut, "/repos/acme/svc/topics", tok, nil, `{"names":["a"]}`).StatusCode
	}
	got := []int{put(token), put("ghp_same_user"), put("ghp_same_user"), put("ghp_someone")}
	if want := []int{200, 200, 403, 200}; !slices.Equal(got, want) {
		t.Errorf("writes of octo, octo's other token twice, hubot: %v, want %v", got, want)
	}
}

// TestAuthenticatedUser: GET /user names a token's user (and is counted);
// an installation token is refused, as GitHub refuses it ("Resource not
// accessible by integration"; "Get the authenticated user" lists user
// tokens only, https://docs.github.com/en/rest/users/users#get-the-authenticated-user).
func TestAuthenticatedUser(t *testing.T) {
	s, _ := newServer(t)
	s.AddInstallationToken("ghs_installation", 70, "acme")
	cases := map[string]struct {
		tok    string
		status int
		id     int64
	}{
		"personal access token": {tok: token, status: 200, id: s.AccountID("octo")},
		"installation token":    {tok: "ghs_installation", status: 403},
	}
	for name, tc := range cases {
		before := s.Stats().Counted
		r, _ := http.NewRequest(http.MethodGet, s.URL+"/user", nil)
		r.Header.Set("Authorization", "Bearer "+tc.tok)
		rsp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var u struct {
			ID int64 `json:"id"`
		}
		_ = json.NewDecoder(rsp.Body).Decode(&u)
		_ = rsp.Body.Close()
		if rsp.StatusCode != tc.status || u.ID != tc.id {
			t.Errorf("%s: %d id %d, want %d id %d", name, rsp.StatusCode, u.ID, tc.status, tc.id)
		}
		if n := s.Stats().Counted - before; n != 1 {
			t.Errorf("%s: %d counted, want 1", name, n)
		}
	}
}

func appJWT(t *testing.T, key *rsa.PrivateKey, appID int64) string {
	t.Helper()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now().Unix()
	signing := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(map[string]any{"iss": strconv.FormatInt(appID, 10), "iat": now - 30, "exp": now + 300})
	d := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestInstallationTokensRotate: each POST .../access_tokens answers a new
// token expiring after the (scaled) hour; an expired token is refused;
// installation tokens count against the installation's limit.
func TestInstallationTokensRotate(t *testing.T) {
	s, _ := newServer(t)
	s.SetTimeScale(3600)
	clock := useStepClock(s)
	s.SetRateLimit(2)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.AddApp(9, &key.PublicKey, 91, "acme")
	issue := func() (string, time.Time) {
		r, _ := http.NewRequest(http.MethodPost, s.URL+"/app/installations/91/access_tokens", bytes.NewReader([]byte("{}")))
		r.Header.Set("Authorization", "Bearer "+appJWT(t, key, 9))
		r.Header.Set("Content-Type", "application/json")
		rsp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer rsp.Body.Close()
		var a struct {
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		if rsp.StatusCode != http.StatusCreated || json.NewDecoder(rsp.Body).Decode(&a) != nil {
			t.Fatalf("access_tokens: %d", rsp.StatusCode)
		}
		return a.Token, a.ExpiresAt
	}
	t1, exp := issue()
	if d := exp.Sub(clock.Now()); d > 2*time.Second {
		t.Errorf("token expires in %v, want the scaled hour (1 s, to the second)", d)
	}
	t2, _ := issue()
	if t1 == t2 {
		t.Errorf("the same token twice")
	}
	if rsp := call(t, s, http.MethodGet, "/repos/acme/x", t1, nil, ""); rsp.StatusCode != http.StatusNotFound {
		t.Errorf("a fresh token: %d, want 404 (authenticated)", rsp.StatusCode)
	}
	// Both tokens draw on the installation's limit of 2.
	call(t, s, http.MethodGet, "/repos/acme/x", t2, nil, "")
	if rsp := call(t, s, http.MethodGet, "/repos/acme/x", t1, nil, ""); rsp.StatusCode != http.StatusForbidden {
		t.Errorf("3rd request of the installation: %d, want 403", rsp.StatusCode)
	}
	clock.Advance(exp.Sub(clock.Now()) + 50*time.Millisecond)
	if rsp := call(t, s, http.MethodGet, "/repos/acme/x", t1, nil, ""); rsp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an expired token: %d, want 401", rsp.StatusCode)
	}
}
