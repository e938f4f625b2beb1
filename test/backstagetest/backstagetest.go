// Package backstagetest starts a real Backstage catalog backend (the npm
// packages pinned in test/backstage) on 127.0.0.1 for integration
// tests, and serves catalog files to it from a local HTTP server.
//
// Start installs the backend with hack/backstage-backend.sh when needed
// (cached outside the repository), starts it with test/harness's
// StartBackstage (`node index.js` on a free port with a 1 s processing
// interval, a random static token and a SQLite database in files, here in a
// directory of the test's), and stops it (its whole process group) when the
// test ends, pass or fail. Stop and Restart play an outage: like a real
// deployment's, the registrations survive a restart.
package backstagetest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paved-dev/paved/test/harness"
)

// installTimeout bounds installing the backend's npm packages: an upper
// limit for waiting, not an assertion about speed.
const installTimeout = 15 * time.Minute

// A Backend is a running Backstage catalog backend: the process is
// test/harness's Backstage (one home for starting, stopping and
// restarting it), bound to a test's lifetime.
type Backend struct {
	// URL is the backend's base URL, http://127.0.0.1:<port>.
	URL string
	// Token is the static external-access token the backend accepts.
	Token string

	h *harness.Backstage
}

// Logs returns what the backend wrote so far.
func (b *Backend) Logs() string {
	out, err := os.ReadFile(b.h.LogPath())
	if err != nil {
		return err.Error()
	}
	return string(out)
}

// Install makes sure the backend's node_modules are installed and returns
// the backend's directory.
func Install(t testing.TB) string {
	t.Helper()
	root, err := harness.FindRepoRoot()
	if err != nil {
		t.Fatalf("cannot find the repository root: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	start := time.Now()
	env, err := harness.BackstageEnv(ctx, root)
	if err != nil {
		t.Fatalf("cannot install the Backstage test backend: %v", err)
	}
	t.Logf("Backstage test backend installed or found in %s", time.Since(start).Round(time.Millisecond))
	return strings.TrimPrefix(env, harness.EnvBackstage+"=")
}

// Start starts a backend and returns it once it is ready. The backend is
// stopped when the test (or the test binary's TestMain caller) cleans up;
// its log and database live in the test's temporary directory.
func Start(t testing.TB) *Backend {
	t.Helper()
	return StartWithConfig(t, "")
}

// StartWithConfig starts a backend as Start does, with config (YAML, when
// not empty) merged over the directory's app-config.yaml: a value it sets
// replaces the one there, a list whole (e.g. catalog.rules).
func StartWithConfig(t testing.TB, config string) *Backend {
	t.Helper()
	dir := Install(t)
	var b *Backend
	var err error
	// A free port found this way can be taken by another process before the
	// backend binds it; try a few ports.
	for attempt := 1; attempt <= 3; attempt++ {
		b, err = start(t, dir, config)
		if err == nil {
			return b
		}
		t.Logf("Backstage backend start attempt %d failed: %v", attempt, err)
	}
	t.Fatalf("cannot start the Backstage backend: %v", err)
	return nil
}

func start(t testing.TB, dir, config string) (*Backend, error) {
	t.Helper()
	tmp := t.TempDir()
	started := time.Now()
	h, err := harness.StartBackstage(context.Background(), harness.BackstageOptions{Dir: dir, LogDir: tmp, WorkDir: tmp, Config: config})
	if err != nil {
		return nil, err
	}
	b := &Backend{URL: h.URL, Token: h.Token, h: h}
	t.Cleanup(func() {
		h.Stop()
		if t.Failed() {
			t.Logf("--- Backstage backend output ---\n%s", b.Logs())
		}
	})
	t.Logf("Backstage backend ready at %s after %s (pid %d)", b.URL, time.Since(started).Round(time.Millisecond), h.Pid())
	return b, nil
}

// Stop stops the backend as an outage would: its process group gets SIGTERM
// (SIGKILL after 10 s) and Stop returns once it has exited. Requests to URL
// then fail (connection refused). Its database stays for Restart.
func (b *Backend) Stop() { b.h.Stop() }

// Restart starts a stopped backend again on the same port, with the same
// token and database (so with every registration it had), and returns once
// it is ready. It fails when the backend is running or the port was taken
// meanwhile.
func (b *Backend) Restart() error {
	if err := b.h.Start(context.Background()); err != nil {
		return fmt.Errorf("cannot restart the Backstage backend: %w\n--- backend output ---\n%s", err, b.Logs())
	}
	return nil
}

// A FileServer serves catalog files to the backend from 127.0.0.1. Files can
// be changed while it runs.
type FileServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	files map[string]string
	hits  map[string]int
}

// NewFileServer starts a FileServer; it is closed when the test ends.
func NewFileServer(t testing.TB) *FileServer {
	t.Helper()
	fs := &FileServer{files: map[string]string{}, hits: map[string]int{}}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve)) // httptest listens on 127.0.0.1.
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *FileServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	content, ok := fs.files[r.URL.Path]
	fs.hits[r.URL.Path]++
	fs.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/yaml")
	_, _ = w.Write([]byte(content))
}

// Set serves content at path (which starts with /).
func (fs *FileServer) Set(path, content string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.files[path] = content
}

// Remove stops serving path.
func (fs *FileServer) Remove(path string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delete(fs.files, path)
}

// Hits returns how often path was requested.
func (fs *FileServer) Hits(path string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.hits[path]
}

// URL returns the URL of path.
func (fs *FileServer) URL(path string) string { return fs.srv.URL + path }

// ComponentYAML returns a catalog file with one Component.
func ComponentYAML(name string) string {
	return fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
  description: registered by paved's provider tests
spec:
  type: service
  lifecycle: experimental
  owner: platform-team
`, name)
}
