//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/paved-dev/paved/test/ghtest"
	"github.com/paved-dev/paved/test/harness"
)

// The golden path's real processes besides the control plane and
// function-paved: bin/provider, the GitHub stand-in (in this process) and a
// real Backstage catalog backend.
const (
	providerPoll    = 5 * time.Second        // the provider's --poll: drift checks in steady state
	secretNamespace = "crossplane-system"    // where the ProviderConfig's secrets live
	platformOwner   = "acme"                 // environment.serviceBundle.githubOwner (apis/servicebundle/composition.yaml)
	providerLogin   = "paved-provider"       // the provider's GitHub identity on the stand-in
	backstageLogin  = "backstage-catalog"    // Backstage's GitHub identity on the stand-in
	githubHost      = "github.com"           // the host of the stand-in's html_url (Backstage's integration host)
	templatePrefix  = "golden-path-"         // fn/servicebundle: repositories are generated from golden-path-<template>
	appAPIVersion   = "argoproj.io/v1alpha1" // Argo CD's Application
	argoFinalizer   = "resources-finalizer.argocd.argoproj.io"
)

// goldenPathEnv resolves, outside the namespaces, what the golden path
// runs: bin/provider, GitHub's OpenAPI description and the Backstage
// backend's directory.
func goldenPathEnv(ctx context.Context, root string) ([]string, error) {
	var env []string
	for _, f := range []func(context.Context, string) (string, error){harness.ProviderEnv, harness.GitHubOpenAPIEnv, harness.BackstageEnv} {
		v, err := f(ctx, root)
		if err != nil {
			return nil, err
		}
		env = append(env, v)
	}
	return env, nil
}

// goldenPath is what a ServiceBundle reaches besides the cluster, each a
// handle a test may act on (TestServiceBundleFaults stops Backstage and
// injects GitHub faults through them):
//   - GitHub: the stand-in (test/ghtest),
//     served by this process on loopback; every request and response is
//     validated against GitHub's OpenAPI description. It holds the
//     platform's organisation with the golden-path-<template> template
//     repositories, a token for the provider and one for Backstage.
//   - Backstage: the real catalog backend, whose GitHub integration for
//     github.com points at the stand-in (apiBaseUrl), so that the catalog
//     reads catalog-info.yaml through its own GitHub URL reader.
//   - Provider: bin/provider out of cluster, with the ProviderConfig
//     "default" for both.
type goldenPath struct {
	GitHub    *ghtest.Server
	Backstage *harness.Backstage
	Provider  *harness.Provider

	// secrets are the credentials the processes hold, which no log may
	// carry.
	secrets []string
}

var (
	goldenOnce sync.Once
	golden     *goldenPath
	goldenErr  error
)

// requireGoldenPath installs the ServiceBundle's CRDs and XRD, and starts
// the stand-in, Backstage and the provider once for the test binary;
// stopGoldenPath (from TestMain) stops them.
func requireGoldenPath(t *testing.T) *goldenPath {
	t.Helper()
	requireServiceBundle(t)
	goldenOnce.Do(func() {
		begin := time.Now()
		golden, goldenErr = startGoldenPath(context.Background())
		if goldenErr == nil {
			t.Logf("figure: golden path (GitHub stand-in, Backstage catalog backend, bin/provider) started in %.1fs", time.Since(begin).Seconds())
		}
	})
	if goldenErr != nil {
		t.Fatalf("starting the golden path: %v", goldenErr)
	}
	return golden
}

