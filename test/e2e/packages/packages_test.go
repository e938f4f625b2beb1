//go:build e2e

package packages

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/fn"
	"github.com/paved-dev/paved/test/harness"
)

const pkgAPIVersion = "pkg.crossplane.io/v1"

// The provider-aws kinds a DatabaseClaim composes. provider-aws itself
// cannot be fetched here: the Configuration is installed with dependency
// resolution skipped, and function-paved and provider-paved are installed
// as the Function and Provider objects its dependsOn would create.
var awsCRDs = []string{
	"rds.aws.upbound.io_subnetgroups.yaml",
	"rds.aws.upbound.io_instances.yaml",
	"rds.aws.upbound.io_parametergroups.yaml",
	"ec2.aws.upbound.io_securitygroups.yaml",
	"ec2.aws.upbound.io_securitygrouprules.yaml",
}

// TestInstallPackages pushes the three packages, has Crossplane install
// them, runs the binaries their images contain (External runtime), and
// composes a DatabaseClaim through the installed Composition.
func TestInstallPackages(t *testing.T) {
	ctx := context.Background()
	dir, version := os.Getenv(envXpkgDir), os.Getenv(envVersion)
	work := t.TempDir()
	ref := func(name string) string { return reg.Host + "/paved-dev/" + name + ":" + version }

	for _, name := range []string{"function-paved", "provider-paved", "paved"} {
		cmd := exec.CommandContext(ctx, os.Getenv(envCLI), "xpkg", "push", "-f", filepath.Join(dir, name+".xpkg"), ref(name))
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+reg.CAFile, "HOME="+work)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("crossplane xpkg push %s: %v\n%s", name, err, out)
		}
	}
	t.Logf("pushed function-paved, provider-paved and paved %s to %s", version, reg.Host)

	fnBin := extract(t, filepath.Join(dir, "function-paved.xpkg"), "function", work)
	provBin := extract(t, filepath.Join(dir, "provider-paved.xpkg"), "provider", work)
	for _, b := range []string{fnBin, provBin} {
		out, err := exec.CommandContext(ctx, b, "--version").Output()
		if err != nil || strings.TrimSpace(string(out)) != version {
			t.Errorf("%s --version: %q, %v; want %s", b, out, err, version)
		}
	}

	for _, f := range awsCRDs {
		createFile(ctx, t, filepath.Join(os.Getenv(envProviderCRDs), f))
	}

	// hack/tools.sh builds core without its version ldflags, so core
	// reports version "" and its linter refuses every spec.crossplane
	// constraint ("invalid semantic version"): the constraints (>=v2.0.0,
	// core is v2.4.0) are ignored here, nothing else.
	begin := time.Now()
	noConstraint := map[string]any{"ignoreCrossplaneConstraints": true}
	if err := cp.CreateAll(ctx,
		pkg("Function", "function-paved", ref("function-paved"), noConstraint),
		pkg("Provider", "provider-paved", ref("provider-paved"), noConstraint),
		pkg("Configuration", "paved", ref("paved"), map[string]any{"ignoreCrossplaneConstraints": true, "skipDependencyResolution": true}),
	); err != nil {
		t.Fatal(err)
	}

	// Core fetched and unpacked the function: its revision exists. With
	// the External runtime the test runs the binary from the image and
	// points the revision at it.
	rev := revision(ctx, t, "FunctionRevision", "function-paved")
	playRuntime(ctx, t, "FunctionRevision", rev)
	if _, endpoint, err := cp.ServeFunction(ctx, "function-paved", fnBin, "--debug"); err != nil {
		t.Fatal(err)
	} else if err := cp.SetFunctionEndpoint(ctx, rev, endpoint); err != nil {
		t.Fatal(err)
	}
	runtimeHealthy(ctx, t, "FunctionRevision", rev)
	// The provider's CRDs came from its package; run its binary.
	provRev := revision(ctx, t, "ProviderRevision", "provider-paved")
	playRuntime(ctx, t, "ProviderRevision", provRev)
	// Every CRD of the package, not only the first: the provider indexes
	// and watches each of its kinds as it starts and exits when one is not
	// served yet (core creates them one by one).
	for _, crd := range providerCRDs(t) {
		waitCondition(ctx, t, 2*time.Minute, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", crd, "Established", "True")
	}
	if _, err := cp.StartProcess("provider-paved", []string{"KUBECONFIG=" + cp.Kubeconfig}, provBin,
		"--metrics-bind-address=0", "--health-probe-bind-address=0", "--debug"); err != nil {
		t.Fatal(err)
	}
	runtimeHealthy(ctx, t, "ProviderRevision", provRev)

	for _, p := range []struct{ kind, name string }{{"Function", "function-paved"}, {"Provider", "provider-paved"}, {"Configuration", "paved"}} {
		waitCondition(ctx, t, 3*time.Minute, pkgAPIVersion, p.kind, "", p.name, "Installed", "True")
		waitCondition(ctx, t, 3*time.Minute, pkgAPIVersion, p.kind, "", p.name, "Healthy", "True")
	}
	for _, kind := range []string{"FunctionRevision", "ProviderRevision", "ConfigurationRevision"} {
		pkgName := map[string]string{"FunctionRevision": "function-paved", "ProviderRevision": "provider-paved", "ConfigurationRevision": "paved"}[kind]
		waitCondition(ctx, t, time.Minute, pkgAPIVersion, kind, "", revision(ctx, t, kind, pkgName), "RevisionHealthy", "True")
	}
	t.Logf("figure: packages installed and Healthy %.1fs after the package objects were created", time.Since(begin).Seconds())

	// The Configuration installed the XRD of every registered kind
	// (fn.Kinds: apis/<Dir>, and apis/<Dir>-v2 for its namespaced
	// composite), as their definition.yaml names them. The namespaced
	// (apiextensions.crossplane.io/v2) XRDs have no claim to offer:
	// established is all there is.
	for _, k := range fn.Kinds {
		xrd := xrdName(t, filepath.Join(repoRoot, "apis", k.Dir, "definition.yaml"))
		waitCondition(ctx, t, 2*time.Minute, "apiextensions.crossplane.io/v1", "CompositeResourceDefinition", "", xrd, "Offered", "True")
		if k.Namespaced != "" {
			xrd := xrdName(t, filepath.Join(repoRoot, "apis", k.Dir+"-v2", "definition.yaml"))
			waitCondition(ctx, t, 2*time.Minute, "apiextensions.crossplane.io/v2", "CompositeResourceDefinition", "", xrd, "Established", "True")
		}
	}

	// A DatabaseClaim composes through the installed Composition and the
	// function from the image.
	if err := cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "orders"}}); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	createFile(ctx, t, filepath.Join(repoRoot, "examples", "database", "claim.yaml"))
	var kinds []string
	cp.Eventually(ctx, t, 3*time.Minute, "the DatabaseClaim's XR composes an RDS Instance", func(ctx context.Context) error {
		claim, err := cp.Get(ctx, "platform.paved.dev/v1alpha1", "DatabaseClaim", "orders", "orders-db")
		if err != nil {
			return err
		}
		xrName, _, _ := unstructured.NestedString(claim.Object, "spec", "resourceRef", "name")
		if xrName == "" {
			return errors.New("no spec.resourceRef yet")
		}
		xr, err := cp.Get(ctx, "platform.paved.dev/v1alpha1", "XDatabase", "", xrName)
		if err != nil {
			return err
		}
		refs, _, _ := unstructured.NestedSlice(xr.Object, "spec", "resourceRefs")
		kinds = nil
		for _, r := range refs {
			kinds = append(kinds, fmt.Sprint(r.(map[string]any)["kind"]))
		}
		if !strings.Contains(strings.Join(kinds, ","), "Instance") {
			return fmt.Errorf("composed %v; conditions %v", kinds, field(xr, "status", "conditions"))
		}
		return nil
	})
	t.Logf("the installed Composition composed %v", kinds)
}

