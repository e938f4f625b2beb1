// Package backstagetest starts a real Backstage catalog backend (the npm
// packages pinned in provider/test/backstage) on 127.0.0.1 for integration
// tests, and serves catalog files to it from a local HTTP server.
//
// Start installs the backend with hack/backstage-backend.sh when needed
// (cached outside the repository), starts `node index.js` on a free port
// with a 1 s processing interval, a random static token and a SQLite
// database in files (in a directory of the test's), waits for its readiness
// endpoint and stops it (its whole process group) when the test ends, pass
// or fail. Stop and Restart play an outage: like a real deployment's, the
// registrations survive a restart.
package backstagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of the harness. They are upper limits for waiting, not assertions
// about speed.
const (
	installTimeout = 15 * time.Minute
	readyTimeout   = 2 * time.Minute
	stopTimeout    = 10 * time.Second
)

// A Backend is a running Backstage catalog backend.
type Backend struct {
	// URL is the backend's base URL, http://127.0.0.1:<port>.
	URL string
	// Token is the static external-access token the backend accepts.
	Token string

	node, dir string // the node binary and the backend's directory
	port      int
	// database is the directory of the backend's SQLite files (one per
	// plugin): it outlives the process, so registrations survive Restart.
	database string
	logs     *syncBuffer

	mu   sync.Mutex // guards cmd and done, which Restart replaces
	cmd  *exec.Cmd
	done chan struct{}
}

// Logs returns what the backend wrote so far.
func (b *Backend) Logs() string { return b.logs.String() }

// repoRoot finds the module root (the directory holding go.mod) from the
// working directory of the test.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Install makes sure the backend's node_modules are installed and returns
// the backend's directory.
func Install(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("cannot find the repository root: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "backstage-backend.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cannot install the Backstage test backend: %v\n%s", err, stderr.String())
	}
	t.Logf("Backstage test backend installed or found in %s", time.Since(start).Round(time.Millisecond))
	return strings.TrimSpace(string(out))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close() //nolint:errcheck // Best effort.
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Start starts a backend and returns it once it is ready. The backend is
// stopped when the test (or the test binary's TestMain caller) cleans up.
func Start(t testing.TB) *Backend {
	t.Helper()
	dir := Install(t)

	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH: %v", err)
	}

	var b *Backend
	// A free port found this way can be taken by another process before the
	// backend binds it; try a few ports.
	for attempt := 1; attempt <= 3; attempt++ {
		b, err = start(t, node, dir)
		if err == nil {
			return b
		}
		t.Logf("Backstage backend start attempt %d failed: %v", attempt, err)
	}
	t.Fatalf("cannot start the Backstage backend: %v", err)
	return nil
}

func start(t testing.TB, node, dir string) (*Backend, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("cannot find a free port: %w", err)
	}
	token, err := randomToken()
	if err != nil {
		return nil, fmt.Errorf("cannot make a token: %w", err)
	}
	database, err := os.MkdirTemp("", "paved-backstage-db-")
	if err != nil {
		return nil, fmt.Errorf("cannot make the database directory: %w", err)
	}
	b := &Backend{
		URL: "http://127.0.0.1:" + strconv.Itoa(port), Token: token,
		node: node, dir: dir, port: port, database: database, logs: &syncBuffer{},
	}
	t.Cleanup(func() {
		b.stop()
		if t.Failed() {
			t.Logf("--- Backstage backend output ---\n%s", b.Logs())
		}
		_ = os.RemoveAll(database)
	})
	started := time.Now()
	if err := b.run(); err != nil {
		b.stop()
		return nil, fmt.Errorf("%w\n--- backend output ---\n%s", err, b.Logs())
	}
	t.Logf("Backstage backend ready at %s after %s (pid %d)", b.URL, time.Since(started).Round(time.Millisecond), b.pid())
	return b, nil
}

// run starts node on b's port with b's token and database and waits until
// the backend is ready.
func (b *Backend) run() error {
	cmd := exec.Command(b.node, "index.js", "--config", "app-config.yaml") //nolint:gosec // Fixed arguments.
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(),
		"APP_CONFIG_backend_listen_port="+strconv.Itoa(b.port),
		"BACKSTAGE_TEST_BASE_URL="+b.URL,
		"BACKSTAGE_TEST_TOKEN="+b.Token,
		// Backstage reads APP_CONFIG_* values as JSON: the connection
		// becomes a directory of SQLite files instead of app-config.yaml's
		// ':memory:'.
		`APP_CONFIG_backend_database_connection={"directory":`+strconv.Quote(b.database)+`}`,
		"NODE_ENV=development",
		"LOG_LEVEL=warn",
		"NODE_OPTIONS=--no-deprecation",
	)
	cmd.Stdout = b.logs
	cmd.Stderr = b.logs
	// Own process group, so that stopping kills whatever node started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start node: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	b.mu.Lock()
	b.cmd, b.done = cmd, done
	b.mu.Unlock()
	return b.waitReady(done)
}

func (b *Backend) pid() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cmd.Process.Pid
}

// Stop stops the backend as an outage would: its process group gets SIGTERM
// (SIGKILL after 10 s) and Stop returns once it has exited. Requests to URL
// then fail (connection refused). Its database stays for Restart.
func (b *Backend) Stop() { b.stop() }

// Restart starts a stopped backend again on the same port, with the same
// token and database (so with every registration it had), and returns once
// it is ready. It fails when the backend is running or the port was taken
// meanwhile.
func (b *Backend) Restart() error {
	b.mu.Lock()
	done := b.done
	b.mu.Unlock()
	select {
	case <-done:
	default:
		return fmt.Errorf("the backend at %s is running: Stop it first", b.URL)
	}
	if err := b.run(); err != nil {
		b.stop()
		return fmt.Errorf("cannot restart the Backstage backend: %w\n--- backend output ---\n%s", err, b.Logs())
	}
	return nil
}

func (b *Backend) waitReady(done <-chan struct{}) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("the backend exited before it was ready")
		default:
		}
		rsp, err := hc.Get(b.URL + "/.backstage/health/v1/readiness")
		if err == nil {
			_ = rsp.Body.Close()
			if rsp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the backend was not ready within %s", readyTimeout)
}

func (b *Backend) stop() {
	b.mu.Lock()
	cmd, done := b.cmd, b.done
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
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