func startGoldenPath(ctx context.Context) (g *goldenPath, err error) {
	g = &goldenPath{}
	defer func() {
		if err != nil {
			g.stop()
		}
	}()
	logDir := cp.LogDir
	workDir := filepath.Join(filepath.Dir(cp.LogDir), "work")

	if g.GitHub, err = ghtest.Start(); err != nil {
		return g, fmt.Errorf("GitHub stand-in: %w", err)
	}
	providerToken, backstageToken := "ghp_"+randomString(18), "ghp_"+randomString(18)
	g.secrets = []string{providerToken, backstageToken}
	g.GitHub.AddOrg(platformOwner)
	g.GitHub.AddToken(providerToken, providerLogin)
	g.GitHub.AddToken(backstageToken, backstageLogin)
	for _, tmpl := range []struct{ name, file, content string }{
		{"node-service", "package.json", `{"name": "service", "private": true, "scripts": {"start": "node index.js"}}` + "\n"},
		{"python-service", "pyproject.toml", "[project]\nname = \"service\"\n"},
		{"go-service", "go.mod", "module example.com/service\n\ngo 1.25\n"},
	} {
		addTemplate(g.GitHub, templatePrefix+tmpl.name, map[string]string{tmpl.file: tmpl.content})
	}

	// Backstage reads https://github.com/<owner>/<repo>/blob/<ref>/<path>
	// (the CatalogLocation's target, from the Repository's htmlURL) with
	// its GitHub URL reader (@backstage/backend-defaults
	// urlReader/lib/GithubUrlReader): with a token it fetches
	// <apiBaseUrl>/repos/<owner>/<repo>/contents/<path>?ref=<ref>,
	// Accept: application/vnd.github.v3.raw (@backstage/integration
	// getGithubFileFetchUrl). Integration config:
	// https://backstage.io/docs/integrations/github/locations.
	config := fmt.Sprintf("integrations:\n  github:\n    - host: %s\n      apiBaseUrl: %s\n      token: %s\n", githubHost, g.GitHub.URL, backstageToken)
	if g.Backstage, err = harness.StartBackstage(ctx, harness.BackstageOptions{
		Dir: os.Getenv(harness.EnvBackstage), LogDir: logDir, WorkDir: workDir, Config: config, LogLevel: "info",
	}); err != nil {
		return g, fmt.Errorf("Backstage: %w", err)
	}
	g.secrets = append(g.secrets, g.Backstage.Token)

	for _, o := range []*unstructured.Unstructured{
		secret(secretNamespace, "github-token", "token", providerToken),
		secret(secretNamespace, "backstage-token", "token", g.Backstage.Token),
		{Object: map[string]any{
			"apiVersion": "paved.dev/v1alpha1", "kind": "ProviderConfig",
			"metadata": map[string]any{"name": "default"},
			"spec": map[string]any{
				"github": map[string]any{
					"baseURL": g.GitHub.URL,
					"credentials": map[string]any{"source": "Secret", "secretRef": map[string]any{
						"namespace": secretNamespace, "name": "github-token", "key": "token"}},
				},
				"backstage": map[string]any{
					"baseURL": g.Backstage.URL,
					"tokenSecretRef": map[string]any{
						"namespace": secretNamespace, "name": "backstage-token", "key": "token"},
				},
			},
		}},
	} {
		if err := cp.Client.Create(ctx, o); err != nil {
			return g, fmt.Errorf("create %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}

	if g.Provider, err = harness.StartProvider(ctx, harness.ProviderOptions{
		Binary: os.Getenv(harness.EnvProvider), Kubeconfig: cp.Kubeconfig, LogDir: logDir,
		Args: []string{"--debug", "--poll=" + providerPoll.String()},
	}); err != nil {
		return g, fmt.Errorf("provider: %w", err)
	}
	return g, nil
}

// addTemplate creates a golden-path template repository in the platform's
// organisation: the skeleton every service starts from, with its own
// catalog-info.yaml (which the generated one replaces) and the kustomize
// overlays the Applications deploy.
func addTemplate(gh *ghtest.Server, name string, files map[string]string) {
	gh.CreateOutOfBand(platformOwner, name)
	gh.Mutate(platformOwner, name, func(r *ghtest.RepoState) {
		r.IsTemplate = true
		r.Description = "Golden path template"
	})
	files["catalog-info.yaml"] = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\n"
	files["k8s/base/kustomization.yaml"] = "resources: [deployment.yaml, service.yaml]\n"
	for _, e := range []string{"staging", "production"} {
		files["k8s/overlays/"+e+"/kustomization.yaml"] = "resources: [../../base]\n"
	}
	for p, c := range files {
		gh.SetFile(platformOwner, name, "main", p, c)
	}
}

func secret(namespace, name, key, value string) *unstructured.Unstructured {
	s := &corev1.Secret{}
	s.APIVersion, s.Kind = "v1", "Secret"
	s.Namespace, s.Name = namespace, name
	s.Data = map[string][]byte{key: []byte(value)}
	u, err := toUnstructured(s)
	if err != nil {
		panic(err)
	}
	return u
}

func toUnstructured(o any) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	return u, json.Unmarshal(b, &u.Object)
}

// stop stops what the golden path started.
func (g *goldenPath) stop() {
	if g == nil {
		return
	}
	if g.Provider != nil {
		g.Provider.Stop()
	}
	if g.Backstage != nil {
		g.Backstage.Stop()
	}
	if g.GitHub != nil {
		g.GitHub.Close()
	}
}

// check returns an error for a golden-path process that died and for every
// request or response of the stand-in that broke GitHub's published
// contract.
func (g *goldenPath) check() error {
	var errs []error
	for _, c := range []func() error{g.Provider.Check, g.Backstage.Check} {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, v := range g.GitHub.Violations() {
		errs = append(errs, fmt.Errorf("GitHub OpenAPI: %s", v))
	}
	for _, path := range []string{g.Provider.LogPath(), g.Backstage.LogPath()} {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i, sec := range g.secrets {
			if strings.Contains(string(b), sec) {
				errs = append(errs, fmt.Errorf("%s holds credential %d of the golden path", path, i))
			}
		}
	}
	return errors.Join(errs...)
}

// playsProvider is called first by tests that play provider-paved
// themselves (they write the status of Repositories and RepositoryFiles):
// the golden path's bin/provider reconciles every Repository against the
// stand-in and would race them. If a test started the golden path before
// (any test order: file order, -shuffle, -run), playsProvider stops its
// provider and, once the test and its other cleanups are done (its own
// objects deleted, or paused), starts it again with the same flags and
// ports, as the metrics test restarts it (checkPlatformMetrics). The
// restart is done when the provider is ready (its caches synced) and its
// own managed-resource state metrics (crossplane-runtime v2.4.0
// pkg/statemetrics/mr_state_metrics.go: Ready=True and Synced=True per
// kind, counted from its cache) hold, for every kind, at least the
// golden path's resources the first process counted before the stop
// (each kind recorded by the restarted process, so its cache is read): a
// later golden-path test finds its provider running and the golden path's
// objects Ready.
func playsProvider(t *testing.T) {
	t.Helper()
	if golden == nil || goldenErr != nil {
		return // no provider of the golden path runs
	}
	ctx := context.Background()
	p := golden.Provider
	before, err := managedState(ctx, p)
	if err != nil {
		t.Fatalf("the golden path's provider before stopping it for this test, which plays provider-paved: %v", err)
	}
	p.Stop()
	t.Cleanup(func() {
		if err := p.Start(ctx); err != nil {
			t.Fatalf("restarting the golden path's provider after this test, which played provider-paved: %v", err)
		}
		eventually(ctx, t, waitLimit, "the restarted provider counts the golden path's managed resources Ready and Synced again", func(ctx context.Context) error {
			after, err := managedState(ctx, p)
			if err != nil {
				return err
			}
			var short []string
			for k, n := range before {
				if v, ok := after[k]; !ok || v < n {
					short = append(short, fmt.Sprintf("%s: %v (recorded: %t), want at least %v as before the stop", k, v, ok, n))
				}
			}
			if len(short) > 0 {
				slices.Sort(short)
				return errors.New(strings.Join(short, "; "))
			}
			return nil
		})
	})
}

// managedState reads the provider's managed-resource state metrics: the
// number of resources Ready=True and Synced=True, by metric and kind
// (crossplane_managed_resource_ready{gvk="..."}, ..._synced). A kind's
// series exists once the provider's state recorder listed it (every 5 s,
// provider/cmd/provider PollStateMetricInterval).
func managedState(ctx context.Context, p *harness.Provider) (map[string]float64, error) {
	text, err := p.MetricsText(ctx)
	if err != nil {
		return nil, err
	}
	state := map[string]float64{}
	for l := range strings.SplitSeq(text, "\n") {
		if !strings.HasPrefix(l, "crossplane_managed_resource_ready{") && !strings.HasPrefix(l, "crossplane_managed_resource_synced{") {
			continue
		}
		// The gvk label holds a space ("github.paved.dev/v1alpha1,
		// Kind=Repository"): the value follows the last one.
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			return nil, fmt.Errorf("metrics line %q has no value", l)
		}
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", l, err)
		}
		state[l[:i]] = v
	}
	return state, nil
}

// stopGoldenPath stops the golden path if a test started it (TestMain
// calls it once the tests ran; each test checks the golden path itself).
func stopGoldenPath() {
	golden.stop()
}

// catalog calls Backstage's catalog API (GET path under /api/catalog) and
// decodes the JSON answer into out; found is false on 404.
func (g *goldenPath) catalog(ctx context.Context, path string, out any) (found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.Backstage.URL+"/api/catalog"+path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+g.Backstage.Token)
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer rsp.Body.Close()
	b, _ := io.ReadAll(rsp.Body)
	switch rsp.StatusCode {
	case http.StatusOK:
		return true, json.Unmarshal(b, out)
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("GET /api/catalog%s: %s: %s", path, rsp.Status, b)
}

// entity is the part of a catalog entity the tests read.
type entity struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec      map[string]any `json:"spec"`
	Relations []struct {
		Type      string `json:"type"`
		TargetRef string `json:"targetRef"`
	} `json:"relations"`
}

// entityByRef fetches kind:namespace/name from the catalog.
func (g *goldenPath) entityByRef(ctx context.Context, ref string) (*entity, bool, error) {
	kind, rest, _ := strings.Cut(ref, ":")
	ns, name, _ := strings.Cut(rest, "/")
	e := &entity{}
	found, err := g.catalog(ctx, "/entities/by-name/"+url.PathEscape(kind)+"/"+url.PathEscape(ns)+"/"+url.PathEscape(name), e)
	return e, found, err
}

// locations lists the targets of the catalog's registered locations.
func (g *goldenPath) locations(ctx context.Context) ([]string, error) {
	var ls []struct {
		Data struct {
			Target string `json:"target"`
		} `json:"data"`
	}
	if _, err := g.catalog(ctx, "/locations", &ls); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Data.Target)
	}
	return out, nil
}
