//go:build e2e

// Package e2e runs bin/provider against a real API server (etcd,
// kube-apiserver, kube-controller-manager and Crossplane core from
// test/harness, in private network and PID namespaces) and the GitHub
// stand-in: CRDs from package/crds are installed for real (CEL rules
// included), the provider reconciles through a real client (server-side
// apply of resolved references, status subresources, finalizers).
//
// Run: make build && go test -tags e2e -count=1 -v ./provider/test/e2e/
// (needs root for the namespaces, like test/e2e).
package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/controller/repositoryfile"
	"github.com/paved-dev/paved/test/ghtest"
	"github.com/paved-dev/paved/test/harness"
)

const token = "ghp_e2e-token-0123456789"

var (
	cp   *harness.ControlPlane
	root string
)

// TestMain runs the tests on a control plane of their own (harness.Main);
// each test starts bin/provider itself.
func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.MainOptions{
		Name:    "provider-e2e",
		Output:  "provider-e2e",
		Outside: outside,
		Started: func(_ context.Context, r *harness.Run) error {
			cp, root = r.ControlPlane, r.Root
			return nil
		},
	}))
}

// outside resolves what the tests need besides the control plane:
// bin/provider (make provider), GitHub's OpenAPI description and the
// Backstage catalog backend (TestRenameKeepsIdentity).
func outside(ctx context.Context, r string) ([]string, error) {
	var env []string
	for _, f := range []func(context.Context, string) (string, error){harness.ProviderEnv, harness.GitHubOpenAPIEnv, harness.BackstageEnv} {
		v, err := f(ctx, r)
		if err != nil {
			return nil, err
		}
		env = append(env, v)
	}
	return env, nil
}

// createGitHubConfig creates the ProviderConfig "default" for the GitHub
// stand-in at baseURL, with its token in the Secret paved-system/github;
// a test after another points the existing one at its own stand-in.
func createGitHubConfig(ctx context.Context, t *testing.T, c client.Client, baseURL string) {
	t.Helper()
	pc := &pcv1alpha1.ProviderConfig{}
	if err := c.Get(ctx, types.NamespacedName{Name: "default"}, pc); err == nil {
		pc.Spec.GitHub.BaseURL = baseURL
		if err := c.Update(ctx, pc); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "paved-system"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "paved-system", Name: "github"}, Data: map[string][]byte{"token": []byte(token)}},
		&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{
			BaseURL: baseURL,
			Credentials: pcv1alpha1.GitHubCredentials{Source: pcv1alpha1.GitHubCredentialsSecret, SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: "paved-system", Name: "github"}, Key: "token"}},
		}}},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

func installCRDs(t *testing.T, c client.Client) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "package", "crds", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in package/crds: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(b, crd); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(context.Background(), crd); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("install %s: %v", filepath.Base(f), err)
		}
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		parts := strings.SplitN(name, "_", 2)
		name = parts[1] + "." + parts[0]
		eventually(t, 30*time.Second, "CRD "+name+" established", func() error {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(context.Background(), types.NamespacedName{Name: name}, crd); err != nil {
				return err
			}
			for _, cd := range crd.Status.Conditions {
				if cd.Type == apiextensionsv1.Established && cd.Status == apiextensionsv1.ConditionTrue {
					return nil
				}
			}
			return fmt.Errorf("not established")
		})
	}
}

func eventually(t *testing.T, limit time.Duration, what string, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < limit {
		if err = f(); err == nil {
			return time.Since(start)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v: %v", what, limit, err)
	return 0
}

func ready(c client.Client, obj interface {
	client.Object
	GetCondition(xpv2.ConditionType) xpv2.Condition
}) func() error {
	return func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		r, s := obj.GetCondition(xpv2.TypeReady), obj.GetCondition(xpv2.TypeSynced)
		if r.Status != corev1.ConditionTrue || s.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready=%s Synced=%s %s", r.Status, s.Status, s.Message)
		}
		return nil
	}
}

