package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/yaml"
)

// The stand-ins' credentials.
const (
	githubToken    = "ghp_doctorTestToken000000000000000000000"
	backstageToken = "backstage-static-token"
)

// backstageStandIn answers GET /api/catalog/entities/by-query as
// Backstage's catalog backend does (plugins/catalog-backend/src/schema/
// openapi.yaml, /entities/by-query: {items, totalItems, pageInfo}),
// refusing any other token with 401 and Backstage's error body
// ({error: {name, message}}, @backstage/errors serializeError). resources
// is how many Resource entities its catalog holds.
func backstageStandIn(t *testing.T, resources int) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+backstageToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"name":"AuthenticationError","message":"Illegal token"},"request":{"method":"GET","url":"/api/catalog/entities/by-query"},"response":{"statusCode":401}}`))
			return
		}
		if r.Method != http.MethodGet || r.URL.Path != "/api/catalog/entities/by-query" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		n := 0
		if r.URL.Query().Get("filter") == "kind=resource" {
			n = resources
		}
		items := []any{}
		if n > 0 {
			items = append(items, map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "Resource", "metadata": map[string]any{"name": "orders-db"}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items, "totalItems": n, "pageInfo": map[string]any{}})
	}))
	t.Cleanup(s.Close)
	return s
}

// githubStandIn answers GET /user and GET /orgs/{org} as GitHub's REST API
// does for a classic token (https://docs.github.com/en/rest/users/users#get-the-authenticated-user,
// https://docs.github.com/en/rest/orgs/orgs#get-an-organization): its
// scopes in X-OAuth-Scopes, 401 "Bad credentials" for any other token,
// and the organisation's plan (shown to its owners, as the token's user is
// here).
func githubStandIn(t *testing.T, scopes, plan string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Header.Get("Authorization") != "Bearer "+githubToken {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`))
			return
		}
		w.Header().Set("X-OAuth-Scopes", scopes)
		switch r.URL.Path {
		case "/user":
			_, _ = w.Write([]byte(`{"login":"paved-bot","id":1,"type":"User"}`))
		case "/orgs/acme-prod":
			_, _ = fmt.Fprintf(w, `{"login":"acme-prod","id":2,"plan":{"name":%q,"space":976562499,"private_repos":999999}}`, plan)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// An install is the control plane's objects by group/kind/namespace/name,
// and the APIs it serves.
type install struct {
	objs   map[string]*unstructured.Unstructured
	served map[schema.GroupVersionKind]meta.RESTScope
}

func obj(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatalf("%v:\n%s", err, y)
	}
	return u
}

func secret(t *testing.T, name, key, value string) *unstructured.Unstructured {
	t.Helper()
	return obj(t, fmt.Sprintf(`{apiVersion: v1, kind: Secret, metadata: {namespace: crossplane-system, name: %s}, data: {%s: %s}}`,
		name, key, base64.StdEncoding.EncodeToString([]byte(value))))
}

// appProject is a team's AppProject as docs/operations.md asks for one:
// the organisation's repositories, the team's namespace.
func appProject(t *testing.T, name, namespace string) *unstructured.Unstructured {
	t.Helper()
	return obj(t, fmt.Sprintf(`
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {namespace: argocd, name: %s}
spec:
  sourceRepos: ["https://github.com/acme-prod/*"]
  destinations: [{server: "https://kubernetes.default.svc", namespace: %s}]
`, name, namespace))
}

func pkg(t *testing.T, kind, name, ref string) *unstructured.Unstructured {
	t.Helper()
	return obj(t, fmt.Sprintf(`
apiVersion: pkg.crossplane.io/v1
kind: %s
metadata: {name: %s}
spec: {package: %q}
status:
  conditions:
  - {type: Healthy, status: "True", reason: HealthyPackageRevision, lastTransitionTime: "2026-01-01T00:00:00Z"}
  - {type: Installed, status: "True", reason: ActivePackageRevision, lastTransitionTime: "2026-01-01T00:00:00Z"}
`, kind, name, ref))
}

