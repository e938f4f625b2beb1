package repositoryfile

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpfake "github.com/crossplane/crossplane-runtime/v2/pkg/resource/fake"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped"
	"github.com/paved-dev/paved/provider/internal/scoped/scopedtest"
	"github.com/paved-dev/paved/test/ghtest"
)

const (
	testToken = "ghp_test-token-never-logged-0123456789"
	testOrg   = "acme"
)

type env struct {
	t    *testing.T
	gh   *ghtest.Server
	kube client.Client
	r    *managed.Reconciler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := ghtest.NewServer(scopedtest.Validator(t))
	t.Cleanup(srv.Close)
	srv.AddOrg(testOrg)
	srv.AddToken(testToken, "octo")
	srv.CreateOutOfBand(testOrg, "svc") // auto-initialised, default branch main

	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	pc := &pcv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
		Spec: pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{
			BaseURL: srv.URL,
			Credentials: pcv1alpha1.GitHubCredentials{
				Source: pcv1alpha1.GitHubCredentialsSecret,
				SecretRef: &xpv2.SecretKeySelector{
					SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "gh"}, Key: "token",
				},
			},
		}},
	}
	repo := &v1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Name: "svc", UID: "uid-repo"},
		Spec:       v1alpha1.RepositorySpec{ForProvider: v1alpha1.RepositoryParameters{Owner: testOrg}},
		Status: v1alpha1.RepositoryStatus{AtProvider: v1alpha1.RepositoryObservation{
			FullName: testOrg + "/svc", HTMLURL: "https://github.com/acme/svc", DefaultBranch: "main",
		}},
	}
	kube := fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&v1alpha1.RepositoryFile{}, &v1alpha1.Repository{}).
		WithObjects(
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "gh"}, Data: map[string][]byte{"token": []byte(testToken)}},
			pc, repo,
		).Build()
	pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, Timeout: 2 * time.Second})
	r := managed.NewReconciler(&xpfake.Manager{Client: kube, Scheme: s}, resource.ManagedKind(v1alpha1.RepositoryFileGroupVersionKind),
		ReconcilerOptions(kube, pool, controller.Options{Logger: logging.NewNopLogger(), PollInterval: time.Minute}, scoped.Cluster)...)
	e := &env{t: t, gh: srv, kube: kube, r: r}
	t.Cleanup(func() {
		for _, v := range srv.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	})
	return e
}

func (e *env) create(name string, fn func(*v1alpha1.RepositoryFile)) {
	e.t.Helper()
	f := &v1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)},
		Spec: v1alpha1.RepositoryFileSpec{
			ClusterManagedResourceSpec: xpv2.ClusterManagedResourceSpec{
				ProviderConfigReference: &xpv2.Reference{Name: "default"},
				ManagementPolicies:      xpv2.ManagementPolicies{xpv2.ManagementActionAll},
				DeletionPolicy:          xpv2.DeletionDelete,
			},
			ForProvider: v1alpha1.RepositoryFileParameters{
				Repository:    ptr(testOrg + "/svc"),
				Path:          "catalog-info.yaml",
				Content:       "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n",
				CommitMessage: "Add catalog-info.yaml",
			},
		},
	}
	if fn != nil {
		fn(f)
	}
	if err := e.kube.Create(context.Background(), f); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) get(name string) *v1alpha1.RepositoryFile {
	e.t.Helper()
	f := &v1alpha1.RepositoryFile{}
	if err := e.kube.Get(context.Background(), types.NamespacedName{Name: name}, f); err != nil {
		e.t.Fatal(err)
	}
	return f
}

func (e *env) exists(name string) bool {
	return e.kube.Get(context.Background(), types.NamespacedName{Name: name}, &v1alpha1.RepositoryFile{}) == nil
}

func (e *env) reconcile(name string, times int) {
	for range times {
		_, _ = e.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: name}})
	}
}

func (e *env) file(path string) (string, int) {
	st, _ := e.gh.Repo(testOrg, "svc")
	return st.Files["main:"+path], st.Commits
}

func (e *env) age(name string) {
	f := e.get(name)
	meta.SetExternalCreateSucceeded(f, time.Now().Add(-time.Hour))
	meta.SetExternalCreatePending(f, time.Now().Add(-time.Hour))
	if err := e.kube.Update(context.Background(), f); err != nil {
		e.t.Fatal(err)
	}
}

