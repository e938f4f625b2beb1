//go:build e2e && scale

// TestScale is `make provider-scale` (not part of `make test` or `make
// provider-e2e`): bin/provider on the e2e control plane with N Repositories
// and a RepositoryFile each (PAVED_SCALE, default 1000) against the
// OpenAPI-validated GitHub stand-in. It prints figures (never timed
// assertions): how long the N Repositories take to be Ready, what a
// steady-state reconcile costs in counted GitHub requests, and the
// provider's memory. Then, with a share of all GitHub requests answered by
// injected faults (5xx, 429 and secondary-limit 403 with Retry-After,
// timeouts, responses lost after GitHub acted), it creates, refuses and
// deletes more resources and asserts that no repository was created twice
// or deleted and that no file the provider did not create was overwritten.
//
// GitHub's limits are on, at GitHub's numbers with time compressed
// (timeScale: one hour in a minute): the primary limit of 5,000 counted
// requests per identity and hour, the secondary limits on content creation
// (80 a minute, 500 an hour), and a GitHub App installation whose tokens
// expire, and are replaced, every compressed hour. The provider paces on
// the same compressed clock. Figures: counted-requests-per-hour (the most
// the installation had counted in one compressed hour, which is one of
// GitHub's hours; must stay under 4,000, 80% of the limit),
// identity-lockouts (requests GitHub's limits refused; must be 0),
// repositories-ready and writes-per-hour.
//
// Run: make provider-scale [SCALE=200] (needs root, like provider-e2e).
package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/repository"
	"github.com/paved-dev/paved/test/ghtest"
	"github.com/paved-dev/paved/test/harness"
)

const (
	envScale     = "PAVED_SCALE"
	envFaultRate = "PAVED_SCALE_FAULT_RATE"
	envRate      = "PAVED_SCALE_RATE" // --max-reconcile-rate, else the provider's default
	scaleOrg     = "acme"
	catalogPath  = "catalog-info.yaml"

	// githubTimeout is the provider's --github-timeout in this test; the
	// timeout fault stalls a response longer than that.
	githubTimeout = 5 * time.Second

	// timeScale compresses GitHub's hour into a minute, on the stand-in
	// and in the provider's pacing.
	timeScale = 60
	// appID and installationID are the GitHub App the provider
	// authenticates as.
	appID, installationID = 4242, 77
	// maxCountedPerHour is 80% of GitHub's primary limit of 5,000.
	maxCountedPerHour = 4000
)

// scaleFaults are the kinds of faults injected at random in the fault
// phase. Retry-After is short so that the test measures recovery, not
// waiting (GitHub asks for at least a minute without it).
var scaleFaults = []ghtest.Fault{
	{Name: "502", Status: http.StatusBadGateway},
	{Name: "429 Retry-After", Status: http.StatusTooManyRequests, RetryAfter: 1},
	{Name: "403 secondary limit", Status: http.StatusForbidden, RetryAfter: 1},
	{Name: "timeout after acting", AfterHandling: true, Delay: githubTimeout + time.Second},
	{Name: "500 after acting (lost response)", Status: http.StatusInternalServerError, AfterHandling: true},
}

func envInt(t *testing.T, k string, def int) int {
	t.Helper()
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", k, v)
	}
	return n
}

