//go:build backstage

package cataloglocation

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	githubv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/clients/backstage"
	"github.com/paved-dev/paved/test/backstagetest"
)

// moduleRoot returns the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = filepath.Dir(dir)
	}
}

// tool returns the path of a pinned tool built (and cached) by hack/tools.sh.
func tool(t *testing.T, root, name string) string {
	t.Helper()
	start := time.Now()
	out, err := exec.Command(filepath.Join(root, "hack", "tools.sh"), name).Output()
	if err != nil {
		t.Fatalf("hack/tools.sh %s: %v", name, err)
	}
	t.Logf("%s found or built in %s", name, time.Since(start).Round(time.Millisecond))
	return strings.TrimSpace(string(out))
}

// startAPIServer starts etcd and kube-apiserver (envtest) on 127.0.0.1 with
// the provider's CRDs installed.
func startAPIServer(t *testing.T) (*envtest.Environment, client.Client, *runtime.Scheme) {
	t.Helper()
	root := moduleRoot(t)
	t.Setenv("TEST_ASSET_ETCD", tool(t, root, "etcd"))
	t.Setenv("TEST_ASSET_KUBE_APISERVER", tool(t, root, "kube-apiserver"))
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "package", "crds")},
		ErrorIfCRDPathMissing: true,
	}
	start := time.Now()
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("cannot start the API server: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("cannot stop the API server: %v", err)
		}
	})
	t.Logf("API server ready with the provider's CRDs in %s", time.Since(start).Round(time.Millisecond))
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	return env, kube, s
}