// playRuntime does for a revision what core's package runtime controller
// does in a cluster and does not do with the External runtime: it creates
// the revision's webhook TLS server Secret and records it in
// status.tlsServerSecretName. Core's establisher waits for it before it
// installs the package's CRDs (crossplane v2.4.0
// internal/controller/pkg/revision/establisher.go, getWebhookTLSCert). The
// certificate is the registry CA's: paved's CRDs have no conversion webhook
// that would use it.
func playRuntime(ctx context.Context, t *testing.T, kind, rev string) {
	t.Helper()
	ca, err := os.ReadFile(reg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	name := rev + "-tls-server"
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "crossplane-system"}, Data: map[string][]byte{"tls.crt": ca}}
	if err := cp.Client.Create(ctx, sec); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	cp.Eventually(ctx, t, time.Minute, kind+" "+rev+" status.tlsServerSecretName", func(ctx context.Context) error {
		u, err := cp.Get(ctx, pkgAPIVersion, kind, "", rev)
		if err != nil {
			return err
		}
		if n, _, _ := unstructured.NestedString(u.Object, "status", "tlsServerSecretName"); n == name {
			return nil
		}
		patch := &unstructured.Unstructured{}
		patch.SetAPIVersion(pkgAPIVersion)
		patch.SetKind(kind)
		patch.SetName(rev)
		patch.Object["status"] = map[string]any{"tlsServerSecretName": name}
		if err := cp.Client.Status().Patch(ctx, patch, client.Merge); err != nil {
			return err
		}
		return errors.New("patched, reading back")
	})
}

