//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var (
	nsBundleOnce      sync.Once
	nsBundleInstalled bool
)

// requireNamespacedServiceBundle installs, once, what a namespaced
// ServiceBundle needs besides the golden path (which installs
// provider-paved's CRDs of both scopes and Argo CD's) and the namespaced
// Bucket: the namespaced Database (requireNamespacedDatabaseInstalled)
// and apis/servicebundle-v2, and provider-paved's ClusterProviderConfig
// "default" (m.paved.dev), the one the Composition's input names by
// default, with the golden path's GitHub stand-in and Backstage.
func requireNamespacedServiceBundle(t *testing.T) *goldenPath {
	t.Helper()
	g := requireGoldenPath(t)
	requireNamespacedInstalled(t)
	nsBundleOnce.Do(func() {
		nsBundleInstalled = t.Run("install-namespaced-servicebundle", func(t *testing.T) { testInstallNamespacedServiceBundle(t, g) })
	})
	if !nsBundleInstalled {
		t.Fatal("installing the namespaced ServiceBundle failed")
	}
	return g
}

func testInstallNamespacedServiceBundle(t *testing.T, g *goldenPath) {
	t.Helper()
	ctx := context.Background()
	begin := time.Now()
	requireNamespacedDatabaseInstalled(t)
	createAll(ctx, t, readObjects(t, filepath.Join(repoRoot, "apis", "servicebundle-v2", "definition.yaml"))...)
	const xrd = "servicebundles.paved.dev"
	waitCondition(ctx, t, 2*time.Minute, "apiextensions.crossplane.io/v2", "CompositeResourceDefinition", "", xrd, "Established", "True")
	crd, err := get(ctx, crdAPIVersion, "CustomResourceDefinition", "", xrd)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, xrd+" spec.scope", field(crd, "spec", "scope"), "Namespaced")
	waitCondition(ctx, t, time.Minute, crdAPIVersion, "CustomResourceDefinition", "", xrd, "Established", "True")
	createAll(ctx, t, readObjects(t, filepath.Join(repoRoot, "apis", "servicebundle-v2", "composition.yaml"))...)
	createAll(ctx, t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "m.paved.dev/v1alpha1", "kind": "ClusterProviderConfig",
		"metadata": map[string]any{"name": "default"},
		"spec":     providerConfigSpec(g, secretNamespace),
	}})
	t.Logf("figure: namespaced ServiceBundle API installed in %.1fs", time.Since(begin).Seconds())
}

// providerConfigSpec is the spec of a provider-paved config for the golden
// path's GitHub stand-in and Backstage, with credentials from the Secrets
// github-token and backstage-token of namespace ns.
func providerConfigSpec(g *goldenPath, ns string) map[string]any {
	return map[string]any{
		"github": map[string]any{
			"baseURL": g.GitHub.URL,
			"credentials": map[string]any{"source": "Secret", "secretRef": map[string]any{
				"namespace": ns, "name": "github-token", "key": "token"}},
		},
		"backstage": map[string]any{
			"baseURL":        g.Backstage.URL,
			"tokenSecretRef": map[string]any{"namespace": ns, "name": "backstage-token", "key": "token"},
		},
	}
}

// nsRefs are what a namespaced composite says it composed
// (spec.crossplane.resourceRefs), each in its namespace.
func nsRefs(xr *unstructured.Unstructured) []ref {
	l, _, _ := unstructured.NestedSlice(xr.Object, "spec", "crossplane", "resourceRefs")
	out := make([]ref, 0, len(l))
	for _, r := range l {
		m, _ := r.(map[string]any)
		out = append(out, ref{fmt.Sprint(m["apiVersion"]), fmt.Sprint(m["kind"]), fmt.Sprint(m["name"])})
	}
	return out
}

// namespacedMetricSources are the namespaced kinds the platform metrics
// read once the namespaced XRDs are installed.
var namespacedMetricSources = []string{"ServiceBundle.paved.dev", "Database.paved.dev", "Bucket.paved.dev"}