func TestCatalogLocationWithRealAPIServer(t *testing.T) {
	env, kube, s := startAPIServer(t)
	ctx := context.Background()

	t.Run("SchemaValidationAndDefaults", func(t *testing.T) {
		bad := map[string]struct {
			p    v1alpha1.CatalogLocationParameters
			want string
		}{
			"TargetAndRepository": {v1alpha1.CatalogLocationParameters{Target: ptr("https://x/c.yaml"), RepositoryRef: &xpv2.Reference{Name: "r"}}, "set either target or one of"},
			"Neither":             {v1alpha1.CatalogLocationParameters{}, "set either target or one of"},
			"PathWithTarget":      {v1alpha1.CatalogLocationParameters{Target: ptr("https://x/c.yaml"), Path: ptr("c.yaml")}, "path is only used with a repository"},
			"AbsolutePath":        {v1alpha1.CatalogLocationParameters{RepositoryRef: &xpv2.Reference{Name: "r"}, Path: ptr("/c.yaml")}, "path is relative to the repository root"},
			"NotHTTP":             {v1alpha1.CatalogLocationParameters{Target: ptr("ftp://x/c.yaml")}, "spec.forProvider.target"},
		}
		for name, tc := range bad {
			cr := &v1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Name: "bad-" + strings.ToLower(name)}}
			cr.Spec.ForProvider = tc.p
			err := kube.Create(ctx, cr)
			if !kerrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: create = %v, want Invalid with %q", name, err, tc.want)
			}
		}
		cr := &v1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Name: "defaults"}}
		cr.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "r"}
		if err := kube.Create(ctx, cr); err != nil {
			t.Fatalf("a valid CatalogLocation: %v", err)
		}
		if cr.Spec.ForProvider.Type != "url" || cr.Spec.ProviderConfigReference == nil || cr.Spec.ProviderConfigReference.Name != "default" ||
			cr.Spec.DeletionPolicy != xpv2.DeletionDelete || len(cr.Spec.ManagementPolicies) != 1 || cr.Spec.ManagementPolicies[0] != xpv2.ManagementActionAll {
			t.Errorf("defaults = %s", dump(cr.Spec))
		}
		if err := kube.Delete(ctx, cr); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ControllerRegistersAndDeletes", func(t *testing.T) {
		b := backstagetest.Start(t)
		files := backstagetest.NewFileServer(t)
		files.Set("/real/catalog-info.yaml", backstagetest.ComponentYAML("real-apiserver"))
		target := files.URL("/real/catalog-info.yaml")

		mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
			Scheme:                 s,
			Metrics:                metricsserver.Options{BindAddress: "0"},
			HealthProbeBindAddress: "0",
		})
		if err != nil {
			t.Fatal(err)
		}
		sm := statemetrics.NewMRStateMetrics()
		if err := Setup(mgr, controller.Options{
			Logger:                  logging.NewNopLogger(),
			PollInterval:            time.Second,
			MaxConcurrentReconciles: 1,
			GlobalRateLimiter:       ratelimiter.NewGlobal(100),
			MetricOptions: &controller.MetricOptions{
				PollStateMetricInterval: 200 * time.Millisecond,
				MRMetrics:               managed.NewMRMetricRecorder(),
				MRStateMetrics:          sm,
			},
		}); err != nil {
			t.Fatal(err)
		}
		mctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- mgr.Start(mctx) }()
		t.Cleanup(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("manager: %v", err)
			}
		})

		for _, o := range []client.Object{
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: secretNamespace}},
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: secretNamespace, Name: "backstage"}, Data: map[string][]byte{"token": []byte(b.Token)}},
			providerConfig("default", b.URL, "backstage"),
		} {
			if err := kube.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		cr := &v1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Name: "real"}}
		cr.Spec.ForProvider.Target = ptr(target)
		if err := kube.Create(ctx, cr); err != nil {
			t.Fatal(err)
		}

		waitFor := func(name, what string, done func(*v1alpha1.CatalogLocation, error) bool) *v1alpha1.CatalogLocation {
			t.Helper()
			start := time.Now()
			for {
				got := &v1alpha1.CatalogLocation{}
				err := kube.Get(ctx, types.NamespacedName{Name: name}, got)
				if done(got, err) {
					t.Logf("%s: %s after %s", name, what, time.Since(start).Round(time.Millisecond))
					return got
				}
				if time.Since(start) > waitBound {
					t.Fatalf("%s: %s did not happen within %s; get error %v; object %s", name, what, waitBound, err, dump(got))
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		wait := func(what string, done func(*v1alpha1.CatalogLocation, error) bool) *v1alpha1.CatalogLocation {
			t.Helper()
			return waitFor("real", what, done)
		}
		cr = wait("Ready with its entity", readyWith("component:default/real-apiserver"))
		// The state recorder Setup wires reports the resource.
		gvk := v1alpha1.CatalogLocationGroupVersionKind.String()
		wait("counted Ready by the state metrics", func(*v1alpha1.CatalogLocation, error) bool {
			m := &dto.Metric{}
			return sm.Ready.WithLabelValues(gvk).Write(m) == nil && m.GetGauge().GetValue() == 1
		})
		id := meta.GetExternalName(cr)
		catalog, err := backstage.New(b.URL, b.Token)
		if err != nil {
			t.Fatal(err)
		}
		if loc, err := catalog.GetLocation(ctx, id); err != nil || loc.Target != target {
			t.Fatalf("location %q: %+v, %v", id, loc, err)
		}

		if err := kube.Delete(ctx, cr); err != nil {
			t.Fatal(err)
		}
		wait("deleted", gone)
		if _, err := catalog.GetLocation(ctx, id); !backstage.IsNotFound(err) {
			t.Errorf("location %s after delete: %v, want 404", id, err)
		}

		// A CatalogLocation whose Repository does not exist yet, then is
		// not observed yet, waits (refwait.go), reporting the failed
		// resolution; once the Repository reports htmlURL and
		// defaultBranch, the location is registered from them.
		files.Set("/waited/blob/main/catalog-info.yaml", backstagetest.ComponentYAML("waited-apiserver"))
		fromRepo := &v1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Name: "from-repo"}}
		fromRepo.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "waited"}
		if err := kube.Create(ctx, fromRepo); err != nil {
			t.Fatal(err)
		}
		unresolved := func(cause string) func(*v1alpha1.CatalogLocation, error) bool {
			return func(cr *v1alpha1.CatalogLocation, err error) bool {
				c := synced(cr)
				return err == nil && c.Status == corev1.ConditionFalse &&
					strings.Contains(c.Message, "cannot resolve references") && strings.Contains(c.Message, cause)
			}
		}
		waitFor("from-repo", "reported its Repository missing", unresolved(`"waited" not found`))
		repo := &githubv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: "waited"}}
		repo.Spec.ForProvider.Owner = "acme"
		if err := kube.Create(ctx, repo); err != nil {
			t.Fatal(err)
		}
		waitFor("from-repo", "reported its Repository not observed", unresolved("referenced field was empty"))
		repo.Status.AtProvider = githubv1alpha1.RepositoryObservation{FullName: "acme/waited", HTMLURL: files.URL("/waited"), DefaultBranch: "main"}
		if err := kube.Status().Update(ctx, repo); err != nil {
			t.Fatal(err)
		}
		fromRepo = waitFor("from-repo", "Ready with its entity", readyWith("component:default/waited-apiserver"))
		if got, want := ptrValue(fromRepo.Spec.ForProvider.RepositoryURL), files.URL("/waited")+"/blob/main"; got != want {
			t.Errorf("from-repo: repositoryURL %q, want %q", got, want)
		}
		if err := kube.Delete(ctx, fromRepo); err != nil {
			t.Fatal(err)
		}
		waitFor("from-repo", "deleted", gone)

		// A CatalogLocation composed with the RepositoryFile that commits
		// its catalog file (a ServiceBundle's) waits for the commit
		// (refwait.go) without asking the catalog anything: the file is not
		// served yet, and the catalog's dry run would refuse it. Once the
		// file is committed (and served), it registers it, with the commit
		// as its refreshKey.
		fileRepo := &githubv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: "with-file"}}
		fileRepo.Spec.ForProvider.Owner = "acme"
		if err := kube.Create(ctx, fileRepo); err != nil {
			t.Fatal(err)
		}
		fileRepo.Status.AtProvider = githubv1alpha1.RepositoryObservation{FullName: "acme/with-file", HTMLURL: files.URL("/with-file"), DefaultBranch: "main"}
		if err := kube.Status().Update(ctx, fileRepo); err != nil {
			t.Fatal(err)
		}
		file := &githubv1alpha1.RepositoryFile{ObjectMeta: metav1.ObjectMeta{Name: "with-file-catalog-info"}}
		file.Spec.ForProvider.Path = "catalog-info.yaml"
		file.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "with-file"}
		if err := kube.Create(ctx, file); err != nil {
			t.Fatal(err)
		}
		fromFile := &v1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Name: "from-file"}}
		fromFile.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "with-file"}
		fromFile.Spec.ForProvider.FileRef = &xpv2.Reference{Name: "with-file-catalog-info"}
		if err := kube.Create(ctx, fromFile); err != nil {
			t.Fatal(err)
		}
		fromFile = waitFor("from-file", "reported its file not committed", unresolved("mg.Spec.ForProvider.RefreshKey: referenced field was empty"))
		if id := meta.GetExternalName(fromFile); id != "" {
			t.Errorf("from-file: external name %q while its file is not committed, want none", id)
		}
		files.Set("/with-file/blob/main/catalog-info.yaml", backstagetest.ComponentYAML("with-file-apiserver"))
		file.Status.AtProvider.CommitSHA = "0123456789abcdef0123456789abcdef01234567"
		file.SetConditions(xpv2.Available())
		if err := kube.Status().Update(ctx, file); err != nil {
			t.Fatal(err)
		}
		fromFile = waitFor("from-file", "Ready with its entity", readyWith("component:default/with-file-apiserver"))
		if got := ptrValue(fromFile.Spec.ForProvider.RefreshKey); got != file.Status.AtProvider.CommitSHA {
			t.Errorf("from-file: refreshKey %q, want the file's commit %q", got, file.Status.AtProvider.CommitSHA)
		}
		if err := kube.Delete(ctx, fromFile); err != nil {
			t.Fatal(err)
		}
		waitFor("from-file", "deleted", gone)

		// No event the controller recorded carries the token.
		evs := &corev1.EventList{}
		if err := kube.List(ctx, evs); err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs.Items {
			if strings.Contains(ev.Message, b.Token) {
				t.Errorf("event %s carries the token", ev.Name)
			}
		}
		t.Logf("%d events recorded", len(evs.Items))
	})
}

func ptrValue(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
