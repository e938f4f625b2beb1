package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// EnvBackstage is the Backstage backend's directory, test/backstage
// with its node_modules installed.
const EnvBackstage = "PAVED_E2E_BACKSTAGE"

// BackstageEnv returns EnvBackstage=<dir>: the variable's value if set,
// else what hack/backstage-backend.sh prints (it installs the pinned npm
// packages once, cached in PAVED_CACHE; a cold install takes ~5 minutes).
func BackstageEnv(ctx context.Context, root string) (string, error) {
	return scriptEnv(ctx, root, EnvBackstage, "backstage-backend.sh")
}

// BackstageOptions configure StartBackstage.
type BackstageOptions struct {
	// Dir is the backend's directory, test/backstage, with its
	// node_modules installed (hack/backstage-backend.sh installs them,
	// cached, and prints the directory).
	Dir string
	// LogDir receives <Name>.log (appended to across restarts).
	LogDir string
	// Name names the process and its log; default "backstage".
	Name string
	// Config, when set, is YAML that Backstage merges over the directory's
	// app-config.yaml (a second --config), e.g. an integrations section.
	Config string
	// WorkDir receives that second configuration file and the catalog's
	// database, SQLite files in WorkDir/<Name>-db that survive a restart.
	WorkDir string
	// LogLevel is Backstage's LOG_LEVEL; default "warn".
	LogLevel string
}

// Backstage is a real Backstage catalog backend (the npm packages pinned in
// test/backstage: @backstage/backend-defaults and
// @backstage/plugin-catalog-backend) running `node index.js` on 127.0.0.1,
// with its catalog in SQLite files, a 1 s processing interval, a random
// static external-access token and Backstage's default catalog.rules plus
// exactly the addition README.md's Install section documents (in the
// directory's app-config.yaml; fn/servicebundle
// TestCatalogRulesAsDocumented keeps them equal). Stop and Start play an outage: they stop it
// and start it again on the same port with the same token and database, so
// that, like a real deployment's, its registrations survive.
type Backstage struct {
	// URL is the backend's base URL, http://127.0.0.1:<port>; the catalog
	// API is under /api/catalog.
	URL string
	// Token is the static external-access token it accepts.
	Token string

	o        BackstageOptions
	port     int
	config   []string
	database string
	proc     *Proc
}

// StartBackstage starts the backend on a free port and returns once its
// readiness endpoint answers 200.
func StartBackstage(ctx context.Context, o BackstageOptions) (*Backstage, error) {
	if o.Name == "" {
		o.Name = "backstage"
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	if _, err := os.Stat(filepath.Join(o.Dir, "node_modules")); err != nil {
		return nil, fmt.Errorf("the Backstage backend is not installed (run hack/backstage-backend.sh): %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	b := &Backstage{URL: "http://" + hostPort(port), Token: hex.EncodeToString(tok), o: o, port: port,
		config: []string{"--config", "app-config.yaml"}, database: filepath.Join(o.WorkDir, o.Name+"-db")}
	if err := os.MkdirAll(b.database, 0o700); err != nil {
		return nil, err
	}
	if o.Config != "" {
		path := filepath.Join(o.WorkDir, o.Name+"-app-config.yaml")
		if err := os.WriteFile(path, []byte(o.Config), 0o600); err != nil {
			return nil, err
		}
		b.config = append(b.config, "--config", path)
	}
	return b, b.Start(ctx)
}

// Start starts the backend (again) on its port and waits until it is
// ready.
func (b *Backstage) Start(ctx context.Context) error {
	if b.proc != nil {
		if exited, _ := b.proc.Exited(); !exited {
			return fmt.Errorf("%s at %s is running: Stop it first", b.o.Name, b.URL)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node is not on PATH: %w", err)
	}
	// Started in its directory: app-config.yaml is relative.
	proc, err := startIn(b.o.Dir, b.o.LogDir, b.o.Name, []string{
		"APP_CONFIG_backend_listen_port=" + strconv.Itoa(b.port),
		"BACKSTAGE_TEST_BASE_URL=" + b.URL,
		"BACKSTAGE_TEST_TOKEN=" + b.Token,
		// Backstage reads APP_CONFIG_* values as JSON: a directory of
		// SQLite files instead of app-config.yaml's ':memory:'
		// (https://backstage.io/docs/conf/writing#environment-variable-overrides).
		`APP_CONFIG_backend_database_connection={"directory":` + strconv.Quote(b.database) + `}`,
		"NODE_ENV=development",
		"LOG_LEVEL=" + b.o.LogLevel,
		"NODE_OPTIONS=--no-deprecation",
	}, node, append([]string{"index.js"}, b.config...)...)
	if err != nil {
		return err
	}
	b.proc = proc
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err = waitFor(ctx, proc, b.o.Name+" ready", httpOK(&http.Client{Timeout: 2 * time.Second}, b.URL+"/.backstage/health/v1/readiness"))
	if err != nil {
		proc.Stop(5 * time.Second)
	}
	return err
}

// Stop stops the backend (SIGTERM to its process group, SIGKILL after 10 s).
func (b *Backstage) Stop() {
	if b.proc != nil {
		b.proc.Stop(10 * time.Second)
	}
}

// Pid is the backend's process id (in the harness's PID namespace, if any).
func (b *Backstage) Pid() int { return b.proc.cmd.Process.Pid }

// LogPath is the backend's log file.
func (b *Backstage) LogPath() string { return b.proc.LogPath }

// Check returns an error if the backend has exited.
func (b *Backstage) Check() error {
	if exited, err := b.proc.Exited(); exited {
		return fmt.Errorf("%s %v; see %s", b.o.Name, err, b.proc.LogPath)
	}
	return nil
}