func isReady(f *v1alpha1.RepositoryFile) bool {
	return f.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && f.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
}

func TestFileLifecycle(t *testing.T) {
	e := newEnv(t)
	e.create("catalog", nil)
	e.reconcile("catalog", 3)
	f := e.get("catalog")
	if !isReady(f) {
		t.Fatalf("not ready: %+v", f.Status.Conditions)
	}
	content, commits := e.file("catalog-info.yaml")
	if content != f.Spec.ForProvider.Content {
		t.Fatalf("file content on GitHub = %q", content)
	}
	if f.Status.AtProvider.BlobSHA == "" {
		t.Error("status.atProvider.blobSHA is empty")
	}

	// Steady state: no counted request, no commit.
	before := e.gh.Stats()
	e.reconcile("catalog", 5)
	after := e.gh.Stats()
	if d := after.Counted - before.Counted; d != 0 {
		t.Errorf("steady state cost %d counted requests, want 0", d)
	}
	if _, c := e.file("catalog-info.yaml"); c != commits {
		t.Errorf("steady state made %d commits", c-commits)
	}

	// Drift: a push changes the file; the provider puts it back.
	e.gh.SetFile(testOrg, "svc", "main", "catalog-info.yaml", "edited by hand\n")
	e.reconcile("catalog", 2)
	if content, _ := e.file("catalog-info.yaml"); content != f.Spec.ForProvider.Content {
		t.Errorf("drift not corrected: %q", content)
	}

	// Desired change.
	f = e.get("catalog")
	f.Spec.ForProvider.Content += "spec:\n  owner: team-a\n"
	if err := e.kube.Update(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 2)
	if content, _ := e.file("catalog-info.yaml"); !strings.Contains(content, "owner: team-a") {
		t.Errorf("update not committed: %q", content)
	}

	// Delete commits the removal.
	e.age("catalog")
	if err := e.kube.Delete(context.Background(), e.get("catalog")); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 3)
	if e.exists("catalog") {
		t.Fatalf("RepositoryFile still exists: %+v", e.get("catalog").Status.Conditions)
	}
	if content, _ := e.file("catalog-info.yaml"); content != "" {
		t.Errorf("file still on GitHub: %q", content)
	}
}

func TestDeleteFromArchivedRepositoryFinishes(t *testing.T) {
	e := newEnv(t)
	e.create("catalog", nil)
	e.reconcile("catalog", 3)
	e.gh.Mutate(testOrg, "svc", func(r *ghtest.RepoState) { r.Archived = true })
	e.age("catalog")
	if err := e.kube.Delete(context.Background(), e.get("catalog")); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 3)
	if e.exists("catalog") {
		t.Fatalf("RepositoryFile still exists: %+v", e.get("catalog").Status.Conditions)
	}
	if content, _ := e.file("catalog-info.yaml"); content == "" {
		t.Error("file of an archived repository was removed")
	}
}

func ptr[T any](v T) *T { return &v }

// The generated resolver fills spec.forProvider.repository from the
// referenced Repository's status.atProvider.fullName.
func TestRepositoryRefResolvesToFullName(t *testing.T) {
	e := newEnv(t)
	f := &v1alpha1.RepositoryFile{Spec: v1alpha1.RepositoryFileSpec{ForProvider: v1alpha1.RepositoryFileParameters{
		RepositoryRef: &xpv2.Reference{Name: "svc"},
	}}}
	if err := f.ResolveReferences(context.Background(), e.kube); err != nil {
		t.Fatal(err)
	}
	if f.Spec.ForProvider.Repository == nil || *f.Spec.ForProvider.Repository != "acme/svc" {
		t.Errorf("repository = %v, want acme/svc", f.Spec.ForProvider.Repository)
	}
}

func TestUnresolvedRepositoryIsAClearCondition(t *testing.T) {
	e := newEnv(t)
	e.create("orphan", func(f *v1alpha1.RepositoryFile) {
		f.Spec.ForProvider.Repository = nil
		f.Spec.ForProvider.RepositoryRef = &xpv2.Reference{Name: "absent"}
	})
	e.reconcile("orphan", 2)
	c := e.get("orphan").GetCondition(xpv2.TypeSynced)
	if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "absent") {
		t.Errorf("Synced = %s %q", c.Status, c.Message)
	}
	if s := e.gh.Stats(); s.Requests != 0 {
		t.Errorf("%d requests sent for an unresolved repository", s.Requests)
	}
}
