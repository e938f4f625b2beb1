package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environment variables that carry the provider's inputs into the isolated
// test binary.
const (
	// EnvProvider is bin/provider (make provider).
	EnvProvider = "PAVED_E2E_PROVIDER"
	// EnvGitHubOpenAPI is GitHub's OpenAPI description, which the GitHub
	// stand-in validates every request and response with
	// (hack/github-openapi.sh; the variable ghtest.LoadValidator reads).
	EnvGitHubOpenAPI = "PAVED_GITHUB_OPENAPI"
)

// ProviderEnv returns EnvProvider=<binary>: the variable's value if set,
// else root/bin/provider, which must exist.
func ProviderEnv(_ context.Context, root string) (string, error) {
	bin := os.Getenv(EnvProvider)
	if bin == "" {
		bin = filepath.Join(root, "bin", "provider")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("provider binary: %w (run `make provider`, or set %s)", err, EnvProvider)
	}
	return EnvProvider + "=" + bin, nil
}

// GitHubOpenAPIEnv returns EnvGitHubOpenAPI=<path>: the variable's value if
// set, else what hack/github-openapi.sh prints (it installs the pinned npm
// package once).
func GitHubOpenAPIEnv(ctx context.Context, root string) (string, error) {
	return scriptEnv(ctx, root, EnvGitHubOpenAPI, "github-openapi.sh")
}

// scriptEnv returns env=<value>: the variable's value if set, else the path
// hack/<script> prints.
func scriptEnv(ctx context.Context, root, env, script string) (string, error) {
	if v := os.Getenv(env); v != "" {
		return env + "=" + v, nil
	}
	out, err := Output(ctx, filepath.Join(root, "hack", script))
	if err != nil {
		return "", fmt.Errorf("hack/%s: %w", script, err)
	}
	v := strings.TrimSpace(out)
	if v == "" {
		return "", fmt.Errorf("hack/%s printed no path", script)
	}
	return env + "=" + v, nil
}

// ProviderOptions configure StartProvider.
type ProviderOptions struct {
	// Binary is bin/provider.
	Binary string
	// Kubeconfig reaches the API server the provider reconciles against.
	Kubeconfig string
	// LogDir receives <Name>.log (appended to across restarts).
	LogDir string
	// Name names the process and its log; default "provider".
	Name string
	// Args are added to the provider's flags (e.g. --poll=2s, --debug).
	Args []string
}

// Provider is bin/provider running out of cluster: a local process with
// the admin kubeconfig, its metrics and health endpoints on free loopback
// ports. Stop and Start stop it and start it again with the same flags and
// ports, as a restarted pod would.
type Provider struct {
	// MetricsAddr is host:port of the Prometheus endpoint (/metrics).
	MetricsAddr string
	// HealthAddr is host:port of /healthz and /readyz.
	HealthAddr string

	o    ProviderOptions
	proc *Proc
}

// StartProvider starts bin/provider and returns once it reports ready
// (/readyz), which it does once its caches have synced.
func StartProvider(ctx context.Context, o ProviderOptions) (*Provider, error) {
	if o.Name == "" {
		o.Name = "provider"
	}
	metrics, err := freePort()
	if err != nil {
		return nil, err
	}
	health, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &Provider{MetricsAddr: hostPort(metrics), HealthAddr: hostPort(health), o: o}
	return p, p.Start(ctx)
}

// Start starts the provider (again) and waits until it is ready.
func (p *Provider) Start(ctx context.Context) error {
	if p.proc != nil {
		if exited, _ := p.proc.Exited(); !exited {
			return fmt.Errorf("%s is running", p.o.Name)
		}
	}
	args := append([]string{
		"--kubeconfig=" + p.o.Kubeconfig,
		"--metrics-bind-address=" + p.MetricsAddr,
		"--health-probe-bind-address=" + p.HealthAddr,
		// The GitHub stand-in runs on loopback over http, at a URL of
		// GitHub Enterprise Server's form, and plays GitHub.com: its
		// writes are paced as GitHub.com's (80 a minute, 500 an hour).
		// Args may override these.
		"--github-allow-http-loopback",
		"--github-enterprise-server-content-writes-per-minute=80",
		"--github-enterprise-server-content-writes-per-hour=500",
	}, p.o.Args...)
	proc, err := start(p.o.LogDir, p.o.Name, nil, p.o.Binary, args...)
	if err != nil {
		return err
	}
	p.proc = proc
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err = waitFor(ctx, proc, p.o.Name+" ready", httpOK(&http.Client{Timeout: 2 * time.Second}, "http://"+p.HealthAddr+"/readyz"))
	if err != nil {
		proc.Stop(5 * time.Second)
	}
	return err
}

// Stop stops the provider (SIGTERM, then SIGKILL after 10 s).
func (p *Provider) Stop() {
	if p.proc != nil {
		p.proc.Stop(10 * time.Second)
	}
}

// Pid is the provider's process id (in the harness's PID namespace).
func (p *Provider) Pid() int { return p.proc.cmd.Process.Pid }

// LogPath is the provider's log file.
func (p *Provider) LogPath() string { return p.proc.LogPath }

// Check returns an error if the provider has exited.
func (p *Provider) Check() error {
	if exited, err := p.proc.Exited(); exited {
		return fmt.Errorf("%s %v; see %s", p.o.Name, err, p.proc.LogPath)
	}
	return nil
}

// Metric sums the samples of the Prometheus metric name whose labels
// contain every string in labels, e.g.
// Metric(ctx, "controller_runtime_reconcile_total", "github.paved.dev").
func (p *Provider) Metric(ctx context.Context, name string, labels ...string) (float64, error) {
	return metric(ctx, p.MetricsAddr, name, labels...)
}

// metric sums the samples of the Prometheus metric name, served on addr's
// /metrics, whose labels contain every string in labels.
func metric(ctx context.Context, addr, name string, labels ...string) (float64, error) {
	text, err := metrics(ctx, addr)
	if err != nil {
		return 0, err
	}
	return MetricSum(text, name, labels...)
}

// metrics reads addr's /metrics.
func metrics(ctx context.Context, addr string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return "", err
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer rsp.Body.Close()
	b, err := io.ReadAll(rsp.Body)
	return string(b), err
}

// MetricSum sums the samples, in text (Prometheus' text format), of the
// metric name whose labels contain every string in labels.
func MetricSum(text, name string, labels ...string) (float64, error) {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
			continue
		}
		match := true
		for _, s := range labels {
			match = match && strings.Contains(l, s)
		}
		if !match {
			continue
		}
		f := strings.Fields(l)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", l, err)
		}
		sum += v
	}
	return sum, sc.Err()
}

// MetricsText reads the provider's /metrics (Prometheus' text format).
func (p *Provider) MetricsText(ctx context.Context) (string, error) {
	return metrics(ctx, p.MetricsAddr)
}