// runtimeHealthy sets a revision's RuntimeHealthy condition, which core's
// package runtime controller sets from its Deployment and which a package's
// Healthy condition waits for (crossplane apis v2.4.0 pkg/v1/conditions.go):
// with the External runtime the test runs the binary, so it reports it.
func runtimeHealthy(ctx context.Context, t *testing.T, kind, rev string) {
	t.Helper()
	cp.Eventually(ctx, t, time.Minute, kind+" "+rev+" RuntimeHealthy", func(ctx context.Context) error {
		u, err := cp.Get(ctx, pkgAPIVersion, kind, "", rev)
		if err != nil {
			return err
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		out := []any{}
		for _, c := range conds {
			m := c.(map[string]any)
			if m["type"] == "RuntimeHealthy" {
				if m["status"] == "True" {
					return nil
				}
				continue
			}
			out = append(out, c)
		}
		out = append(out, map[string]any{
			"type": "RuntimeHealthy", "status": "True", "reason": "HealthyPackageRevision",
			"message":            "External runtime: the e2e test runs the binary from the package's image",
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
		})
		if err := unstructured.SetNestedSlice(u.Object, out, "status", "conditions"); err != nil {
			return err
		}
		if err := cp.Client.Status().Update(ctx, u); err != nil {
			return err
		}
		return errors.New("updated, reading back")
	})
}

// extract writes the file at path (e.g. "function") of the package's
// runtime image to dir and returns its path.
func extract(t *testing.T, xpkg, path, dir string) string {
	t.Helper()
	img, err := tarball.ImageFromPath(xpkg, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s: no /%s in the runtime image", xpkg, path)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "/") != path {
			continue
		}
		out := filepath.Join(dir, path)
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func pkg(kind, name, ref string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(pkgAPIVersion)
	u.SetKind(kind)
	u.SetName(name)
	s := map[string]any{"package": ref}
	maps.Copy(s, spec)
	u.Object["spec"] = s
	return u
}

// revision waits for the active revision of a package and returns its name.
// providerCRDs are the names of the CRDs provider-paved's package holds
// (package/crds, as make xpkg packs them).
func providerCRDs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "package", "crds", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the provider's CRDs in package/crds: %v (%d files)", err, len(files))
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil || crd.Metadata.Name == "" {
			t.Fatalf("%s: no CRD name (%v)", f, err)
		}
		names = append(names, crd.Metadata.Name)
	}
	return names
}

func revision(ctx context.Context, t *testing.T, kind, pkgName string) string {
	t.Helper()
	var name string
	cp.Eventually(ctx, t, 3*time.Minute, "a "+kind+" of "+pkgName, func(ctx context.Context) error {
		l := &unstructured.UnstructuredList{}
		l.SetAPIVersion(pkgAPIVersion)
		l.SetKind(kind + "List")
		if err := cp.Client.List(ctx, l, client.MatchingLabels{"pkg.crossplane.io/package": pkgName}); err != nil {
			return err
		}
		for _, r := range l.Items {
			if s, _, _ := unstructured.NestedString(r.Object, "spec", "desiredState"); s == "Active" {
				name = r.GetName()
				return nil
			}
		}
		return fmt.Errorf("%d revisions, none Active", len(l.Items))
	})
	return name
}

func field(u *unstructured.Unstructured, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(u.Object, path...)
	return v
}

func waitCondition(ctx context.Context, t *testing.T, timeout time.Duration, apiVersion, kind, namespace, name, typ, want string) {
	t.Helper()
	cp.Eventually(ctx, t, timeout, fmt.Sprintf("%s %s %s=%s", kind, name, typ, want), func(ctx context.Context) error {
		u, err := cp.Get(ctx, apiVersion, kind, namespace, name)
		if err != nil {
			return err
		}
		if s, r, m := harness.Condition(u, typ); s != want {
			return fmt.Errorf("%s=%q (%s: %s)", typ, s, r, m)
		}
		return nil
	})
}

// createFile creates the objects of a YAML file, leaving any that already
// exist alone.
func createFile(ctx context.Context, t *testing.T, path string) {
	t.Helper()
	objs, err := harness.ReadObjects(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.CreateAll(ctx, objs...); err != nil {
		t.Fatal(err)
	}
}

// xrdName is the name of the XRD in an apis/ definition.yaml.
func xrdName(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var xrd struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(b, &xrd); err != nil || xrd.Kind != "CompositeResourceDefinition" || xrd.Metadata.Name == "" {
		t.Fatalf("%s: want one CompositeResourceDefinition, got kind %q (%v)", path, xrd.Kind, err)
	}
	return xrd.Metadata.Name
}