func TestScale(t *testing.T) {
	n := envInt(t, envScale, 1000)
	rate := 0.2
	if v := os.Getenv(envFaultRate); v != "" {
		var err error
		if rate, err = strconv.ParseFloat(v, 64); err != nil || rate < 0 || rate >= 1 {
			t.Fatalf("%s=%q: want a fraction in [0, 1)", envFaultRate, v)
		}
	}

	v, err := ghtest.LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	gh := ghtest.NewServer(v)
	defer gh.Close()
	gh.AddOrg(scaleOrg)
	// GitHub's limits, an hour in a minute: 5,000 counted requests per
	// installation and hour (GitHub's minimum for an App installation,
	// https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#primary-rate-limit-for-github-app-installations),
	// 80 content-creating requests a minute and 500 an hour
	// (#about-secondary-rate-limits), installation tokens for an hour.
	gh.SetTimeScale(timeScale)
	gh.SetRateLimit(5000)
	gh.SetSecondaryLimits(80, 500)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	gh.AddApp(appID, &key.PublicKey, installationID, scaleOrg)
	defer func() {
		vs := gh.Violations()
		for i, v := range vs {
			if i == 20 {
				t.Errorf("OpenAPI: ... %d more", len(vs)-i)
				break
			}
			t.Errorf("OpenAPI: %s", v)
		}
	}()

	c := scaleClient(t)
	installCRDs(t, c)
	ctx := context.Background()
	createGitHubAppConfig(ctx, t, c, gh.URL, key)

	// The poll interval is chosen so that steady-state polls of all 2N
	// resources ask for about 5 reconciles a second, half of the default
	// --max-reconcile-rate, and so do not slow down creation.
	poll := min(max(time.Duration(2*n/5)*time.Second, 30*time.Second), 5*time.Minute)
	// The provider paces writes as GitHub.com's (the harness's flags for
	// the stand-in's URL), on the stand-in's compressed clock.
	args := []string{"--poll", poll.String(), "--github-timeout", githubTimeout.String(),
		"--github-rate-limit-time-scale", strconv.Itoa(timeScale)}
	if os.Getenv(envRate) != "" {
		args = append(args, "--max-reconcile-rate", strconv.Itoa(envInt(t, envRate, 0)))
	}
	pprofAddr := freeLoopback(t)
	p := startProvider(t, append(args, "--pprof-bind-address", pprofAddr)...)
	t.Logf("scale: %d Repositories and %d RepositoryFiles, bin/provider %v, fault rate %.0f%% in the fault phase", n, n, args, rate*100)

	// Phase 1: create, no faults.
	runBegin := time.Now()
	rBegin := p.reconciles(t)
	begin := time.Now()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("svc-%04d", i)
	}
	createAll(t, c, names, nil)
	t.Logf("scale: created %d objects in %.1f s", 2*n, time.Since(begin).Seconds())
	deadline := 10*time.Minute + time.Duration(n)*time.Second
	st := waitFor(t, c, gh, deadline, "all Repositories and RepositoryFiles Ready", func(s state) []string {
		return missing("Ready Repositories", s.readyRepos(names), n, "Ready RepositoryFiles", s.readyFiles(names), n)
	})
	repoReady, fileReady := st.lastReady(names, begin)
	t.Logf("figure: repositories-ready %d in %.0f s", n, repoReady.Seconds())
	t.Logf("figure: %d RepositoryFiles Ready in %.0f s", n, fileReady.Seconds())
	s1 := gh.Stats()
	rc := p.reconciles(t) - rBegin
	t.Logf("figure: %d reconciles until then (%.1f per resource; counting those the global rate limiter sent back)", rc, float64(rc)/float64(2*n))
	t.Logf("figure: creating %d repositories and files cost %d GitHub requests, %d counted (%.1f per repository and file)",
		n, s1.Requests, s1.Counted, float64(s1.Counted)/float64(n))
	writes := 0
	for route, k := range s1.ByRoute {
		if !strings.HasPrefix(route, http.MethodGet+" ") {
			writes += k
		}
	}
	t.Logf("figure: of which %d content-creating (POST, PATCH, PUT, DELETE): at GitHub's 80 a minute and 500 an hour per identity at least %.0f GitHub minutes (%.0f s compressed)",
		writes, max(float64(writes)/80, float64(writes-500)/500*60), max(float64(writes)/80, float64(writes-500)/500*60)*60/timeScale)

	// Steady state: every resource's first poll after the provider's own
	// writes reads new ETags (counted); measure after one poll interval.
	// The window lasts until a quarter of the resources were polled, at
	// most one poll interval.
	time.Sleep(poll)
	r0, g0, w0 := p.reconciles(t), gh.Stats(), time.Now()
	for time.Since(w0) < poll && p.reconciles(t)-r0 < n/2 {
		time.Sleep(5 * time.Second)
	}
	window := time.Since(w0).Round(time.Second)
	r1, g1 := p.reconciles(t), gh.Stats()
	rec := r1 - r0
	t.Logf("figure: steady state, %v of %v polls: %d reconciles, %d GitHub requests, %d answered 304, %d counted",
		window, poll, rec, g1.Requests-g0.Requests, g1.NotModified-g0.NotModified, g1.Counted-g0.Counted)
	if rec == 0 {
		t.Errorf("no reconcile in the steady-state window: nothing measured")
	} else {
		t.Logf("figure: counted GitHub requests at steady state: %.2f per reconcile", float64(g1.Counted-g0.Counted)/float64(rec))
	}
	if d := g1.Counted - g0.Counted; d > 0 {
		t.Logf("scale: counted at steady state by route: %v", diffRoutes(g0.ByRoute, g1.ByRoute))
	}
	hwm, rss := p.memory(t)
	t.Logf("figure: provider RSS: %d MiB peak (VmHWM), %d MiB at steady state (VmRSS)", hwm>>20, rss>>20)
	p.heapProfile(t, pprofAddr)

	// Phase 2: faults.
	m := max(n/5, 10)
	k := max(n/20, 5)
	faulty := make([]string, m)
	for i := range faulty {
		faulty[i] = fmt.Sprintf("flt-%04d", i)
	}
	taken := make([]string, k)
	for i := range taken {
		taken[i] = fmt.Sprintf("taken-%04d", i)
		gh.CreateOutOfBand(scaleOrg, taken[i])
	}
	gone := names[:n/10]
	// RepositoryFiles for README.md, which GitHub's auto-init wrote: not
	// theirs to overwrite.
	readmes := make([]client.Object, k)
	readmeNames := make([]string, k)
	for i := range readmes {
		readmeNames[i] = faulty[i] + "-readme"
		readmes[i] = &ghv1alpha1.RepositoryFile{
			ObjectMeta: metav1.ObjectMeta{Name: readmeNames[i]},
			Spec: ghv1alpha1.RepositoryFileSpec{ForProvider: ghv1alpha1.RepositoryFileParameters{
				RepositoryRef: &xpv2.Reference{Name: faulty[i]}, Path: "README.md", Content: "# overwritten\n",
			}},
		}
	}
	before := gh.Stats()
	gh.InjectRandom(rate, 8, scaleFaults...)
	begin = time.Now()
	createAll(t, c, faulty, nil)
	createAll(t, c, taken, func(o client.Object) bool { _, isRepo := o.(*ghv1alpha1.Repository); return isRepo })
	forAll(t, readmeNames, func(name string) error { return c.Create(ctx, readmes[slices.Index(readmeNames, name)]) })
	deleteAll(t, c, gone)
	// Under faults Synced flickers (a poll that met a fault), so progress
	// is judged by what does not: Ready (set by a successful observation
	// and kept through failed ones), Synced=False where nothing can
	// succeed, and absence.
	waitFor(t, c, gh, deadline, "with faults: new resources Ready, taken names and existing files not Synced, deleted resources gone", func(s state) []string {
		return missing("Ready new resources", s.available(faulty), 2*m, "not Synced on taken names", s.notSynced(taken), k,
			"not Synced on README.md", s.notSynced(readmeNames), k, "deleted resources gone", s.absent(gone), len(gone))
	})
	// Deleting a Repository or RepositoryFile that was refused must leave
	// what it refused alone.
	deleteAll(t, c, taken)
	forAll(t, readmeNames, func(name string) error {
		return client.IgnoreNotFound(c.Delete(ctx, readmes[slices.Index(readmeNames, name)]))
	})
	waitFor(t, c, gh, deadline, "with faults: refused Repositories and RepositoryFiles deleted", func(s state) []string {
		return missing("refused Repositories gone", s.absent(taken), k, "refused RepositoryFiles gone", s.absent(readmeNames), k)
	})
	gh.InjectRandom(0, 0)
	after := gh.Stats()
	t.Logf("figure: fault phase: %d requests, %d faults injected (%v), %.0f s",
		after.Requests-before.Requests, after.FaultsInjected-before.FaultsInjected, diffRoutes(before.FaultsByName, after.FaultsByName), time.Since(begin).Seconds())
	// Without faults every remaining resource converges.
	kept := append(append([]string{}, names[len(gone):]...), faulty...)
	waitFor(t, c, gh, deadline, "after the faults: every remaining resource Ready and Synced", func(s state) []string {
		return missing("Ready Repositories", s.readyRepos(kept), len(kept), "Ready RepositoryFiles", s.readyFiles(kept), len(kept))
	})

	// Nothing duplicated, deleted or overwritten.
	creates := after.RepoCreates - before.RepoCreates
	dup := creates - m
	if extra := gh.RepoCount() - (n + m + k); extra > dup {
		dup = extra
	}
	lost, overwritten := after.RepoDeletes, 0
	for _, name := range append(append(append([]string{}, names...), faulty...), taken...) {
		r, ok := gh.Repo(scaleOrg, name)
		if !ok {
			lost++
			t.Errorf("repository %s/%s is gone", scaleOrg, name)
			continue
		}
		want := map[string]string{"main:README.md": "# " + name + "\n"}
		isTaken := strings.HasPrefix(name, "taken-")
		if !isTaken {
			want["main:"+catalogPath] = catalogContent(name)
		}
		for f, content := range want {
			if have, ok := r.Files[f]; !ok && r.Archived && f == "main:"+catalogPath {
				continue // removed by deleting its RepositoryFile
			} else if have != content {
				overwritten++
				t.Errorf("%s/%s: %s is %q, want %q", scaleOrg, name, f, r.Files[f], content)
			}
		}
		if isTaken && (r.Archived || r.Commits != 1 || r.Protected || len(r.Topics) > 0) {
			t.Errorf("%s/%s was not ours but was changed: %+v", scaleOrg, name, r)
		}
	}
	for _, name := range gone {
		if r, ok := gh.Repo(scaleOrg, name); ok && !r.Archived {
			t.Errorf("%s/%s: its Repository was deleted but it is not archived", scaleOrg, name)
		}
	}
	t.Logf("figure: with %.0f%% injected faults: %d duplicate repositories, %d deleted repositories, %d overwritten files", rate*100, dup, lost, overwritten)
	if dup != 0 || lost != 0 || overwritten != 0 {
		t.Errorf("with faults: %d duplicate repositories (%d creates for %d new Repositories), %d deleted repositories, %d overwritten files; want 0, 0, 0",
			dup, creates, m, lost, overwritten)
	}
	// Identity: every Repository manages the repository GitHub knows by
	// the id it recorded.
	final, err := listState(c)
	if err != nil {
		t.Fatal(err)
	}
	wrongID := 0
	for _, name := range kept {
		r, ok := gh.Repo(scaleOrg, name)
		cr := final.repos[name]
		if cr == nil {
			cr = &ghv1alpha1.Repository{}
		}
		if annotated := cr.GetAnnotations()[repository.AnnotationRepositoryID]; !ok || cr.Status.AtProvider.ID != r.ID || annotated != strconv.FormatInt(r.ID, 10) {
			wrongID++
			if wrongID <= 5 {
				t.Errorf("Repository %s: recorded id %d (annotation %q), GitHub's %d (exists: %v)", name, cr.Status.AtProvider.ID, annotated, r.ID, ok)
			}
		}
	}
	if wrongID > 0 {
		t.Errorf("%d of %d Repositories do not record the id of their repository", wrongID, len(kept))
	}

	end := gh.Stats()
	t.Logf("figure: counted-requests-per-hour %d", end.PeakCountedPerWindow)
	t.Logf("figure: identity-lockouts %d", end.PrimaryLimited+end.SecondaryLimited)
	t.Logf("figure: writes-per-hour %d", end.PeakWritesPerHour)
	t.Logf("scale: %d installation tokens issued over %.0f compressed hours", end.InstallationTokens, time.Since(runBegin).Minutes()*60/timeScale)
	if end.PeakCountedPerWindow >= maxCountedPerHour {
		t.Errorf("the installation had %d requests counted in one (compressed) hour, want under %d (80%% of GitHub's 5,000)", end.PeakCountedPerWindow, maxCountedPerHour)
	}
	if n := end.PrimaryLimited + end.SecondaryLimited; n != 0 {
		t.Errorf("GitHub's limits refused %d requests (%d primary, %d secondary), want 0", n, end.PrimaryLimited, end.SecondaryLimited)
	}
	if end.InstallationTokens < 2 {
		t.Errorf("%d installation tokens issued: the run did not outlive a token", end.InstallationTokens)
	}
	p.checkLog(t)
}