// healthy is a healthy install of paved: Crossplane v2.4.0 with webhooks,
// the packages at versions paved's Configuration admits, the example
// EnvironmentConfig (examples/environment), its ProviderConfigs and
// Secrets, and the AppProjects it maps namespaces to.
func healthy(t *testing.T, backstageURL string) install {
	t.Helper()
	ec, err := os.ReadFile(filepath.Join("..", "..", "examples", "environment", "environmentconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	in := install{objs: map[string]*unstructured.Unstructured{}, served: map[schema.GroupVersionKind]meta.RESTScope{}}
	for _, o := range append([]*unstructured.Unstructured{
		obj(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {namespace: crossplane-system, name: crossplane}
spec:
  selector: {matchLabels: {app: crossplane}}
  template:
    metadata: {labels: {app: crossplane}}
    spec:
      containers:
      - name: crossplane
        image: xpkg.crossplane.io/crossplane/crossplane:v2.4.0
        args: [core, start, --circuit-breaker-burst=1000]
        env: [{name: ENABLE_WEBHOOKS, value: "true"}]
`),
		obj(t, `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: crossplane-no-usages}
webhooks:
- name: nousages.protection.crossplane.io
  failurePolicy: Fail
  objectSelector: {matchLabels: {crossplane.io/in-use: "true"}}
  clientConfig: {url: "https://127.0.0.1:1/validate-no-usages"}
  sideEffects: None
  admissionReviewVersions: [v1]
  rules: [{apiGroups: ["*"], apiVersions: ["*"], operations: [DELETE], resources: ["*"]}]
`),
		pkg(t, "Function", "paved-dev-function-paved", "xpkg.paved.dev/paved-dev/function-paved:v0.1.0"),
		runsAs(pkg(t, "Provider", "paved-dev-provider-paved", "xpkg.paved.dev/paved-dev/provider-paved:v0.1.0"), "provider-paved"),
		pkg(t, "Provider", "upbound-provider-aws-rds", "xpkg.upbound.io/upbound/provider-aws-rds:v2.6.0"),
		pkg(t, "Provider", "upbound-provider-aws-ec2", "xpkg.upbound.io/upbound/provider-aws-ec2:v2.6.0"),
		pkg(t, "Provider", "upbound-provider-aws-s3", "xpkg.upbound.io/upbound/provider-aws-s3:v2.6.0"),
		pkg(t, "Provider", "upbound-provider-aws-sqs", "xpkg.upbound.io/upbound/provider-aws-sqs:v2.6.0"),
		pkg(t, "Provider", "upbound-provider-aws-elasticache", "xpkg.upbound.io/upbound/provider-aws-elasticache:v2.6.0"),
		pkg(t, "Provider", "upbound-provider-aws-docdb", "xpkg.upbound.io/upbound/provider-aws-docdb:v2.6.0"),
		pkg(t, "Provider", "upbound-provider-family-aws", "xpkg.upbound.io/upbound/provider-family-aws:v2.6.0"),
		obj(t, string(ec)),
		obj(t, `
apiVersion: aws.upbound.io/v1beta1
kind: ProviderConfig
metadata: {name: default}
spec: {credentials: {source: Secret, secretRef: {namespace: crossplane-system, name: aws-credentials, key: credentials}}}
`),
		secret(t, "aws-credentials", "credentials", "[default]\naws_access_key_id = AKIA\n"),
		obj(t, `
apiVersion: aws.m.upbound.io/v1beta1
kind: ClusterProviderConfig
metadata: {name: aws-prod}
spec: {credentials: {source: IRSA}}
`),
		obj(t, `
apiVersion: paved.dev/v1alpha1
kind: ProviderConfig
metadata: {name: default}
spec:
  github:
    credentials: {source: Secret, secretRef: {namespace: crossplane-system, name: github-token, key: token}}
`),
		secret(t, "github-token", "token", githubToken),
		obj(t, fmt.Sprintf(`
apiVersion: paved.dev/v1alpha1
kind: ProviderConfig
metadata: {name: backstage-prod}
spec:
  backstage:
    baseURL: %s
    tokenSecretRef: {namespace: crossplane-system, name: backstage-token, key: token}
`, backstageURL)),
		secret(t, "backstage-token", "token", backstageToken),
		appProject(t, "orders-apps", "team-orders"),
		appProject(t, "payments-pci", "team-payments"),
	}, installed(t, "platform-metrics-rbac.yaml")...) {
		in.objs[o.GroupVersionKind().Group+"/"+o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
		in.serve(o.GroupVersionKind(), o.GetNamespace() != "")
	}
	in.serve(schema.GroupVersionKind{Group: "protection.crossplane.io", Version: "v1beta1", Kind: "ClusterUsage"}, false)
	return in
}

// installed are the objects of one of provider-paved's install artefacts
// (package/provider/install, shipped by make xpkg), as a platform applies
// them.
func installed(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "package", "provider", "install", file))
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for doc := range strings.SplitSeq(string(b), "\n---\n") {
		if o := obj(t, doc); len(o.Object) > 0 {
			out = append(out, o)
		}
	}
	return out
}

// runsAs points a Provider at a DeploymentRuntimeConfig, as
// docs/operations.md asks for provider-paved.
func runsAs(p *unstructured.Unstructured, runtimeConfig string) *unstructured.Unstructured {
	_ = unstructured.SetNestedField(p.Object, runtimeConfig, "spec", "runtimeConfigRef", "name")
	return p
}

func (in install) serve(gvk schema.GroupVersionKind, namespaced bool) {
	in.served[gvk] = meta.RESTScopeRoot
	if namespaced {
		in.served[gvk] = meta.RESTScopeNamespace
	}
}

// client is a fake client of the install: it serves the install's APIs
// only, as an API server without their CRDs would.
func (in install) client() client.Client {
	s := runtime.NewScheme()
	m := meta.NewDefaultRESTMapper(nil)
	for gvk, scope := range in.served {
		s.AddKnownTypeWithName(gvk, &unstructured.Unstructured{})
		s.AddKnownTypeWithName(gvk.GroupVersion().WithKind(gvk.Kind+"List"), &unstructured.UnstructuredList{})
		m.Add(gvk, scope)
	}
	// The real client maps every object's kind to its resource with the
	// RESTMapper, which refuses a kind the API server does not serve
	// (controller-runtime pkg/client/client_rest_resources.go,
	// getResource); the fake client does not, so do it here.
	served := func(o runtime.Object) error {
		gvk := o.GetObjectKind().GroupVersionKind()
		gvk.Kind = strings.TrimSuffix(gvk.Kind, "List")
		_, err := m.RESTMapping(gvk.GroupKind(), gvk.Version)
		return err
	}
	b := fake.NewClientBuilder().WithScheme(s).WithRESTMapper(m).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, o client.Object, opts ...client.GetOption) error {
			if err := served(o); err != nil {
				return err
			}
			return c.Get(ctx, key, o, opts...)
		},
		List: func(ctx context.Context, c client.WithWatch, l client.ObjectList, opts ...client.ListOption) error {
			if err := served(l); err != nil {
				return err
			}
			return c.List(ctx, l, opts...)
		},
	})
	for _, o := range in.objs {
		b = b.WithObjects(o.DeepCopy())
	}
	return b.Build()
}

// runDoctor runs `paved doctor` against the install with a kubeconfig whose
// server nothing answers: every read goes to the install's fake client.
func runDoctor(t *testing.T, in install, github string) (stdout, stderr string, code int) {
	t.Helper()
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte(`
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: paved, context: {cluster: c, user: u}}]
current-context: paved
`), 0o600); err != nil {
		t.Fatal(err)
	}
	was := newClient
	newClient = func(*rest.Config) (client.Client, error) { return in.client(), nil }
	t.Cleanup(func() { newClient = was })
	return paved(t, "doctor", "--kubeconfig", kc, "--context", "paved", "--github-api", github)
}

// healthyLines are what doctor prints for the healthy install, with
// Backstage and GitHub at these URLs.
func healthyLines(bs, gh string) []string {
	return []string{
		"ok crossplane version — Crossplane v2.4.0 (xpkg.crossplane.io/crossplane/crossplane:v2.4.0), paved needs >=v2.0.0",
		"ok crossplane usage webhook — ValidatingWebhookConfiguration crossplane-no-usages sends deletions of objects in use to core (nousages.protection.crossplane.io), so Usages protect what paved's resources use",
		"ok crossplane realtime compositions — on (core's default; Deployment crossplane-system/crossplane does not turn it off)",
		"ok crossplane circuit breaker — burst 1000, refill 1/s (default) (Deployment crossplane-system/crossplane): a margin above the nearly 100 tokens a ServiceBundle's creation spends",
		"ok package function-paved — Function paved-dev-function-paved (xpkg.paved.dev/paved-dev/function-paved:v0.1.0) Installed and Healthy, v0.1.0 within >=v0.1.0",
		"ok package provider-paved — Provider paved-dev-provider-paved (xpkg.paved.dev/paved-dev/provider-paved:v0.1.0) Installed and Healthy, v0.1.0 within >=v0.1.0",
		"ok package provider-aws-rds — Provider upbound-provider-aws-rds (xpkg.upbound.io/upbound/provider-aws-rds:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		"ok package provider-aws-ec2 — Provider upbound-provider-aws-ec2 (xpkg.upbound.io/upbound/provider-aws-ec2:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		"ok package provider-aws-s3 — Provider upbound-provider-aws-s3 (xpkg.upbound.io/upbound/provider-aws-s3:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		"ok package provider-aws-sqs — Provider upbound-provider-aws-sqs (xpkg.upbound.io/upbound/provider-aws-sqs:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		"ok package provider-aws-elasticache — Provider upbound-provider-aws-elasticache (xpkg.upbound.io/upbound/provider-aws-elasticache:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		"ok package provider-aws-docdb — Provider upbound-provider-aws-docdb (xpkg.upbound.io/upbound/provider-aws-docdb:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		"ok provider-paved platform metrics — Provider paved-dev-provider-paved runs as service account crossplane-system/provider-paved (DeploymentRuntimeConfig provider-paved), which ClusterRoleBinding paved:provider-paved:platform-metrics lets read composites and Applications",
		`ok environment paved-environment — EnvironmentConfig "paved-environment" is valid: region us-east-1, VPC vpc-0f1e2d3c4b5a69788, 2 subnets`,
		"ok providerconfig aws ProviderConfig default — exists, credentials Secret crossplane-system/aws-credentials key credentials readable",
		"ok providerconfig aws ClusterProviderConfig aws-prod — exists, credentials from IRSA (no Secret to read)",
		"ok providerconfig github default — exists, Secret crossplane-system/github-token key token readable",
		"ok github — " + gh + " accepts the token (paved-bot); organisation acme-prod is on plan team",
		"ok providerconfig backstage backstage-prod — exists, Secret crossplane-system/backstage-token key token readable",
		"ok backstage — " + bs + " answers the catalog with the token",
		"ok backstage catalog rules — " + bs + " holds Resource entities, so its catalog.rules allow them from some location; no CatalogLocation of provider-paved's for ProviderConfig backstage-prod is registered yet to ask about paved's",
		"ok argocd appproject argocd/orders-apps — exists for namespace team-orders (team orders)",
		"ok argocd appproject argocd/payments-pci — exists for namespace team-payments (team payments)",
	}
}

func TestDoctor(t *testing.T) {
	bs := backstageStandIn(t, 2)
	gh := githubStandIn(t, "repo, read:org", "team")
	empty := backstageStandIn(t, 0)
	closed := func() string { s := httptest.NewServer(nil); s.Close(); return s.URL }()
	healthyLines := healthyLines(bs.URL, gh.URL)
	// The environment's line, found rather than counted: the package
	// lines before it follow crossplane.yaml's dependsOn.
	envLine := slices.IndexFunc(healthyLines, func(l string) bool { return strings.HasPrefix(l, "ok environment paved-environment — ") })
	if envLine < 0 {
		t.Fatal("no healthy line of environment paved-environment")
	}
	// replace returns the healthy lines with the line of what replaced by line.
	replace := func(what, line string) []string {
		out := make([]string, len(healthyLines))
		copy(out, healthyLines)
		for i, l := range out {
			if strings.HasPrefix(l, "ok "+what+" — ") {
				out[i] = line
				return out
			}
		}
		t.Fatalf("no healthy line of %q", what)
		return nil
	}

	removeLine := func(lines []string, what string) []string {
		var out []string
		for _, l := range lines {
			if !strings.Contains(l, " "+what+" — ") {
				out = append(out, l)
			}
		}
		return out
	}

	cases := map[string]struct {
		breaks func(in install)
		github string
		want   []string
		code   int
	}{
		"Healthy": {
			want: healthyLines,
		},
		"WebhooksOff": {
			breaks: func(in install) {
				delete(in.objs, "admissionregistration.k8s.io/ValidatingWebhookConfiguration//crossplane-no-usages")
			},
			want: replace("crossplane usage webhook", "fail crossplane usage webhook — no ValidatingWebhookConfiguration crossplane-no-usages: Crossplane's webhooks are off, so Usages do not stop deleting what paved's resources use; run Crossplane core with webhooks enabled (the Helm chart's webhooks.enabled=true, the default; not --enable-webhooks=false) and Usages enabled (not --enable-usages=false)"),
			code: 1,
		},
		"ProviderUnhealthy": {
			breaks: func(in install) {
				p := in.objs["pkg.crossplane.io/Provider//paved-dev-provider-paved"]
				_ = unstructured.SetNestedSlice(p.Object, []any{
					map[string]any{"type": "Installed", "status": "True", "reason": "ActivePackageRevision"},
					map[string]any{"type": "Healthy", "status": "False", "reason": "UnhealthyPackageRevision", "message": "cannot resolve package dependencies: incompatible dependencies: [xpkg.upbound.io/crossplane-contrib/provider-kubernetes]"},
				}, "status", "conditions")
			},
			want: replace("package provider-paved", "fail package provider-paved — Provider paved-dev-provider-paved (xpkg.paved.dev/paved-dev/provider-paved:v0.1.0) is not Healthy (UnhealthyPackageRevision: cannot resolve package dependencies: incompatible dependencies: [xpkg.upbound.io/crossplane-contrib/provider-kubernetes]): fix what the condition says; `kubectl describe provider paved-dev-provider-paved` shows its revisions' conditions too"),
			code: 1,
		},
		// Crossplane gives a Provider without runtimeConfigRef the
		// DeploymentRuntimeConfig "default", which Crossplane creates.
		"ProviderOnDefaultRuntimeConfig": {
			breaks: func(in install) {
				unstructured.RemoveNestedField(in.objs["pkg.crossplane.io/Provider//paved-dev-provider-paved"].Object, "spec", "runtimeConfigRef")
				d := obj(t, `{apiVersion: pkg.crossplane.io/v1beta1, kind: DeploymentRuntimeConfig, metadata: {name: default}, spec: {}}`)
				in.objs["pkg.crossplane.io/DeploymentRuntimeConfig//default"] = d
			},
			want: replace("provider-paved platform metrics", `warn provider-paved platform metrics — Provider paved-dev-provider-paved runs with DeploymentRuntimeConfig default (service account one Crossplane names per package revision), but ClusterRoleBinding paved:provider-paved:platform-metrics lets crossplane-system/provider-paved read composites and Applications, so the platform metrics report them unavailable; point the Provider at the install's DeploymentRuntimeConfig: kubectl patch provider.pkg.crossplane.io paved-dev-provider-paved --type merge -p '{"spec":{"runtimeConfigRef":{"name":"provider-paved"}}}'`),
		},
		"MetricsRBACNotApplied": {
			breaks: func(in install) {
				delete(in.objs, "rbac.authorization.k8s.io/ClusterRoleBinding//paved:provider-paved:platform-metrics")
			},
			want: replace("provider-paved platform metrics", "warn provider-paved platform metrics — no ClusterRoleBinding paved:provider-paved:platform-metrics, so the platform metrics report composites and Applications unavailable; apply _output/xpkg/install/provider-platform-metrics-rbac.yaml and point the Provider at its DeploymentRuntimeConfig (docs/operations.md, Platform metrics)"),
		},
		"RuntimeConfigMissing": {
			breaks: func(in install) {
				delete(in.objs, "pkg.crossplane.io/DeploymentRuntimeConfig//provider-paved")
			},
			want: replace("provider-paved platform metrics", `warn provider-paved platform metrics — Provider paved-dev-provider-paved names DeploymentRuntimeConfig provider-paved, which does not exist; apply _output/xpkg/install/provider-platform-metrics-rbac.yaml and point the Provider at it: kubectl patch provider.pkg.crossplane.io paved-dev-provider-paved --type merge -p '{"spec":{"runtimeConfigRef":{"name":"provider-paved"}}}'`),
		},
		"AppProjectMissing": {
			breaks: func(in install) {
				delete(in.objs, "argoproj.io/AppProject/argocd/payments-pci")
			},
			want: replace("argocd appproject argocd/payments-pci", "fail argocd appproject argocd/payments-pci — missing: namespace team-payments (team payments) maps to it, and its ServiceBundles' Applications are never Ready and cannot be deleted without it; create it, limited to the team's repositories and namespaces (docs/operations.md)"),
			code: 1,
		},
		"EnvironmentConfigInvalid": {
			breaks: func(in install) {
				ec := in.objs["apiextensions.crossplane.io/EnvironmentConfig//paved-environment"]
				_ = unstructured.SetNestedStringSlice(ec.Object, []string{"0.0.0.0/0"}, "data", "paved", "allowedCidrs")
			},
			want: replace("environment paved-environment", "fail environment paved-environment — function-paved refuses it, so every database and bucket fails to compose: EnvironmentConfig \"paved-environment\" data.paved.allowedCidrs[0]: invalid value \"0.0.0.0/0\": a private range; paved never opens a database to the whole internet; fix the EnvironmentConfig (docs/environment.md)"),
			code: 1,
		},
		// Which AppProject a namespace needs is function-paved's own rule
		// (fn/envconfig): what the function refuses, doctor reports.
		"ArgoCDProjectPatternRefused": {
			breaks: func(in install) {
				ec := in.objs["apiextensions.crossplane.io/EnvironmentConfig//paved-environment"]
				_ = unstructured.SetNestedField(ec.Object, "{owner}-apps", "data", "paved", "serviceBundle", "argoCDProject")
			},
			want: append(healthyLines[:len(healthyLines)-2:len(healthyLines)-2], `fail argocd appproject — function-paved refuses the EnvironmentConfig's serviceBundle section, so every ServiceBundle fails to compose: EnvironmentConfig "paved-environment" data.paved.serviceBundle.argoCDProject: invalid value "{owner}-apps": an Argo CD project pattern without "{owner}": the claim's spec.owner is text the tenant types and cannot choose the project; use "{team}" (the namespace's team) or "{namespace}"; fix it (docs/environment.md)`),
			code: 1,
		},
		"MappedNamespaceIsAnotherTeamsDestination": {
			breaks: func(in install) {
				ec := in.objs["apiextensions.crossplane.io/EnvironmentConfig//paved-environment"]
				_ = unstructured.SetNestedField(ec.Object, map[string]any{"team": "qa"}, "data", "paved", "serviceBundle", "namespaces", "team-orders-staging")
			},
			want: append(healthyLines[:len(healthyLines)-2:len(healthyLines)-2], `fail argocd appproject — function-paved refuses claims in mapped namespaces: serviceBundle.applicationNamespace: invalid value "{namespace}-{environment}": a pattern that makes no claim namespace: for namespace "team-orders" it makes "team-orders-staging", the staging namespace, which namespaces maps to team "qa" as its claims' namespace; fix the EnvironmentConfig's serviceBundle (docs/environment.md)`),
			code: 1,
		},
		"CrossplaneV1": {
			breaks: func(in install) {
				setContainer(in, "xpkg.crossplane.io/crossplane/crossplane:v1.20.1", "core", "start", "--circuit-breaker-burst", "1000")
			},
			want: replace("crossplane version", "fail crossplane version — Crossplane v1.20.1 (xpkg.crossplane.io/crossplane/crossplane:v1.20.1), paved needs >=v2.0.0 (crossplane.yaml): upgrade Crossplane (https://docs.crossplane.io/latest/software/upgrade/)"),
			code: 1,
		},
		// Core out of a Deployment (as in make e2e): its version from the
		// APIs it serves, its flags not visible.
		"CoreWithoutDeployment": {
			breaks: func(in install) {
				delete(in.objs, "apps/Deployment/crossplane-system/crossplane")
			},
			want: replaceAll(healthyLines, map[string]string{
				"crossplane version":               "ok crossplane version — Crossplane v2 (serves protection.crossplane.io/v1beta1 ClusterUsage, which v2.0 introduced), paved needs >=v2.0.0; the exact version is not visible without a core image tag",
				"crossplane realtime compositions": "warn crossplane realtime compositions — cannot be seen from the API (no Deployment of core with `core start` args to read flags from): check that core runs without --enable-realtime-compositions=false",
				"crossplane circuit breaker":       "warn crossplane circuit breaker — cannot be seen from the API (no Deployment of core with `core start` args to read flags from): check that core runs with --circuit-breaker-burst and --circuit-breaker-refill-rate at or above their defaults, 100 and 1 (docs/design.md)",
			}),
		},
		"CrossplaneV1WithoutDeployment": {
			breaks: func(in install) {
				delete(in.objs, "apps/Deployment/crossplane-system/crossplane")
				delete(in.served, schema.GroupVersionKind{Group: "protection.crossplane.io", Version: "v1beta1", Kind: "ClusterUsage"})
			},
			want: replaceAll(healthyLines, map[string]string{
				"crossplane version":               "fail crossplane version — the API server does not serve protection.crossplane.io/v1beta1 ClusterUsage, which Crossplane v2.0 introduced: paved needs Crossplane >=v2.0.0 (crossplane.yaml); install or upgrade Crossplane (https://docs.crossplane.io/latest/software/upgrade/)",
				"crossplane realtime compositions": "warn crossplane realtime compositions — cannot be seen from the API (no Deployment of core with `core start` args to read flags from): check that core runs without --enable-realtime-compositions=false",
				"crossplane circuit breaker":       "warn crossplane circuit breaker — cannot be seen from the API (no Deployment of core with `core start` args to read flags from): check that core runs with --circuit-breaker-burst and --circuit-breaker-refill-rate at or above their defaults, 100 and 1 (docs/design.md)",
			}),
			code: 1,
		},
		"WebhooksOffByFlag": {
			breaks: func(in install) {
				setContainer(in, "xpkg.crossplane.io/crossplane/crossplane:v2.4.0", "core", "start", "--enable-webhooks=false", "--enable-realtime-compositions=false")
			},
			want: replaceAll(healthyLines, map[string]string{
				"crossplane usage webhook":         "fail crossplane usage webhook — Deployment crossplane-system/crossplane runs core with webhooks off, so Usages do not stop deleting what paved's resources use: run Crossplane core with webhooks enabled (the Helm chart's webhooks.enabled=true, the default; not --enable-webhooks=false) and Usages enabled (not --enable-usages=false)",
				"crossplane realtime compositions": "warn crossplane realtime compositions — Deployment crossplane-system/crossplane runs core with --enable-realtime-compositions=false: claims see their resources' progress only at each poll; remove the flag (on by default)",
				"crossplane circuit breaker":       "ok crossplane circuit breaker — burst 100 (default), refill 1/s (default) (Deployment crossplane-system/crossplane): a ServiceBundle's creation spends nearly all of a composite's 100 default tokens; a higher --circuit-breaker-burst leaves a margin (docs/design.md)",
			}),
			code: 1,
		},
		"WebhookFailuresIgnored": {
			breaks: func(in install) {
				vwc := in.objs["admissionregistration.k8s.io/ValidatingWebhookConfiguration//crossplane-no-usages"]
				hooks, _, _ := unstructured.NestedSlice(vwc.Object, "webhooks")
				hooks[0].(map[string]any)["failurePolicy"] = "Ignore"
				_ = unstructured.SetNestedSlice(vwc.Object, hooks, "webhooks")
			},
			want: replace("crossplane usage webhook", "warn crossplane usage webhook — ValidatingWebhookConfiguration crossplane-no-usages ignores failures of nousages.protection.crossplane.io: while core does not answer, a used object can be deleted; set its failurePolicy back to Fail (as Crossplane installs it)"),
		},
		"ProviderAWSOutOfRange": {
			breaks: func(in install) {
				p := in.objs["pkg.crossplane.io/Provider//upbound-provider-aws-rds"]
				_ = unstructured.SetNestedField(p.Object, "xpkg.upbound.io/upbound/provider-aws-rds:v1.23.0", "spec", "package")
			},
			want: replace("package provider-aws-rds", "fail package provider-aws-rds — Provider upbound-provider-aws-rds (xpkg.upbound.io/upbound/provider-aws-rds:v1.23.0) is v1.23.0, paved needs >=v2.6.0, <v3.0.0 (crossplane.yaml dependsOn): change its spec.package to a version in range"),
			code: 1,
		},
		"FunctionMissing": {
			breaks: func(in install) {
				delete(in.objs, "pkg.crossplane.io/Function//paved-dev-function-paved")
			},
			want: replace("package function-paved", "fail package function-paved — no Function of package function-paved: install the Configuration paved, which depends on it (README, Install)"),
			code: 1,
		},
		"EnvironmentConfigMissing": {
			breaks: func(in install) {
				delete(in.objs, "apiextensions.crossplane.io/EnvironmentConfig//paved-environment")
			},
			// Without it: no serviceBundle section, and provider-aws's
			// ClusterProviderConfig "default" (not there) is optional.
			want: append(slices.Clone(healthyLines[:envLine]),
				`fail environment paved-environment — no EnvironmentConfig "paved-environment": claims compose with the Compositions' input alone, which names no VPC or subnets; write it with `+"`paved environment discover`"+` and apply it (docs/environment.md)`,
				healthyLines[envLine+1],
				`warn providerconfig aws ClusterProviderConfig default — no ClusterProviderConfig "default": create it as provider-aws's docs say (https://marketplace.upbound.io/providers/upbound/provider-family-aws/latest/docs/configuration) (needed only by namespaced Database and Bucket composites)`,
				"ok providerconfig paved — no serviceBundle section in the EnvironmentConfig: ServiceBundles are not set up, so provider-paved's ProviderConfigs are not needed yet",
				"ok argocd appproject — no serviceBundle section in the EnvironmentConfig: ServiceBundles are not set up, so no AppProject is needed yet",
			),
			code: 1,
		},
		"SecretMissing": {
			breaks: func(in install) {
				delete(in.objs, "/Secret/crossplane-system/backstage-token")
			},
			want: removeLine(removeLine(replace("providerconfig backstage backstage-prod", "fail providerconfig backstage backstage-prod — its Secret: no Secret crossplane-system/backstage-token; provider-paved cannot authenticate"), "backstage"), "backstage catalog rules"),
			code: 1,
		},
		"SecretKeyMissing": {
			breaks: func(in install) {
				s := in.objs["/Secret/crossplane-system/aws-credentials"]
				s.Object["data"] = map[string]any{"creds": "eA=="}
			},
			want: replace("providerconfig aws ProviderConfig default", "fail providerconfig aws ProviderConfig default — its credentials Secret: no key credentials in Secret crossplane-system/aws-credentials, or it is empty; provider-aws cannot authenticate to AWS"),
			code: 1,
		},
		"ArgoCDNotInstalled": {
			breaks: func(in install) {
				delete(in.objs, "argoproj.io/AppProject/argocd/orders-apps")
				delete(in.objs, "argoproj.io/AppProject/argocd/payments-pci")
				delete(in.served, schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "AppProject"})
			},
			want: append(healthyLines[:len(healthyLines)-2:len(healthyLines)-2], "fail argocd appproject — the API server does not serve argoproj.io/v1alpha1 AppProject: install Argo CD, which ServiceBundles deliver with"),
			code: 1,
		},
		"GitHubTokenRefused": {
			breaks: func(in install) {
				in.objs["/Secret/crossplane-system/github-token"] = secret(t, "github-token", "token", "ghp_revoked")
			},
			want: replace("github", "fail github — "+gh.URL+" refuses the ProviderConfig's token (HTTP 401, bad credentials): renew it in its Secret"),
			code: 1,
		},
		"GitHubTokenWithoutRepoScope": {
			github: githubStandIn(t, "public_repo, read:org", "team").URL,
			want:   replace("github", "fail github — the token of paved-bot lacks the repo scope (has \"public_repo, read:org\"), which private repositories need: give it repo, or use a GitHub App"),
			code:   1,
		},
		"GitHubFree": {
			github: githubStandIn(t, "repo", "free").URL,
			want:   replace("github", "fail github — organisation acme-prod is on GitHub Free, which protects branches of public repositories only, and paved's repositories are private: move it to GitHub Team or Enterprise"),
			code:   1,
		},
		"BackstageTokenRefused": {
			breaks: func(in install) {
				in.objs["/Secret/crossplane-system/backstage-token"] = secret(t, "backstage-token", "token", "expired")
			},
			want: removeLine(replace("backstage", "fail backstage — "+bs.URL+" refuses the ProviderConfig's token (HTTP 401): give it a static external-access token of backend.auth.externalAccess (https://backstage.io/docs/auth/service-to-service-auth#static-tokens)"), "backstage catalog rules"),
			code: 1,
		},
		"BackstageWithoutResources": {
			breaks: func(in install) {
				pc := in.objs["paved.dev/ProviderConfig//backstage-prod"]
				_ = unstructured.SetNestedField(pc.Object, empty.URL, "spec", "backstage", "baseURL")
			},
			want: replaceAll(healthyLines, map[string]string{
				"backstage":               "ok backstage — " + empty.URL + " answers the catalog with the token",
				"backstage catalog rules": "warn backstage catalog rules — whether " + empty.URL + " accepts Resource entities cannot be asked: no CatalogLocation of provider-paved's for ProviderConfig backstage-prod is registered yet, and its catalog holds none; make sure catalog.rules allow Resource: `catalog: {rules: [{allow: [Component, API, Location]}, {allow: [Resource]}]}` (README, Install)",
			}),
		},
		"BackstageUnreachable": {
			breaks: func(in install) {
				pc := in.objs["paved.dev/ProviderConfig//backstage-prod"]
				_ = unstructured.SetNestedField(pc.Object, closed, "spec", "backstage", "baseURL")
			},
			want: removeLine(replace("backstage", "warn backstage — cannot reach "+closed+" from here (dial tcp "+strings.TrimPrefix(closed, "http://")+": connect: connection refused): check from inside the cluster that provider-paved reaches it"), "backstage catalog rules"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := healthy(t, bs.URL)
			if tc.breaks != nil {
				tc.breaks(in)
			}
			github := gh.URL
			if tc.github != "" {
				github = tc.github
			}
			out, stderr, code := runDoctor(t, in, github)
			if diff := cmp.Diff(tc.want, strings.Split(strings.TrimSuffix(out, "\n"), "\n")); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, stderr)
			}
		})
	}
}

// setContainer replaces core's container in the install's Deployment.
func setContainer(in install, image string, args ...string) {
	dep := in.objs["apps/Deployment/crossplane-system/crossplane"]
	a := make([]any, len(args))
	for i := range args {
		a[i] = args[i]
	}
	_ = unstructured.SetNestedSlice(dep.Object, []any{map[string]any{"name": "crossplane", "image": image, "args": a}}, "spec", "template", "spec", "containers")
}

// replaceAll returns lines with the line of each check in with replaced.
func replaceAll(lines []string, with map[string]string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l
		for what, line := range with {
			if strings.Contains(l, " "+what+" — ") {
				out[i] = line
			}
		}
	}
	return out
}