// TestNamespacedServiceBundle follows a namespaced ServiceBundle (Crossplane
// v2, no claim) along the golden path with the real provider serving its
// namespaced kinds, the GitHub stand-in and the real Backstage catalog (the
// test plays provider-aws and Argo CD's controller): everything it
// composes — provider-paved's namespaced Repository, RepositoryFile,
// Branch and CatalogLocation, the namespaced Database and Bucket, the
// Applications and the Usages — lives in its namespace, controlled by it,
// with the platform's ClusterProviderConfig; the repository is generated on
// GitHub, registered in Backstage, and the ServiceBundle becomes Ready;
// provider-paved's platform metrics count it as a legacy bundle.
func TestNamespacedServiceBundle(t *testing.T) {
	g := requireNamespacedServiceBundle(t)
	ctx := context.Background()
	const ns, name = "team-billing", "billing-api"
	createNamespace(ctx, t, ns)
	// provider-paved's platform metrics, once they read the namespaced
	// kinds (installed after the provider started).
	metricsBefore := scrapePlatform(ctx, t, g.Provider, namespacedMetricSources...)
	ghBefore := g.GitHub.Stats()
	created := time.Now()
	createAll(ctx, t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": namespacedVersion, "kind": "ServiceBundle",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"description": "Billing API", "template": "go-service",
			"database":     map[string]any{"engine": "postgresql", "size": "small"},
			"bucket":       map[string]any{},
			"environments": []any{"staging", "production"},
		},
	}})

	// The repository, its file and branch and the nested Database and
	// Bucket, each in the bundle's namespace.
	var xr *unstructured.Unstructured
	refs := map[string]ref{}
	eventually(ctx, t, waitLimit, "the namespaced ServiceBundle composes", func(ctx context.Context) error {
		var err error
		if xr, err = get(ctx, namespacedVersion, "ServiceBundle", ns, name); err != nil {
			return err
		}
		refs = kinds(nsRefs(xr))
		for _, k := range []string{"Repository", "RepositoryFile", "Branch", "Database", "Bucket"} {
			rf, ok := refs[k]
			if !ok {
				return fmt.Errorf("lists %v; conditions: %s", refs, conditionsString(xr))
			}
			if _, err := get(ctx, rf.APIVersion, rf.Kind, ns, rf.Name); err != nil {
				return fmt.Errorf("%s in %s: %w", rf, ns, err)
			}
		}
		return nil
	})
	expect(t, "Repository apiVersion", refs["Repository"].APIVersion, "github.m.paved.dev/v1alpha1")
	expect(t, "Database apiVersion", refs["Database"].APIVersion, namespacedVersion)
	expect(t, "Bucket apiVersion", refs["Bucket"].APIVersion, namespacedVersion)

	// Play provider-aws for the nested Database and Bucket, in the
	// namespace; the instance writes the team's connection Secret there.
	db := waitNestedIn(ctx, t, ns, refs["Database"], databaseKinds)
	bkt := waitNestedIn(ctx, t, ns, refs["Bucket"], bucketKinds)
	inst, err := get(ctx, db["Instance"].APIVersion, "Instance", ns, db["Instance"].Name)
	if err != nil {
		t.Fatal(err)
	}
	secretName := mustString(t, inst, "spec", "writeConnectionSecretToRef", "name")
	expect(t, "the instance's connection Secret", secretName, name+"-database")
	address := name + ".c9akciq32.eu-west-1.rds.amazonaws.com"
	if err := writeSecret(ctx, ns, secretName, map[string]string{
		"username": "paved", "password": randomString(16), "endpoint": address + ":5432", "address": address, "port": "5432",
	}); err != nil {
		t.Fatal(err)
	}
	for k, rf := range db {
		at := map[string]any{"id": rf.Name}
		switch k {
		case "Instance":
			at = map[string]any{"address": address, "endpoint": address + ":5432", "port": int64(5432), "id": "db-" + strings.ToUpper(randomString(8))}
		case "SecurityGroup":
			at = map[string]any{"id": "sg-" + randomString(8)}
		}
		if err := markReadyIn(ctx, ns, rf, at); err != nil {
			t.Fatalf("provider-aws step, %s: %v", rf, err)
		}
	}
	s3, err := get(ctx, bkt["Bucket"].APIVersion, "Bucket", ns, bkt["Bucket"].Name)
	if err != nil {
		t.Fatal(err)
	}
	bucketName := s3.GetAnnotations()["crossplane.io/external-name"]
	region := mustString(t, s3, "spec", "forProvider", "region")
	for k, rf := range bkt {
		at := map[string]any{"id": bucketName}
		if k == "Bucket" {
			at = map[string]any{"id": bucketName, "arn": "arn:aws:s3:::" + bucketName, "region": region}
		}
		if err := markReadyIn(ctx, ns, rf, at); err != nil {
			t.Fatalf("provider-aws step, %s: %v", rf, err)
		}
	}

	// Play Argo CD's controller once the Applications exist, in the
	// bundle's namespace (Argo CD's applications in any namespace).
	for _, e := range []string{"staging", "production"} {
		app := appName(ns, name, e)
		eventually(ctx, t, waitLimit, "Application "+ns+"/"+app+" reports Argo CD's status", func(ctx context.Context) error {
			u, err := get(ctx, appAPIVersion, "Application", ns, app)
			if err != nil {
				return err
			}
			status := map[string]any{"health": map[string]any{"status": "Missing"}, "sync": map[string]any{"status": "OutOfSync"}}
			if e == "staging" {
				rev := strings.Repeat("b", 40)
				status = map[string]any{
					"health": map[string]any{"status": "Healthy"},
					"sync":   map[string]any{"status": "Synced", "revision": rev},
					"history": []any{map[string]any{"id": int64(0), "revision": rev,
						"deployedAt": time.Now().UTC().Format(time.RFC3339), "source": field(u, "spec", "source")}},
				}
			}
			u.Object["status"] = status
			return cp.Client.Update(ctx, u)
		})
	}

	got, _ := waitCondition(ctx, t, waitLimit, namespacedVersion, "ServiceBundle", ns, name, "Ready", "True")
	t.Logf("figure: namespaced ServiceBundle %s/%s created -> Ready in %.1f s, including the simulated provider-aws and Argo CD steps", ns, name, time.Since(created).Seconds())
	for _, c := range []string{"RepositoryReady", "CatalogRegistered", "DatabaseReady", "BucketReady", "DeliveryReady"} {
		if s, r, m := condition(got, c); s != "True" {
			t.Errorf("%s=%s (%s): %s", c, s, r, m)
		}
	}
	expect(t, "status.repositoryURL", field(got, "status", "repositoryURL"), "https://"+githubHost+"/"+platformOwner+"/"+name)
	expect(t, "status.catalogEntityRef", field(got, "status", "catalogEntityRef"), "component:default/"+name)
	expect(t, "status.database.secretName", field(got, "status", "database", "secretName"), name+"-database")
	expect(t, "status.applications", fmt.Sprint(field(got, "status", "applications")), fmt.Sprint([]any{appName(ns, name, "staging"), appName(ns, name, "production")}))

	// Everything it composed is in its namespace and controlled by it;
	// provider-paved's kinds name the platform's ClusterProviderConfig.
	all := nsRefs(got)
	var seen []string
	for _, rf := range all {
		u, err := get(ctx, rf.APIVersion, rf.Kind, ns, rf.Name)
		if err != nil {
			t.Errorf("%s: not in %s: %v", rf, ns, err)
			continue
		}
		seen = append(seen, rf.Kind)
		if o := metav1.GetControllerOf(u); o == nil || o.UID != got.GetUID() {
			t.Errorf("%s is controlled by %v, not the ServiceBundle", rf, o)
		}
		switch group, _, _ := strings.Cut(rf.APIVersion, "/"); group {
		case "github.m.paved.dev", "backstage.m.paved.dev":
			expect(t, rf.String()+" providerConfigRef", fmt.Sprint(field(u, "spec", "providerConfigRef")), "map[kind:ClusterProviderConfig name:default]")
			if s, _, m := condition(u, "Synced"); s != "True" {
				t.Errorf("%s Synced=%s: %s", rf, s, m)
			}
		case "protection.crossplane.io":
			expect(t, rf.String()+" kind", rf.Kind, "Usage")
			expect(t, rf.String()+" of", fmt.Sprint(field(u, "spec", "of", "resourceRef")), "map[name:"+name+" namespace:"+ns+"]")
		case "argoproj.io":
			expect(t, rf.String()+" project", field(u, "spec", "project"), ns+"-project")
			if d := fmt.Sprint(field(u, "spec", "destination", "namespace")); d != ns+"-staging" && d != ns+"-production" {
				t.Errorf("%s deploys into %s, not its environment's namespace", rf, d)
			}
			if !slices.Contains(toStrings(field(u, "spec", "syncPolicy", "syncOptions")), "FailOnSharedResource=true") {
				t.Errorf("%s syncOptions %v lack FailOnSharedResource=true", rf, field(u, "spec", "syncPolicy", "syncOptions"))
			}
		}
	}
	slices.Sort(seen)
	expect(t, "composed kinds", strings.Join(seen, ","),
		"Application,Application,Branch,Bucket,CatalogLocation,Database,Repository,RepositoryFile,Usage,Usage,Usage")
	if _, err := get(ctx, appAPIVersion, "Application", "argocd", appName(ns, name, "staging")); err == nil {
		t.Error("an Application of the namespaced bundle is in Argo CD's namespace")
	}

	// The platform metrics count it as they count a legacy bundle: the
	// same series, for its namespace's team, each grown by one.
	eventually(ctx, t, waitLimit, "the platform metrics count the namespaced ServiceBundle", func(ctx context.Context) error {
		after := scrapePlatform(ctx, t, g.Provider, namespacedMetricSources...)
		for _, s := range platformSeries(ns, "go-service") {
			if d := sample(t, after, s.name, s.labels) - sample(t, metricsBefore, s.name, s.labels); d != 1 {
				return fmt.Errorf("%s{%s} grew by %v while the test created one namespaced ServiceBundle, want 1", s.name, s.labels, d)
			}
		}
		return nil
	})

	// On GitHub and in Backstage.
	if s := g.GitHub.Stats(); s.RepoCreates-ghBefore.RepoCreates != 1 {
		t.Errorf("%d repositories created on GitHub, want 1", s.RepoCreates-ghBefore.RepoCreates)
	}
	st, ok := g.GitHub.Repo(platformOwner, name)
	if !ok {
		t.Fatalf("no repository %s/%s on GitHub", platformOwner, name)
	}
	if !strings.Contains(st.Files["main:catalog-info.yaml"], "name: "+name) {
		t.Errorf("catalog-info.yaml on main: %q", st.Files["main:catalog-info.yaml"])
	}
	if err := g.check(); err != nil {
		t.Error(err)
	}
}

