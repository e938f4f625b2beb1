package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

func pkg(t *testing.T, kind, name, ref string) *unstructured.Unstructured {
	t.Helper()
	return obj(t, fmt.Sprintf(`
apiVersion: pkg.crossplane.io/v1
kind: %s
metadata: {name: %s}
spec: {package: %q}
status:
  conditions:
  - {type: Healthy, status: "True", reason: HealthyPackageRevision}
  - {type: Installed, status: "True", reason: ActivePackageRevision}
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
	for _, o := range []*unstructured.Unstructured{
		obj(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {namespace: crossplane-system, name: crossplane}
spec:
  template:
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
`),
		pkg(t, "Function", "paved-dev-function-paved", "xpkg.paved.dev/paved-dev/function-paved:v0.1.0"),
		pkg(t, "Provider", "paved-dev-provider-paved", "xpkg.paved.dev/paved-dev/provider-paved:v0.1.0"),
		pkg(t, "Provider", "upbound-provider-aws-rds", "xpkg.upbound.io/upbound/provider-aws-rds:v2.6.0"),
		pkg(t, "Provider", "upbound-provider-aws-ec2", "xpkg.upbound.io/upbound/provider-aws-ec2:v2.6.0"),
		pkg(t, "Provider", "upbound-provider-aws-s3", "xpkg.upbound.io/upbound/provider-aws-s3:v2.6.0"),
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
		obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: AppProject, metadata: {namespace: argocd, name: orders-apps}}`),
		obj(t, `{apiVersion: argoproj.io/v1alpha1, kind: AppProject, metadata: {namespace: argocd, name: payments-pci}}`),
	} {
		in.objs[o.GroupVersionKind().Group+"/"+o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
		in.serve(o.GroupVersionKind(), o.GetNamespace() != "")
	}
	in.serve(schema.GroupVersionKind{Group: "protection.crossplane.io", Version: "v1beta1", Kind: "ClusterUsage"}, false)
	return in
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
	b := fake.NewClientBuilder().WithScheme(s).WithRESTMapper(m)
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

func TestDoctor(t *testing.T) {
	bs := backstageStandIn(t, 2)
	gh := githubStandIn(t, "repo, read:org", "team")
	healthyLines := []string{
		"ok crossplane version — Crossplane v2.4.0 (xpkg.crossplane.io/crossplane/crossplane:v2.4.0), paved needs >=v2.0.0",
		"ok crossplane usage webhook — ValidatingWebhookConfiguration crossplane-no-usages sends deletions of objects in use to core (nousages.protection.crossplane.io), so Usages protect what paved's resources use",
		"ok crossplane realtime compositions — on (core's default; Deployment crossplane-system/crossplane does not turn it off)",
		"ok crossplane circuit breaker — burst 1000 (Deployment crossplane-system/crossplane)",
		"ok package function-paved — Function paved-dev-function-paved (xpkg.paved.dev/paved-dev/function-paved:v0.1.0) Installed and Healthy, v0.1.0 within >=v0.1.0",
		"ok package provider-paved — Provider paved-dev-provider-paved (xpkg.paved.dev/paved-dev/provider-paved:v0.1.0) Installed and Healthy, v0.1.0 within >=v0.1.0",
		"ok package provider-aws-rds — Provider upbound-provider-aws-rds (xpkg.upbound.io/upbound/provider-aws-rds:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		"ok package provider-aws-ec2 — Provider upbound-provider-aws-ec2 (xpkg.upbound.io/upbound/provider-aws-ec2:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		"ok package provider-aws-s3 — Provider upbound-provider-aws-s3 (xpkg.upbound.io/upbound/provider-aws-s3:v2.6.0) Installed and Healthy, v2.6.0 within >=v2.6.0, <v3.0.0",
		`ok environment paved-environment — EnvironmentConfig "paved-environment" is valid: region us-east-1, VPC vpc-0f1e2d3c4b5a69788, 2 subnets`,
		"ok providerconfig aws ProviderConfig default — exists, credentials Secret crossplane-system/aws-credentials key credentials readable",
		"ok providerconfig aws ClusterProviderConfig aws-prod — exists, credentials from IRSA (no Secret to read)",
		"ok providerconfig github default — exists, Secret crossplane-system/github-token key token readable",
		"ok github — " + gh.URL + " accepts the token (paved-bot); organisation acme-prod is on plan team",
		"ok providerconfig backstage backstage-prod — exists, Secret crossplane-system/backstage-token key token readable",
		"ok backstage — " + bs.URL + " answers with the token; its catalog holds Resource entities, so catalog.rules allow them",
		"ok argocd appproject argocd/orders-apps — exists for namespace team-orders (team orders)",
		"ok argocd appproject argocd/payments-pci — exists for namespace team-payments (team payments)",
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