func TestProviderAgainstARealAPIServer(t *testing.T) {
	v, err := ghtest.LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	gh := ghtest.NewServer(v)
	defer gh.Close()
	gh.AddOrg("acme")
	gh.AddToken(token, "octo")
	defer func() {
		for _, v := range gh.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	}()

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{apis.AddToScheme, corev1.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(cp.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	installCRDs(t, c)

	ctx := context.Background()
	createGitHubConfig(ctx, t, c, gh.URL)

	prov := startProvider(t, "--debug", "--poll=2s")
	metricsAddr, logPath := prov.MetricsAddr, prov.LogPath()

	repo := &ghv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Name: "payments"},
		Spec: ghv1alpha1.RepositorySpec{ForProvider: ghv1alpha1.RepositoryParameters{
			Owner: "acme", Description: ptr("payments"), Topics: &[]string{"go", "payments"}, AutoInit: ptr(true),
			BranchProtection: &ghv1alpha1.BranchProtection{},
		}},
	}
	file := &ghv1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Name: "payments-catalog"},
		Spec: ghv1alpha1.RepositoryFileSpec{ForProvider: ghv1alpha1.RepositoryFileParameters{
			RepositoryRef: &xpv2.Reference{Name: "payments"},
			Path:          "catalog-info.yaml",
			Content:       "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n",
		}},
	}
	begin := time.Now()
	for _, o := range []client.Object{repo, file} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// API defaults from the CRD schema. Visibility and default branch have
	// none: unset fields are not managed (a new repository is private).
	if err := c.Get(ctx, client.ObjectKeyFromObject(repo), repo); err != nil {
		t.Fatal(err)
	}
	p := repo.Spec.ForProvider
	if p.Visibility != "" || p.DefaultBranch != "" || p.ArchiveOnDelete == nil || !*p.ArchiveOnDelete ||
		p.BranchProtection.RequiredApprovingReviewCount == nil || *p.BranchProtection.RequiredApprovingReviewCount != 1 ||
		repo.Spec.ProviderConfigReference == nil || repo.Spec.ProviderConfigReference.Name != "default" {
		t.Errorf("CRD defaults not applied: %+v", p)
	}

	d := eventually(t, 60*time.Second, "Repository Ready", ready(c, repo))
	t.Logf("figure: Repository Ready %v after creation", d.Round(time.Millisecond))
	eventually(t, 60*time.Second, "RepositoryFile Ready", ready(c, file))
	t.Logf("figure: RepositoryFile Ready %v after creation", time.Since(begin).Round(time.Millisecond))
	if file.Spec.ForProvider.Repository == nil || *file.Spec.ForProvider.Repository != "acme/payments" {
		t.Errorf("repositoryRef not resolved through the API server: %v", file.Spec.ForProvider.Repository)
	}
	st, _ := gh.Repo("acme", "payments")
	if st.Files["main:catalog-info.yaml"] != file.Spec.ForProvider.Content || !st.Protected || st.RequiredReviews != 1 ||
		st.Visibility != "private" {
		t.Errorf("GitHub state: %+v", st)
	}
	// What the RepositoryFile's Create recorded reached the API server
	// (crossplane-runtime keeps annotations from Create, not status), and
	// status.atProvider.commitSHA is that commit.
	if a := file.GetAnnotations(); a[repositoryfile.AnnotationOwner] != "created" || a[repositoryfile.AnnotationCommit] == "" ||
		file.Status.AtProvider.CommitSHA != a[repositoryfile.AnnotationCommit] {
		t.Errorf("RepositoryFile annotations %v, commitSHA %q", a, file.Status.AtProvider.CommitSHA)
	}
	// The repository's id (recorded by Create) and the late-initialised
	// spec reached the API server.
	if err := c.Get(ctx, client.ObjectKeyFromObject(repo), repo); err != nil {
		t.Fatal(err)
	}
	if got := repo.GetAnnotations()["github.paved.dev/repository-id"]; got != strconv.FormatInt(st.ID, 10) {
		t.Errorf("repository-id annotation = %q, want %d", got, st.ID)
	}
	if p := repo.Spec.ForProvider; p.Visibility != "private" || p.DefaultBranch != "main" {
		t.Errorf("spec not late-initialised: visibility %q, defaultBranch %q", p.Visibility, p.DefaultBranch)
	}

	// Owner is immutable (CEL rule in the CRD).
	repo.Spec.ForProvider.Owner = "someone-else"
	if err := c.Update(ctx, repo); err == nil || !strings.Contains(err.Error(), "owner is immutable") {
		t.Errorf("changing owner: err = %v, want the CRD's immutability rule", err)
	}

	// Steady state with a 2 s poll: count what GitHub would bill. The first
	// read after the provider's own writes sees a new ETag (counted); let
	// a few polls pass first.
	time.Sleep(6 * time.Second)
	before := gh.Stats()
	time.Sleep(10 * time.Second)
	after := gh.Stats()
	t.Logf("figure: 10 s of 2 s polls of 1 Repository + 1 RepositoryFile: %d requests, %d answered 304, %d counted against the rate limit",
		after.Requests-before.Requests, after.NotModified-before.NotModified, after.Counted-before.Counted)
	if after.Counted != before.Counted {
		t.Errorf("steady state cost %d counted requests: %v", after.Counted-before.Counted, after.ByRoute)
	}

	// The remaining quota is exported per GitHub identity (the token on
	// the stand-in), never with the token itself.
	id, err := ghclient.Identity(ghclient.Config{BaseURL: gh.URL, Credentials: ghclient.Credentials{Token: token}})
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rsp.Body)
	_ = rsp.Body.Close()
	want := fmt.Sprintf(`paved_github_rate_limit_remaining{identity=%q} %d`, id, 5000-gh.Stats().Counted)
	if strings.Contains(string(body), token) {
		t.Errorf("the metrics carry the token")
	}
	if !strings.Contains(string(body), want) {
		t.Errorf("metrics lack %q", want)
	}
	// The Repository controller's state recorder (crossplane-runtime
	// statemetrics, polled every 5 s) counts the Ready Repository.
	if want := `crossplane_managed_resource_ready{gvk="github.paved.dev/v1alpha1, Kind=Repository"} 1`; !strings.Contains(string(body), want) {
		t.Errorf("metrics lack %q", want)
	}

	if want := `crossplane_managed_resource_ready{gvk="github.paved.dev/v1alpha1, Kind=RepositoryFile"} 1`; !strings.Contains(string(body), want) {
		t.Errorf("metrics lack %q", want)
	}

	checkBranchesAndTeamAccess(ctx, t, c, gh, "acme", "payments")

	// enforceAdmins makes GitHub refuse the provider's direct commits to
	// main: a change of content arrives as a pull request and converges
	// when a reviewer merges it.
	eventually(t, 10*time.Second, "enforceAdmins set", func() error { // retried on conflicts with the provider's writes
		if err := c.Get(ctx, client.ObjectKeyFromObject(repo), repo); err != nil {
			return err
		}
		repo.Spec.ForProvider.BranchProtection.EnforceAdmins = true
		return c.Update(ctx, repo)
	})
	eventually(t, 60*time.Second, "enforceAdmins on main", func() error {
		if st, _ := gh.Repo("acme", "payments"); !st.EnforceAdmins {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	const changed = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\nspec:\n  owner: team-payments\n"
	eventually(t, 10*time.Second, "content changed", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(file), file); err != nil {
			return err
		}
		file.Spec.ForProvider.Content = changed
		return c.Update(ctx, file)
	})
	eventually(t, 60*time.Second, "pull request for the change", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(file), file); err != nil {
			return err
		}
		if prs := gh.PullRequests("acme", "payments"); len(prs) != 1 || file.Status.AtProvider.PullRequestNumber != prs[0].Number {
			return fmt.Errorf("pull requests %+v, status %+v", prs, file.Status.AtProvider)
		}
		return nil
	})
	if st, _ := gh.Repo("acme", "payments"); st.Files["main:catalog-info.yaml"] == file.Spec.ForProvider.Content {
		t.Error("the provider committed to a branch that requires reviews")
	}
	gh.MergePullRequest("acme", "payments", file.Status.AtProvider.PullRequestNumber)
	eventually(t, 60*time.Second, "RepositoryFile Ready after the merge", ready(c, file))
	if st, _ := gh.Repo("acme", "payments"); st.Files["main:catalog-info.yaml"] != file.Spec.ForProvider.Content {
		t.Errorf("main holds %q after the merge", st.Files["main:catalog-info.yaml"])
	}

	// Deleting the Repository archives it.
	if err := c.Delete(ctx, file); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, repo); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "Repository gone", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(repo), &ghv1alpha1.Repository{}); err == nil {
			return fmt.Errorf("still there")
		}
		return nil
	})
	if st, ok := gh.Repo("acme", "payments"); !ok || !st.Archived {
		t.Errorf("repository should be archived, not deleted: exists=%v archived=%v", ok, st.Archived)
	}
	if s := gh.Stats(); s.RepoDeletes != 0 || s.RepoCreates != 1 {
		t.Errorf("creates=%d deletes=%d, want 1 and 0", s.RepoCreates, s.RepoDeletes)
	}
	if b, err := os.ReadFile(logPath); err == nil && strings.Contains(string(b), token) {
		t.Error("provider log contains the GitHub token")
	}
}

func ptr[T any](v T) *T { return &v }

// provider is bin/provider (harness.StartProvider), started for one test
// and stopped when it ends; its log is <LogDir>/provider-<test>.log.
type provider struct{ *harness.Provider }

func startProvider(t *testing.T, args ...string) *provider {
	t.Helper()
	p, err := harness.StartProvider(context.Background(), harness.ProviderOptions{
		Binary: os.Getenv(harness.EnvProvider), Kubeconfig: cp.Kubeconfig, LogDir: cp.LogDir,
		Name: "provider-" + t.Name(), Args: args,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &provider{p}
}
