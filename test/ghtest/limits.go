package ghtest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// GitHub's rate limits as the stand-in plays them
// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
//   - the primary limit is kept per identity: "All of these requests count
//     towards your personal rate limit of 5,000 requests per hour" for a
//     user's tokens (so two tokens of one user share it), and per
//     installation for GitHub App installation tokens ("Primary rate limit
//     for GitHub App installations"). The window resets an hour after it
//     began (X-RateLimit-Reset);
//   - a 304 to a conditional request is not counted;
//   - secondary limits on content creation: "no more than 80
//     content-generating requests per minute and no more than 500
//     content-generating requests per hour", answered 403 with a
//     secondary-rate-limit message and Retry-After (off unless
//     SetSecondaryLimits turns them on).
//
// SetTimeScale compresses GitHub's hour (and minute) so that a test can
// play hours in minutes: installation tokens then expire after the
// compressed hour too.

// limitWindow is the primary-limit window of one identity.
type limitWindow struct {
	used  int
	reset time.Time
}

// writeLog is the content-creating requests of one identity, oldest first.
type writeLog []time.Time

// SetTimeScale makes one of GitHub's hours last hour/scale (scale 60: an
// hour in a minute): primary-limit windows, secondary-limit windows,
// Retry-After and installation token lifetimes. scale 1 is GitHub's time.
func (s *Server) SetTimeScale(scale float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if scale <= 0 {
		scale = 1
	}
	s.timeScale = scale
}

// SetSecondaryLimits turns GitHub's secondary limits on content-creating
// requests on (perMinute, perHour per identity in scaled time; GitHub
// documents 80 and 500) or off (0, 0).
func (s *Server) SetSecondaryLimits(perMinute, perHour int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writesPerMinute, s.writesPerHour = perMinute, perHour
}

// scaled is d of GitHub's time in the stand-in's time. s.mu is held.
func (s *Server) scaled(d time.Duration) time.Duration {
	if s.timeScale <= 0 {
		return d
	}
	return time.Duration(float64(d) / s.timeScale)
}

// limitKey is the identity GitHub counts a token's requests against: its
// user, or its App installation. s.mu is held.
func (s *Server) limitKey(tok string, a account) string {
	if inst, ok := s.tokenInstallation[tok]; ok {
		return "installation/" + strconv.FormatInt(inst, 10)
	}
	return "user/" + strconv.FormatInt(a.id, 10)
}

// primaryWindow returns the primary-limit window of an identity at now, a new
// one when the last has reset. s.mu is held.
func (s *Server) primaryWindow(key string, now time.Time) *limitWindow {
	w, ok := s.windows[key]
	if !ok || !now.Before(w.reset) {
		w = &limitWindow{reset: now.Add(s.scaled(time.Hour))}
		s.windows[key] = w
	}
	return w
}

// secondaryLimited records a content-creating request of identity key at
// now, or reports that GitHub's secondary limit refuses it. s.mu is held.
func (s *Server) secondaryLimited(key, method string, now time.Time) bool {
	if s.writesPerMinute <= 0 && s.writesPerHour <= 0 {
		return false
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	hour, minute := s.scaled(time.Hour), s.scaled(time.Minute)
	log := s.writes[key]
	for len(log) > 0 && now.Sub(log[0]) >= hour {
		log = log[1:]
	}
	inMinute := 0
	for _, t := range log {
		if now.Sub(t) < minute {
			inMinute++
		}
	}
	if (s.writesPerHour > 0 && len(log) >= s.writesPerHour) || (s.writesPerMinute > 0 && inMinute >= s.writesPerMinute) {
		s.writes[key] = log
		return true
	}
	s.writes[key] = append(log, now)
	s.stats.PeakWritesPerHour = max(s.stats.PeakWritesPerHour, len(log)+1)
	return false
}

// secondaryLimitResponse is GitHub's answer to a request over a secondary
// limit: 403, the message, and Retry-After (a minute, scaled).
func (s *Server) secondaryLimitResponse() response {
	res := reply(http.StatusForbidden, basicError(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."))
	wait := max(int(s.scaled(time.Minute).Seconds()+0.999), 1)
	res.header = http.Header{"Retry-After": {strconv.Itoa(wait)}}
	return res
}

// etagFor is GitHub's ETag of body answered to the credentials tok: GitHub
// answers "Vary: Accept, Authorization", and its ETags differ per token.
func etagFor(tok string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(tok))
	h.Write([]byte{0})
	h.Write(body)
	return `W/"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// lastModified returns the Last-Modified of the answer body at url: when
// the stand-in first answered this content there (whoever asked). s.mu is
// held.
func (s *Server) lastModified(url string, body []byte, now time.Time) time.Time {
	sum := sha256.Sum256(body)
	d := hex.EncodeToString(sum[:])
	v, ok := s.modified[url]
	if !ok || v.digest != d {
		v = modifiedAt{digest: d, at: now.UTC().Truncate(time.Second)}
		s.modified[url] = v
	}
	return v.at
}

type modifiedAt struct {
	digest string
	at     time.Time
}

// conditional answers a GET's conditional headers as GitHub does (RFC
// 9110 section 13.1): If-None-Match against the ETag for these
// credentials; only without it, If-Modified-Since against Last-Modified
// (HTTP dates have seconds). It reports whether the answer is 304.
func conditional(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for e := range strings.SplitSeq(inm, ",") {
			if strings.TrimSpace(e) == etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !modified.After(t)
	}
	return false
}
