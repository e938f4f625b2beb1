package github

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"maps"
	"net/http"
	"sync"
)

// DefaultCacheMaxBytes bounds the ETag cache of one GitHub identity unless
// Options.CacheMaxBytes says otherwise.
const DefaultCacheMaxBytes = 32 << 20

// entryOverhead approximates the bytes an entry costs beyond its key, ETag,
// headers and body (list element, map slot, structs).
const entryOverhead = 256

type cached struct {
	key  string
	etag string
	// auth is the digest of the Authorization header the ETag was
	// answered to: GitHub's ETags depend on it (its answers say "Vary:
	// Accept, Authorization"), so an ETag is only worth sending with the
	// same credentials.
	auth string
	// lastModified is GitHub's Last-Modified, if it sent one: unlike the
	// ETag it describes the resource, not the credentials.
	lastModified string
	header       http.Header
	body         []byte
	size         int64
}

func entrySize(key, etag string, h http.Header, body []byte) int64 {
	n := int64(len(key) + len(etag) + len(body) + entryOverhead + sha256.Size*2)
	for k, vs := range h {
		n += int64(len(k))
		for _, v := range vs {
			n += int64(len(v))
		}
	}
	return n
}

// etagStore is the ETag cache of one GitHub identity: the last 200 answer
// with an ETag per URL (and Accept header), least recently used evicted
// first so that the cached bytes stay within maxBytes. An answer larger
// than maxBytes is not cached.
type etagStore struct {
	maxBytes int64
	// observe reports the cached bytes and counts evictions (metrics).
	observe func(bytes int64, evicted int)

	mu      sync.Mutex
	lru     *list.List // of *cached, most recently used first
	entries map[string]*list.Element
	bytes   int64
}

func newETagStore(maxBytes int64, observe func(int64, int)) *etagStore {
	if observe == nil {
		observe = func(int64, int) {}
	}
	return &etagStore{maxBytes: maxBytes, observe: observe, lru: list.New(), entries: map[string]*list.Element{}}
}

func (s *etagStore) get(key string) *cached {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.entries[key]
	if !ok {
		return nil
	}
	s.lru.MoveToFront(el)
	return el.Value.(*cached) //nolint:forcetypeassert // The list holds only *cached.
}

func (s *etagStore) put(c *cached) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(c.key)
	evicted := 0
	if c.size <= s.maxBytes {
		s.entries[c.key] = s.lru.PushFront(c)
		s.bytes += c.size
		for s.bytes > s.maxBytes {
			s.removeLocked(s.lru.Back().Value.(*cached).key) //nolint:forcetypeassert // The list holds only *cached.
			evicted++
		}
	}
	s.observe(s.bytes, evicted)
}

func (s *etagStore) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked(key)
	s.observe(s.bytes, 0)
}

func (s *etagStore) removeLocked(key string) {
	el, ok := s.entries[key]
	if !ok {
		return
	}
	c := el.Value.(*cached) //nolint:forcetypeassert // The list holds only *cached.
	s.lru.Remove(el)
	delete(s.entries, key)
	s.bytes -= c.size
}

// size returns the cached bytes and entries.
func (s *etagStore) size() (int64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes, len(s.entries)
}

// etagCache is an http.RoundTripper that makes every GET conditional on
// what the last 200 its store saw for the same URL said, and turns GitHub's
// 304 Not Modified back into the cached 200, so callers see a normal
// response. "Making a conditional request does not count against your
// primary rate limit if a 304 response is returned and the request was made
// while correctly authorized with an Authorization header"
// (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
//
// GitHub's ETag depends on the Authorization header (its answers vary on
// it), and GitHub App installation tokens expire after an hour
// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app):
// with a new token every cached ETag would miss. So the cache sends
// If-None-Match only with the credentials the ETag was answered to, and
// otherwise If-Modified-Since with the Last-Modified GitHub sent ("many
// endpoints return a last-modified header", same page), which describes the
// resource whoever asks. A 304 to it carries the ETag for the new
// credentials, which is kept. The cache sits below the authentication, so
// it sees the Authorization header it keys by (as a digest, never the
// token).
type etagCache struct {
	next  http.RoundTripper
	store *etagStore
}

func cacheKey(r *http.Request) string {
	return r.Header.Get("Accept") + " " + r.URL.String()
}

func authDigest(r *http.Request) string {
	sum := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	return hex.EncodeToString(sum[:])
}

func (c *etagCache) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet {
		return c.next.RoundTrip(r)
	}
	key, auth := cacheKey(r), authDigest(r)
	e := c.store.get(key)
	switch {
	case e != nil && e.auth == auth:
		r = r.Clone(r.Context())
		r.Header.Set(headerIfNoneMatch, e.etag)
	case e != nil && e.lastModified != "":
		// RFC 9110 section 13.1.3: If-Modified-Since is ignored when
		// If-None-Match is present, so only one is sent.
		r = r.Clone(r.Context())
		r.Header.Set(headerIfModifiedSince, e.lastModified)
	}
	rsp, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	switch {
	case rsp.StatusCode == http.StatusNotModified && e != nil:
		_ = rsp.Body.Close()
		if etag := rsp.Header.Get(headerETag); etag != "" && (etag != e.etag || auth != e.auth) {
			// The same content, validated for these credentials.
			n := *e
			n.etag, n.auth, n.size = etag, auth, e.size-int64(len(e.etag))+int64(len(etag))
			c.store.put(&n)
		}
		h := e.header.Clone()
		// fresh rate-limit headers
		maps.Copy(h, rsp.Header)
		h.Set(HeaderFromCache, "1")
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK, Proto: rsp.Proto, ProtoMajor: rsp.ProtoMajor, ProtoMinor: rsp.ProtoMinor,
			Header: h, Body: io.NopCloser(bytes.NewReader(e.body)), ContentLength: int64(len(e.body)), Request: rsp.Request,
		}, nil
	case rsp.StatusCode == http.StatusOK && rsp.Header.Get(headerETag) != "":
		body, err := io.ReadAll(rsp.Body)
		_ = rsp.Body.Close()
		if err != nil {
			return nil, err
		}
		etag, h := rsp.Header.Get(headerETag), rsp.Header.Clone()
		c.store.put(&cached{key: key, etag: etag, auth: auth, lastModified: rsp.Header.Get(headerLastModified), header: h, body: body,
			size: entrySize(key, etag, h, body) + int64(len(rsp.Header.Get(headerLastModified)))})
		rsp.Body = io.NopCloser(bytes.NewReader(body))
		return rsp, nil
	case rsp.StatusCode == http.StatusNotFound || rsp.StatusCode == http.StatusGone:
		c.store.remove(key)
	}
	return rsp, nil
}