// createGitHubAppConfig is the ProviderConfig "default" authenticating as
// the GitHub App installation, its private key in a Secret.
func createGitHubAppConfig(ctx context.Context, t *testing.T, c client.Client, baseURL string, key *rsa.PrivateKey) {
	t.Helper()
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "paved-system"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "paved-system", Name: "github-app"}, Data: map[string][]byte{"key.pem": pemKey}},
		&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{
			BaseURL: baseURL,
			Credentials: pcv1alpha1.GitHubCredentials{Source: pcv1alpha1.GitHubCredentialsApp, App: &pcv1alpha1.GitHubAppCredentials{
				AppID: appID, InstallationID: installationID,
				PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "paved-system", Name: "github-app"}, Key: "key.pem"},
			}},
		}}},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

func catalogContent(name string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name + "\nspec:\n  type: service\n  owner: team-a\n  lifecycle: production\n"
}

// scaleClient is an admin client that may send many requests: creating and
// listing thousands of objects at the harness's 50 QPS would measure the
// test, not the provider.
func scaleClient(t *testing.T) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{apis.AddToScheme, corev1.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	cfg := rest.CopyConfig(cp.Config)
	cfg.QPS, cfg.Burst = 500, 1000
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// objectsFor are a Repository and a RepositoryFile named name.
func objectsFor(name string) []client.Object {
	return []client.Object{
		&ghv1alpha1.Repository{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: ghv1alpha1.RepositorySpec{ForProvider: ghv1alpha1.RepositoryParameters{
				Owner: scaleOrg, Description: ptr("service " + name), Topics: &[]string{"paved", "scale"}, AutoInit: ptr(true),
				BranchProtection: &ghv1alpha1.BranchProtection{},
			}},
		},
		&ghv1alpha1.RepositoryFile{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: ghv1alpha1.RepositoryFileSpec{ForProvider: ghv1alpha1.RepositoryFileParameters{
				RepositoryRef: &xpv2.Reference{Name: name},
				Path:          catalogPath,
				Content:       catalogContent(name),
			}},
		},
	}
}

// createAll creates the objects of every name (those keep accepts, or all)
// from a few goroutines.
func createAll(t *testing.T, c client.Client, names []string, keep func(client.Object) bool) {
	t.Helper()
	forAll(t, names, func(name string) error {
		for _, o := range objectsFor(name) {
			if keep != nil && !keep(o) {
				continue
			}
			if err := c.Create(context.Background(), o); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteAll deletes the Repository and RepositoryFile of every name.
func deleteAll(t *testing.T, c client.Client, names []string) {
	t.Helper()
	forAll(t, names, func(name string) error {
		for _, o := range objectsFor(name) {
			if err := c.Delete(context.Background(), o); err != nil && !kerrors.IsNotFound(err) {
				return err
			}
		}
		return nil
	})
}

func forAll(t *testing.T, names []string, f func(string) error) {
	t.Helper()
	work := make(chan string)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for name := range work {
				if err := f(name); err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// state is one listing of all Repositories and RepositoryFiles.
type state struct {
	repos map[string]*ghv1alpha1.Repository
	files map[string]*ghv1alpha1.RepositoryFile
}

func listState(c client.Client) (state, error) {
	rl, fl := &ghv1alpha1.RepositoryList{}, &ghv1alpha1.RepositoryFileList{}
	if err := c.List(context.Background(), rl); err != nil {
		return state{}, err
	}
	if err := c.List(context.Background(), fl); err != nil {
		return state{}, err
	}
	s := state{repos: map[string]*ghv1alpha1.Repository{}, files: map[string]*ghv1alpha1.RepositoryFile{}}
	for i := range rl.Items {
		s.repos[rl.Items[i].Name] = &rl.Items[i]
	}
	for i := range fl.Items {
		s.files[fl.Items[i].Name] = &fl.Items[i]
	}
	return s, nil
}

type conditioned interface {
	GetCondition(xpv2.ConditionType) xpv2.Condition
}

func isReady(o conditioned) bool {
	return o.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && o.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
}

func (s state) readyRepos(names []string) int {
	k := 0
	for _, n := range names {
		if r, ok := s.repos[n]; ok && isReady(r) {
			k++
		}
	}
	return k
}

func (s state) readyFiles(names []string) int {
	k := 0
	for _, n := range names {
		if f, ok := s.files[n]; ok && isReady(f) {
			k++
		}
	}
	return k
}

// available counts the Repositories and RepositoryFiles of names that are
// Ready, whatever Synced says.
func (s state) available(names []string) int {
	k := 0
	for _, n := range names {
		if r, ok := s.repos[n]; ok && r.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
			k++
		}
		if f, ok := s.files[n]; ok && f.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue {
			k++
		}
	}
	return k
}

// notSynced counts the Repositories and RepositoryFiles of names that are
// not Synced: refused, or (under faults) failed.
func (s state) notSynced(names []string) int {
	k := 0
	for _, n := range names {
		if r, ok := s.repos[n]; ok && r.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionFalse {
			k++
		}
		if f, ok := s.files[n]; ok && f.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionFalse {
			k++
		}
	}
	return k
}

// absent counts the names that have neither a Repository nor a
// RepositoryFile.
func (s state) absent(names []string) int {
	k := 0
	for _, n := range names {
		_, r := s.repos[n]
		_, f := s.files[n]
		if !r && !f {
			k++
		}
	}
	return k
}

// missing takes triples of what, have, want and returns "what have/want"
// for each that is short, or nothing.
func missing(triples ...any) []string {
	var out []string
	for i := 0; i+2 < len(triples); i += 3 {
		if have, want := triples[i+1].(int), triples[i+2].(int); have != want {
			out = append(out, fmt.Sprintf("%s %d/%d", triples[i], have, want))
		}
	}
	return out
}

// lastReady returns when the last Repository and the last RepositoryFile
// of names became Ready, after begin (from the Ready conditions' transition
// times, to the second).
func (s state) lastReady(names []string, begin time.Time) (repos, files time.Duration) {
	for _, n := range names {
		repos = max(repos, s.repos[n].GetCondition(xpv2.TypeReady).LastTransitionTime.Sub(begin))
		files = max(files, s.files[n].GetCondition(xpv2.TypeReady).LastTransitionTime.Sub(begin))
	}
	return repos, files
}

// waitFor lists the resources every few seconds until done, reporting
// progress; it fails the test if that does not happen within limit (a
// liveness bound, not a measurement).
func waitFor(t *testing.T, c client.Client, gh *ghtest.Server, limit time.Duration, what string, short func(state) []string) state {
	t.Helper()
	start, last := time.Now(), time.Now()
	for {
		s, err := listState(c)
		var left []string
		if err == nil {
			if left = short(s); len(left) == 0 {
				return s
			}
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v (last list error: %v): %v; %s", what, limit, err, left, summary(s))
		}
		if time.Since(last) >= 30*time.Second {
			last = time.Now()
			st := gh.Stats()
			t.Logf("scale: %.0f s: waiting for %v; %s; GitHub: %d requests, %d counted, %d faults",
				time.Since(start).Seconds(), left, summary(s), st.Requests, st.Counted, st.FaultsInjected)
		}
		time.Sleep(5 * time.Second)
	}
}

func summary(s state) string {
	rr, fr := 0, 0
	var sample string
	for _, r := range s.repos {
		if isReady(r) {
			rr++
		} else if sample == "" {
			sample = r.Name + ": " + r.GetCondition(xpv2.TypeSynced).Message
		}
	}
	for _, f := range s.files {
		if isReady(f) {
			fr++
		}
	}
	return fmt.Sprintf("Repositories %d/%d Ready, RepositoryFiles %d/%d Ready (e.g. %s)", rr, len(s.repos), fr, len(s.files), sample)
}

func diffRoutes(a, b map[string]int) map[string]int {
	d := map[string]int{}
	for k, v := range b {
		if v != a[k] {
			d[k] = v - a[k]
		}
	}
	return d
}

// memory reads VmHWM and VmRSS (bytes) of the provider from /proc. The test
// runs in a PID namespace of its own but sees the host's /proc, so the
// provider's host PID is looked up by its PID in this namespace.
// reconciles is the number of reconciles the GitHub controllers have run
// (controller-runtime's controller_runtime_reconcile_total). It lives with
// its only user: make lint builds without the scale tag.
func (p *provider) reconciles(t *testing.T) int {
	t.Helper()
	n, err := p.Metric(context.Background(), "controller_runtime_reconcile_total", "github.paved.dev")
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func (p *provider) memory(t *testing.T) (hwm, rss int64) {
	t.Helper()
	pid, err := hostPID(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	kB := map[string]int64{}
	for l := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || (k != "VmHWM" && k != "VmRSS" && k != "RssAnon" && k != "RssFile") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("/proc/%d/status %s: %v", pid, l, err)
		}
		kB[k] = n
	}
	if kB["VmHWM"] == 0 || kB["VmRSS"] == 0 {
		t.Fatalf("/proc/%d/status has no VmHWM or VmRSS", pid)
	}
	// RssFile is mostly the provider's own executable mapped from disk;
	// RssAnon is the memory it allocated.
	t.Logf("scale: provider VmRSS %d MiB = RssAnon %d MiB (allocated) + RssFile %d MiB (mapped files: the executable)",
		kB["VmRSS"]>>10, kB["RssAnon"]>>10, kB["RssFile"]>>10)
	return kB["VmHWM"] << 10, kB["VmRSS"] << 10
}

// hostPID finds the host PID of the process that has PID nsPID in this
// process's PID namespace (its status's NSpid line ends with nsPID).
func hostPID(nsPID int) (int, error) {
	self, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return 0, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ns, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "pid")); err != nil || ns != self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for l := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "NSpid:" && f[len(f)-1] == strconv.Itoa(nsPID) {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no process with PID %d in this PID namespace", nsPID)
}

// heapProfile saves the provider's heap profile (its --pprof-bind-address
// is addr) next to its log and logs the Go heap figures and the largest
// allocation sites: what the RSS is made of (it also holds what the Go
// runtime has not yet returned to the OS).
func (p *provider) heapProfile(t *testing.T, addr string) {
	t.Helper()
	rsp, err := http.Get("http://" + addr + "/debug/pprof/heap?gc=1")
	if err != nil {
		t.Errorf("heap profile: %v", err)
		return
	}
	defer rsp.Body.Close()
	b, err := io.ReadAll(rsp.Body)
	if err != nil || rsp.StatusCode != http.StatusOK {
		t.Errorf("heap profile: %s, %v", rsp.Status, err)
		return
	}
	path := strings.TrimSuffix(p.LogPath(), ".log") + "-heap.pprof"
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Errorf("heap profile: %v", err)
		return
	}
	var mib []int64
	for _, m := range []string{"go_memstats_heap_inuse_bytes", "go_memstats_sys_bytes", "go_memstats_heap_released_bytes"} {
		v, err := p.Metric(context.Background(), m)
		if err != nil {
			t.Errorf("provider metric %s: %v", m, err)
			return
		}
		mib = append(mib, int64(v)>>20)
	}
	t.Logf("figure: provider Go heap in use %d MiB; Go runtime total (Sys) %d MiB, of which released to the OS %d MiB", mib[0], mib[1], mib[2])
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=15", "-sample_index=inuse_space", os.Getenv(harness.EnvProvider), path).CombinedOutput()
	if err != nil {
		t.Logf("scale: heap profile at %s (go tool pprof: %v)", path, err)
		return
	}
	t.Logf("scale: heap profile at %s, in use after a GC:\n%s", path, out)
}

// freeLoopback is a free 127.0.0.1:port.
func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// checkLog fails the test if the provider logged the token.
func (p *provider) checkLog(t *testing.T) {
	t.Helper()
	f, err := os.Open(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), token) {
		t.Error("provider log contains the GitHub token")
	}
}
