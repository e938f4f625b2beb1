// Package doctor checks a running control plane for what paved needs
// before a tenant's claim finds out: Crossplane's version and flags, the
// packages, the EnvironmentConfig, the ProviderConfigs and their Secrets,
// Argo CD's AppProjects, and Backstage and GitHub where the ProviderConfig
// says how to reach them. Every check reads; none writes.
package doctor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A Status is a check's verdict.
type Status string

// The verdicts. Any Fail makes `paved doctor` exit non-zero; Warn is what
// doctor cannot see or what works but is not as paved recommends.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// A Result is one check's verdict: what was checked, and why, with the fix.
type Result struct {
	Status Status
	What   string
	Why    string
}

// String is the line doctor prints: `<status> <what> — <why and the fix>`.
func (r Result) String() string { return fmt.Sprintf("%s %s — %s", r.Status, r.What, r.Why) }

func ok(what, why string, a ...any) Result {
	return Result{Status: OK, What: what, Why: fmt.Sprintf(why, a...)}
}

func warn(what, why string, a ...any) Result {
	return Result{Status: Warn, What: what, Why: fmt.Sprintf(why, a...)}
}

func fail(what, why string, a ...any) Result {
	return Result{Status: Fail, What: what, Why: fmt.Sprintf(why, a...)}
}

// A Doctor checks one control plane.
type Doctor struct {
	// Client reads the control plane (unstructured objects; its RESTMapper
	// says which APIs are served).
	Client client.Client
	// HTTP reaches Backstage and GitHub; its Timeout bounds each call.
	HTTP *http.Client
	// Namespace is Crossplane's (crossplane-system).
	Namespace string
	// EnvironmentConfig is the name of paved's EnvironmentConfig.
	EnvironmentConfig string
	// GitHubAPI is github.com's REST API, for a ProviderConfig without a
	// GitHub Enterprise Server baseURL. Default https://api.github.com.
	GitHubAPI string
}

// DefaultHTTPTimeout bounds one call to Backstage or GitHub.
const DefaultHTTPTimeout = 10 * time.Second

// Run runs every check, in order, and returns their results.
func (d *Doctor) Run(ctx context.Context) []Result {
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if d.GitHubAPI == "" {
		d.GitHubAPI = "https://api.github.com"
	}
	var out []Result
	out = append(out, d.crossplane(ctx)...)
	out = append(out, d.packages(ctx)...)
	out = append(out, d.runtimeConfig(ctx))
	env, res := d.environment(ctx)
	out = append(out, res)
	out = append(out, d.providerConfigs(ctx, env)...)
	out = append(out, d.appProjects(ctx, env)...)
	return out
}

// Print writes one line per result and reports whether any failed.
func Print(w io.Writer, rs []Result) (failed bool, err error) {
	for _, r := range rs {
		if _, err := fmt.Fprintln(w, r); err != nil {
			return failed, err
		}
		failed = failed || r.Status == Fail
	}
	return failed, nil
}