// toStrings is v as a list of strings.
func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// waitNestedIn waits until a nested namespaced composite in ns lists every
// kind of want, each in ns, and returns them by kind.
func waitNestedIn(ctx context.Context, t *testing.T, ns string, xrRef ref, want []string) map[string]ref {
	t.Helper()
	var out map[string]ref
	eventually(ctx, t, waitLimit, xrRef.String()+" composes "+strings.Join(want, ", "), func(ctx context.Context) error {
		xr, err := get(ctx, xrRef.APIVersion, xrRef.Kind, ns, xrRef.Name)
		if err != nil {
			return err
		}
		refs := kinds(nsRefs(xr))
		out = map[string]ref{}
		for _, k := range want {
			rf, ok := refs[k]
			if !ok {
				return fmt.Errorf("lists %v; conditions: %s", refs, conditionsString(xr))
			}
			if _, err := get(ctx, rf.APIVersion, rf.Kind, ns, rf.Name); err != nil {
				return err
			}
			out[k] = rf
		}
		return nil
	})
	return out
}

// TestNamespacedServiceBundleOtherNamespace: a tenant's namespaced
// ServiceBundle reaches no other namespace's ProviderConfig or Secret.
// With the platform's environment naming a ProviderConfig in each team's
// namespace (serviceBundle.providerConfigKind: ProviderConfig, in the
// EnvironmentConfig), the bundle of a namespace without one does not use
// the ProviderConfig of the same name another team's namespace holds;
// nor does a ProviderConfig the tenant writes in its own namespace that
// names that team's credentials Secret. Nothing reaches GitHub, and the
// bundle says why in the provider's words.
func TestNamespacedServiceBundleOtherNamespace(t *testing.T) {
	g := requireNamespacedServiceBundle(t)
	ctx := context.Background()
	const victim, tenant, name = "team-victim", "team-mallory", "mallory-api"
	createNamespace(ctx, t, victim)
	createNamespace(ctx, t, tenant)
	// The victim's own ProviderConfig "default", with its credentials.
	token, _ := get(ctx, "v1", "Secret", secretNamespace, "github-token")
	if token == nil {
		t.Fatal("no Secret github-token in " + secretNamespace)
	}
	createAll(ctx, t,
		secret(victim, "github-token", "token", string(secretBytes(t, token, "token"))),
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "m.paved.dev/v1alpha1", "kind": "ProviderConfig",
			"metadata": map[string]any{"name": "default", "namespace": victim},
			"spec":     providerConfigSpec(g, victim),
		}})
	ec := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.crossplane.io/v1beta1", "kind": "EnvironmentConfig",
		"metadata": map[string]any{"name": "paved-environment"},
		"data":     map[string]any{"paved": map[string]any{"serviceBundle": map[string]any{"providerConfigKind": "ProviderConfig"}}},
	}}
	createAll(ctx, t, ec)
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), ec); err != nil {
			t.Errorf("delete EnvironmentConfig: %v", err)
		}
	})
	ghBefore := g.GitHub.Stats()
	createAll(ctx, t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": namespacedVersion, "kind": "ServiceBundle",
		"metadata": map[string]any{"name": name, "namespace": tenant},
		"spec":     map[string]any{"description": "Mallory API", "template": "go-service"},
	}})

	refused := func(why, want string) {
		t.Helper()
		eventually(ctx, t, waitLimit, "the tenant's Repository refused: "+why, func(ctx context.Context) error {
			r, err := get(ctx, "github.m.paved.dev/v1alpha1", "Repository", tenant, name)
			if err != nil {
				return err
			}
			if pc := fmt.Sprint(field(r, "spec", "providerConfigRef")); pc != "map[kind:ProviderConfig name:default]" {
				return fmt.Errorf("providerConfigRef %s", pc)
			}
			if s, _, m := condition(r, "Synced"); s != "False" || !strings.Contains(m, want) {
				return fmt.Errorf("Synced=%s %q, want False with %q", s, m, want)
			}
			xr, err := get(ctx, namespacedVersion, "ServiceBundle", tenant, name)
			if err != nil {
				return err
			}
			if s, _, m := condition(xr, "RepositoryReady"); s != "False" || !strings.Contains(m, want) {
				return fmt.Errorf("the bundle's RepositoryReady=%s %q, want False with %q", s, m, want)
			}
			return nil
		})
	}
	// No ProviderConfig in the tenant's namespace: the victim's of the
	// same name is not found.
	refused("another namespace's ProviderConfig", `cannot get ProviderConfig "`+tenant+`/default"`)
	// The tenant's own ProviderConfig naming the victim's Secret.
	createAll(ctx, t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "m.paved.dev/v1alpha1", "kind": "ProviderConfig",
		"metadata": map[string]any{"name": "default", "namespace": tenant},
		"spec":     providerConfigSpec(g, victim),
	}})
	refused("another namespace's Secret", `names Secret `+victim+`/github-token: a ProviderConfig may only name Secrets of its own namespace "`+tenant+`"`)

	if _, ok := g.GitHub.Repo(platformOwner, name); ok {
		t.Errorf("repository %s/%s was created on GitHub", platformOwner, name)
	}
	if s := g.GitHub.Stats(); s.RepoCreates != ghBefore.RepoCreates {
		t.Errorf("%d repositories created on GitHub, want 0", s.RepoCreates-ghBefore.RepoCreates)
	}
}

// secretBytes is the value of key in a Secret read as unstructured.
func secretBytes(t *testing.T, s *unstructured.Unstructured, key string) []byte {
	t.Helper()
	v := mustString(t, s, "data", key)
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
