//go:build backstage

// Integration tests of the CatalogLocation controller against a real Backstage
// catalog backend (test/backstage) started on 127.0.0.1. The real
// crossplane-runtime managed reconciler runs against a controller-runtime fake
// API server client. Run with:
//
//	go test -tags backstage ./provider/internal/controller/cataloglocation/
//
// or `make provider-backstage-test`.
package cataloglocation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	githubv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	apisv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/clients/backstage"
	"github.com/paved-dev/paved/provider/internal/scoped"
	"github.com/paved-dev/paved/test/backstagetest"
)

const (
	secretNamespace = "crossplane-system"
	wrongToken      = "wrong-token-0123456789"
	// waitBound bounds how long a test waits for the catalog to converge; it
	// is a limit for a hung test, not an assertion about speed.
	waitBound = 90 * time.Second
)

// fakeManager is the part of a controller-runtime manager the managed
// reconciler uses.
type fakeManager struct {
	manager.Manager
	kube     client.Client
	scheme   *runtime.Scheme
	recorder *record.FakeRecorder
}

func (m *fakeManager) GetClient() client.Client                        { return m.kube }
func (m *fakeManager) GetScheme() *runtime.Scheme                      { return m.scheme }
func (m *fakeManager) GetEventRecorderFor(string) record.EventRecorder { return m.recorder }

// env is one test's world: a fake API server, the reconciler, a catalog
// client and the file server the catalog reads from.
type env struct {
	t       *testing.T
	backend *backstagetest.Backend
	files   *backstagetest.FileServer
	kube    client.Client
	rec     *record.FakeRecorder
	r       *managed.Reconciler
	catalog *backstage.Client
}

func newEnv(t *testing.T, b *backstagetest.Backend, files *backstagetest.FileServer) *env {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().
		WithScheme(s).
		WithStatusSubresource(&v1alpha1.CatalogLocation{}, &githubv1alpha1.Repository{}).
		// Like the manager's cache reader (and unlike the fake client), return
		// typed objects with their kind set: the reference resolver's
		// server-side apply patch carries it.
		WithInterceptorFuncs(interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if err := c.Get(ctx, key, obj, opts...); err != nil {
				return err
			}
			gvk, err := apiutil.GVKForObject(obj, s)
			if err != nil {
				return err
			}
			obj.GetObjectKind().SetGroupVersionKind(gvk)
			return nil
		}}).
		WithObjects(
			&corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: secretNamespace, Name: "backstage"},
				Data:       map[string][]byte{"token": []byte(b.Token)},
			},
			&corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: secretNamespace, Name: "backstage-wrong"},
				Data:       map[string][]byte{"token": []byte(wrongToken)},
			},
			providerConfig("default", b.URL, "backstage"),
			providerConfig("wrong-token", b.URL, "backstage-wrong"),
			providerConfig("missing-secret", b.URL, "no-such-secret"),
			&apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "no-backstage"}},
		).
		Build()
	rec := record.NewFakeRecorder(1024)
	mgr := &fakeManager{kube: kube, scheme: s, recorder: rec}
	r := NewReconciler(mgr, controller.Options{PollInterval: time.Second}, &Connector{Kube: kube}, scoped.Cluster)
	catalog, err := backstage.New(b.URL, b.Token)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, backend: b, files: files, kube: kube, rec: rec, r: r, catalog: catalog}
	t.Cleanup(e.checkNoSecretInEvents)
	return e
}

func providerConfig(name, baseURL, secret string) *apisv1alpha1.ProviderConfig {
	return &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apisv1alpha1.ProviderConfigSpec{Backstage: &apisv1alpha1.BackstageConfig{
			BaseURL:        baseURL,
			TokenSecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Name: secret, Namespace: secretNamespace}, Key: "token"},
		}},
	}
}

// location returns a CatalogLocation with the defaults the CRD would set.
func location(name, pc string, p v1alpha1.CatalogLocationParameters) *v1alpha1.CatalogLocation {
	if p.Type == "" {
		p.Type = v1alpha1.DefaultLocationType
	}
	return &v1alpha1.CatalogLocation{
		// The API server would set the UID; ProviderConfigUsages are named
		// after it.
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)},
		Spec: v1alpha1.CatalogLocationSpec{
			ClusterManagedResourceSpec: xpv2.ClusterManagedResourceSpec{
				ProviderConfigReference: &xpv2.Reference{Name: pc},
				ManagementPolicies:      xpv2.ManagementPolicies{xpv2.ManagementActionAll},
				DeletionPolicy:          xpv2.DeletionDelete,
			},
			ForProvider: p,
		},
	}
}

func (e *env) create(obj client.Object) {
	e.t.Helper()
	if err := e.kube.Create(context.Background(), obj); err != nil {
		e.t.Fatalf("create %s: %v", obj.GetName(), err)
	}
}

func (e *env) get(name string) (*v1alpha1.CatalogLocation, error) {
	cr := &v1alpha1.CatalogLocation{}
	err := e.kube.Get(context.Background(), types.NamespacedName{Name: name}, cr)
	return cr, err
}

// reconcileUntil runs the reconciler for name until done holds, failing the
// test when it does not within waitBound. It logs how long it took.
func (e *env) reconcileUntil(name, what string, done func(cr *v1alpha1.CatalogLocation, err error) bool) *v1alpha1.CatalogLocation {
	e.t.Helper()
	start := time.Now()
	var (
		cr     *v1alpha1.CatalogLocation
		getErr error
		recErr error
	)
	for i := 1; ; i++ {
		_, recErr = e.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: name}})
		cr, getErr = e.get(name)
		if done(cr, getErr) {
			e.t.Logf("%s: %s after %d reconciles in %s", name, what, i, time.Since(start).Round(time.Millisecond))
			return cr
		}
		if time.Since(start) > waitBound {
			e.t.Fatalf("%s: %s did not happen within %s (%d reconciles); last reconcile error: %v; get error: %v; status: %s",
				name, what, waitBound, i, recErr, getErr, dump(cr))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func synced(cr *v1alpha1.CatalogLocation) xpv2.Condition { return cr.GetCondition(xpv2.TypeSynced) }
func ready(cr *v1alpha1.CatalogLocation) xpv2.Condition  { return cr.GetCondition(xpv2.TypeReady) }

// syncFailed holds once the Synced condition is False with a message
// containing every one of parts.
func syncFailed(parts ...string) func(*v1alpha1.CatalogLocation, error) bool {
	return func(cr *v1alpha1.CatalogLocation, err error) bool {
		if err != nil {
			return false
		}
		c := synced(cr)
		if c.Status != corev1.ConditionFalse {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(c.Message, p) {
				return false
			}
		}
		return true
	}
}

// readyWith holds once the resource is Ready and reports exactly refs.
func readyWith(refs ...string) func(*v1alpha1.CatalogLocation, error) bool {
	return func(cr *v1alpha1.CatalogLocation, err error) bool {
		return err == nil && ready(cr).Status == corev1.ConditionTrue && synced(cr).Status == corev1.ConditionTrue &&
			strings.Join(cr.Status.AtProvider.EntityRefs, ",") == strings.Join(refs, ",")
	}
}

func gone(_ *v1alpha1.CatalogLocation, err error) bool { return kerrors.IsNotFound(err) }

// locationsFor returns the registered locations with target.
func (e *env) locationsFor(target string) []backstage.Location {
	e.t.Helper()
	locs, err := e.catalog.ListLocations(context.Background())
	if err != nil {
		e.t.Fatalf("list locations: %v", err)
	}
	var out []backstage.Location
	for _, l := range locs {
		if l.Target == target {
			out = append(out, l)
		}
	}
	return out
}

// waitEntityGone waits until the catalog no longer has the entity.
func (e *env) waitEntityGone(kind, name string) {
	e.t.Helper()
	start := time.Now()
	for {
		_, err := e.catalog.GetEntityByName(context.Background(), kind, "default", name)
		if backstage.IsNotFound(err) {
			e.t.Logf("entity %s:default/%s gone after %s", kind, name, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > waitBound {
			e.t.Fatalf("entity %s:default/%s still there after %s (last error %v)", kind, name, waitBound, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkNoSecretInEvents fails the test when an event carries a token.
func (e *env) checkNoSecretInEvents() {
	for {
		select {
		case ev := <-e.rec.Events:
			if strings.Contains(ev, e.backend.Token) || strings.Contains(ev, wrongToken) {
				e.t.Errorf("an event carries a token: %q", ev)
			}
		default:
			return
		}
	}
}

// checkNoSecret fails the test when the object carries a token.
func (e *env) checkNoSecret(cr *v1alpha1.CatalogLocation) {
	e.t.Helper()
	s := dump(cr)
	if strings.Contains(s, e.backend.Token) || strings.Contains(s, wrongToken) {
		e.t.Errorf("%s carries a token: %s", cr.GetName(), s)
	}
}

func TestCatalogLocationAgainstBackstage(t *testing.T) {
	b := backstagetest.Start(t)
	files := backstagetest.NewFileServer(t)

	t.Run("RegisterObserveRefreshDelete", func(t *testing.T) {
		e := newEnv(t, b, files)
		files.Set("/lifecycle/catalog-info.yaml", backstagetest.ComponentYAML("lifecycle-a"))
		target := files.URL("/lifecycle/catalog-info.yaml")
		e.create(location("lifecycle", "default", v1alpha1.CatalogLocationParameters{Target: ptr(target), RefreshKey: ptr("v1")}))

		cr := e.reconcileUntil("lifecycle", "Ready with its entity", readyWith("component:default/lifecycle-a"))
		id := meta.GetExternalName(cr)
		loc, err := e.catalog.GetLocation(context.Background(), id)
		if err != nil {
			t.Fatalf("the external name %q is not a registered location: %v", id, err)
		}
		if loc.Type != "url" || loc.Target != target {
			t.Errorf("registered location = %+v, want url %s", loc, target)
		}
		at := cr.Status.AtProvider
		if at.ID != id || at.Type != "url" || at.Target != target || len(at.ProcessingErrors) != 0 {
			t.Errorf("atProvider = %s", dump(at))
		}
		// The catalog's own ref of the Location entity, as it reports it.
		if loc.EntityRef == "" || at.LocationEntityRef != loc.EntityRef {
			t.Errorf("locationEntityRef = %q, the catalog says %q", at.LocationEntityRef, loc.EntityRef)
		}
		if at.RefreshedKey != "v1" {
			t.Errorf("refreshedKey after create = %q, want v1", at.RefreshedKey)
		}
		e.checkNoSecret(cr)

		// Refresh: a new catalog file and a new refreshKey.
		files.Set("/lifecycle/catalog-info.yaml", backstagetest.ComponentYAML("lifecycle-a")+"---\n"+backstagetest.ComponentYAML("lifecycle-b"))
		cr.Spec.ForProvider.RefreshKey = ptr("v2")
		if err := e.kube.Update(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		cr = e.reconcileUntil("lifecycle", "refreshed with both entities", func(cr *v1alpha1.CatalogLocation, err error) bool {
			return readyWith("component:default/lifecycle-a", "component:default/lifecycle-b")(cr, err) && cr.Status.AtProvider.RefreshedKey == "v2"
		})
		if meta.GetExternalName(cr) != id {
			t.Errorf("a refresh changed the location id from %s to %s", id, meta.GetExternalName(cr))
		}

		// A processing error shows up in status and in the Ready condition.
		files.Set("/lifecycle/catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: lifecycle-a\nspec: [broken\n")
		cr = e.reconcileUntil("lifecycle", "reporting a processing error", func(cr *v1alpha1.CatalogLocation, err error) bool {
			return err == nil && len(cr.Status.AtProvider.ProcessingErrors) > 0 && ready(cr).Status == corev1.ConditionFalse
		})
		pe := cr.Status.AtProvider.ProcessingErrors[0]
		if pe.EntityRef != loc.EntityRef || !strings.Contains(pe.Message, "YAML") {
			t.Errorf("processing error = %s", dump(pe))
		}
		if !strings.Contains(ready(cr).Message, "processing errors") {
			t.Errorf("Ready message = %q", ready(cr).Message)
		}

		// Delete: the location and its entities go.
		if err := e.kube.Delete(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		e.reconcileUntil("lifecycle", "deleted", gone)
		if _, err := e.catalog.GetLocation(context.Background(), id); !backstage.IsNotFound(err) {
			t.Errorf("location %s after delete: %v, want 404", id, err)
		}
		e.waitEntityGone("Component", "lifecycle-a")
		e.waitEntityGone("Component", "lifecycle-b")
	})

	t.Run("DryRunFailureIsAConditionAndNothingIsRegistered", func(t *testing.T) {
		e := newEnv(t, b, files)
		missing := files.URL("/dryrun/missing/catalog-info.yaml")
		e.create(location("dryrun-missing", "default", v1alpha1.CatalogLocationParameters{Target: ptr(missing)}))
		cr := e.reconcileUntil("dryrun-missing", "Synced=False with the catalog's reason", syncFailed(errDryRun, "400", "InputError", "NotFoundError", "Unable to read url"))
		t.Logf("condition: %s", synced(cr).Message)
		if meta.GetExternalName(cr) != "" {
			t.Errorf("external name %q set although the dry run failed", meta.GetExternalName(cr))
		}
		if l := e.locationsFor(missing); len(l) != 0 {
			t.Errorf("locations registered despite the failed dry run: %+v", l)
		}
		e.checkNoSecret(cr)

		// An invalid entity is refused with the catalog's reason too.
		files.Set("/dryrun/invalid/catalog-info.yaml", backstagetest.ComponentYAML("Not A Valid Name!"))
		invalid := files.URL("/dryrun/invalid/catalog-info.yaml")
		e.create(location("dryrun-invalid", "default", v1alpha1.CatalogLocationParameters{Target: ptr(invalid)}))
		cr = e.reconcileUntil("dryrun-invalid", "Synced=False with the catalog's reason", syncFailed(errDryRun, "InputError", "metadata.name"))
		t.Logf("condition: %s", synced(cr).Message)
		if l := e.locationsFor(invalid); len(l) != 0 {
			t.Errorf("locations registered despite the failed dry run: %+v", l)
		}

		// Once the file is there, the same resource converges.
		files.Set("/dryrun/missing/catalog-info.yaml", backstagetest.ComponentYAML("dryrun-fixed"))
		cr = e.reconcileUntil("dryrun-missing", "Ready once the file exists", readyWith("component:default/dryrun-fixed"))
		if err := e.kube.Delete(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		e.reconcileUntil("dryrun-missing", "deleted", gone)
	})

	t.Run("CredentialsProblemsAreConditions", func(t *testing.T) {
		e := newEnv(t, b, files)
		files.Set("/creds/catalog-info.yaml", backstagetest.ComponentYAML("creds"))
		target := files.URL("/creds/catalog-info.yaml")
		cases := map[string][]string{
			"wrong-token":    {errUnauthorized, "401", "Illegal token"},
			"missing-secret": {"cannot read credentials Secret crossplane-system/no-such-secret", "spec.backstage.tokenSecretRef"},
			"no-backstage":   {`ProviderConfig "no-backstage" has no spec.backstage`},
		}
		for pc, want := range cases {
			name := "creds-" + pc
			e.create(location(name, pc, v1alpha1.CatalogLocationParameters{Target: ptr(target)}))
			cr := e.reconcileUntil(name, "Synced=False", syncFailed(want...))
			t.Logf("%s condition: %s", pc, synced(cr).Message)
			e.checkNoSecret(cr)
		}
		if l := e.locationsFor(target); len(l) != 0 {
			t.Errorf("locations registered with bad credentials: %+v", l)
		}
		// The wrong token is refused by the catalog itself (not only by the
		// controller).
		bad, err := backstage.New(b.URL, wrongToken)
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.ListLocations(context.Background())
		if !backstage.IsUnauthorized(err) || strings.Contains(err.Error(), wrongToken) {
			t.Errorf("listing with the wrong token: %v", err)
		}
	})

	t.Run("ForeignRegistrationIsRefusedWithoutOptIn", func(t *testing.T) {
		e := newEnv(t, b, files)
		files.Set("/foreign/catalog-info.yaml", backstagetest.ComponentYAML("foreign"))
		target := files.URL("/foreign/catalog-info.yaml")
		// Someone else registered the target.
		pre, err := e.catalog.AddLocation(context.Background(), backstage.AddLocationRequest{Type: "url", Target: target}, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.catalog.AddLocation(context.Background(), backstage.AddLocationRequest{Type: "url", Target: target}, false)
		if !backstage.IsConflict(err) {
			t.Fatalf("registering the target twice: %v, want 409", err)
		}

		e.create(location("foreign", "default", v1alpha1.CatalogLocationParameters{Target: ptr(target)}))
		cr := e.reconcileUntil("foreign", "Synced=False, adoption refused", syncFailed(pre.Location.ID, "adoptExisting"))
		t.Logf("condition: %s", synced(cr).Message)
		if meta.GetExternalName(cr) != "" || cr.GetAnnotations()[AnnotationRegistered] != "" {
			t.Errorf("refused resource has external name %q, %s %q", meta.GetExternalName(cr), AnnotationRegistered, cr.GetAnnotations()[AnnotationRegistered])
		}
		// Deleting the refused resource leaves the registration alone.
		if err := e.kube.Delete(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		e.reconcileUntil("foreign", "deleted", gone)
		if l := e.locationsFor(target); len(l) != 1 || l[0].ID != pre.Location.ID {
			t.Errorf("locations for the target = %+v, want only %s", l, pre.Location.ID)
		}
		if err := e.catalog.DeleteLocation(context.Background(), pre.Location.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ForeignRegistrationAdoptedOnOptInAndLeftOnDelete", func(t *testing.T) {
		e := newEnv(t, b, files)
		files.Set("/adopt/catalog-info.yaml", backstagetest.ComponentYAML("adopted"))
		target := files.URL("/adopt/catalog-info.yaml")
		pre, err := e.catalog.AddLocation(context.Background(), backstage.AddLocationRequest{Type: "url", Target: target}, false)
		if err != nil {
			t.Fatal(err)
		}
		e.create(location("adopt-1", "default", v1alpha1.CatalogLocationParameters{Target: ptr(target), AdoptExisting: true}))
		cr := e.reconcileUntil("adopt-1", "Ready, adopted", readyWith("component:default/adopted"))
		if got := meta.GetExternalName(cr); got != pre.Location.ID {
			t.Errorf("external name = %s, want the existing location %s", got, pre.Location.ID)
		}
		if _, ok := cr.GetAnnotations()[AnnotationRegistered]; ok {
			t.Errorf("an adopted location is recorded as registered by the resource: %v", cr.GetAnnotations())
		}
		// A target change cannot replace (delete) an adopted location.
		files.Set("/adopt/other/catalog-info.yaml", backstagetest.ComponentYAML("adopted-other"))
		cr.Spec.ForProvider.Target = ptr(files.URL("/adopt/other/catalog-info.yaml"))
		if err := e.kube.Update(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		cr = e.reconcileUntil("adopt-1", "Synced=False, adopted location not replaced", syncFailed(pre.Location.ID, "adopted, not registered"))
		t.Logf("condition: %s", synced(cr).Message)
		if _, err := e.catalog.GetLocation(context.Background(), pre.Location.ID); err != nil {
			t.Errorf("the adopted location is gone after a target change: %v", err)
		}
		// Deleting the resource leaves the adopted location in the catalog.
		if err := e.kube.Delete(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		e.reconcileUntil("adopt-1", "deleted", gone)
		if _, err := e.catalog.GetLocation(context.Background(), pre.Location.ID); err != nil {
			t.Errorf("the adopted location is gone after deleting the resource: %v", err)
		}
		if err := e.catalog.DeleteLocation(context.Background(), pre.Location.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ConcurrentCreatesCannotBothOwn", func(t *testing.T) {
		e := newEnv(t, b, files)
		for round, adopt := range []bool{false, true} {
			path := fmt.Sprintf("/race/%d/catalog-info.yaml", round)
			files.Set(path, backstagetest.ComponentYAML(fmt.Sprintf("race-%d", round)))
			target := files.URL(path)
			names := []string{fmt.Sprintf("race-%d-a", round), fmt.Sprintf("race-%d-b", round)}
			for _, n := range names {
				e.create(location(n, "default", v1alpha1.CatalogLocationParameters{Target: ptr(target), AdoptExisting: adopt}))
			}
			// Both resources reconcile at the same time, several times,
			// each against the real catalog.
			for range 3 {
				var wg sync.WaitGroup
				for _, n := range names {
					wg.Go(func() {
						_, _ = e.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: n}})
					})
				}
				wg.Wait()
			}
			locs := e.locationsFor(target)
			if len(locs) != 1 {
				t.Fatalf("round %d: %d locations for the target, want 1: %+v", round, len(locs), locs)
			}
			id := locs[0].ID
			var owners, adopters, refused []string
			for _, n := range names {
				cr, err := e.get(n)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case registered(cr) && meta.GetExternalName(cr) == id:
					owners = append(owners, n)
				case meta.GetExternalName(cr) == id:
					adopters = append(adopters, n)
				default:
					refused = append(refused, n)
					if c := synced(cr); c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "adoptExisting") {
						t.Errorf("round %d: %s neither owns nor adopted %s, and says %q", round, n, id, c.Message)
					}
				}
			}
			t.Logf("round %d (adoptExisting=%v): owner %v, adopted by %v, refused %v", round, adopt, owners, adopters, refused)
			if len(owners) != 1 {
				t.Fatalf("round %d: owners %v, want exactly one", round, owners)
			}
			if want := map[bool]int{false: 0, true: 1}[adopt]; len(adopters) != want {
				t.Errorf("round %d: adopters %v, want %d", round, adopters, want)
			}
			// The resource that does not own the location deletes nothing.
			other := names[0]
			if other == owners[0] {
				other = names[1]
			}
			cr, _ := e.get(other)
			if err := e.kube.Delete(context.Background(), cr); err != nil {
				t.Fatal(err)
			}
			e.reconcileUntil(other, "deleted", gone)
			if _, err := e.catalog.GetLocation(context.Background(), id); err != nil {
				t.Errorf("round %d: deleting %s (not the owner) removed the location: %v", round, other, err)
			}
			// The owner deletes what it registered.
			cr, _ = e.get(owners[0])
			if err := e.kube.Delete(context.Background(), cr); err != nil {
				t.Fatal(err)
			}
			e.reconcileUntil(owners[0], "deleted", gone)
			if _, err := e.catalog.GetLocation(context.Background(), id); !backstage.IsNotFound(err) {
				t.Errorf("round %d: the owner's location after delete: %v, want 404", round, err)
			}
		}
	})

	t.Run("TargetFromRepositoryReferenceAndTargetChange", func(t *testing.T) {
		e := newEnv(t, b, files)
		repo := &githubv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: "payments"}}
		e.create(repo)
		e.create(location("from-repo", "default", v1alpha1.CatalogLocationParameters{RepositoryRef: &xpv2.Reference{Name: "payments"}}))

		// The Repository reports no URL yet: the reference does not resolve.
		cr := e.reconcileUntil("from-repo", "Synced=False while the Repository is not ready", syncFailed("RepositoryURL"))
		t.Logf("condition: %s", synced(cr).Message)

		files.Set("/acme/payments/blob/trunk/catalog-info.yaml", backstagetest.ComponentYAML("payments"))
		repo.Status.AtProvider.HTMLURL = files.URL("/acme/payments")
		repo.Status.AtProvider.DefaultBranch = "trunk"
		if err := e.kube.Status().Update(context.Background(), repo); err != nil {
			t.Fatal(err)
		}
		cr = e.reconcileUntil("from-repo", "Ready from the Repository", readyWith("component:default/payments"))
		want := files.URL("/acme/payments/blob/trunk/catalog-info.yaml")
		if cr.Status.AtProvider.Target != want {
			t.Errorf("target = %s, want %s", cr.Status.AtProvider.Target, want)
		}
		oldID := meta.GetExternalName(cr)

		// A new path: Backstage cannot change a location, so it is replaced.
		files.Set("/acme/payments/blob/trunk/docs/catalog-info.yaml", backstagetest.ComponentYAML("payments-docs"))
		cr.Spec.ForProvider.Path = ptr("docs/catalog-info.yaml")
		if err := e.kube.Update(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		cr = e.reconcileUntil("from-repo", "replaced by a location with the new target", func(cr *v1alpha1.CatalogLocation, err error) bool {
			return readyWith("component:default/payments-docs")(cr, err) && meta.GetExternalName(cr) != oldID
		})
		if _, err := e.catalog.GetLocation(context.Background(), oldID); !backstage.IsNotFound(err) {
			t.Errorf("the stale location %s: %v, want 404", oldID, err)
		}
		if l := e.locationsFor(want); len(l) != 0 {
			t.Errorf("locations for the old target remain: %+v", l)
		}
		e.waitEntityGone("Component", "payments")

		if err := e.kube.Delete(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		e.reconcileUntil("from-repo", "deleted", gone)
	})

	t.Run("ExplicitAdoptionWithObserveOnlyPolicy", func(t *testing.T) {
		e := newEnv(t, b, files)
		files.Set("/observe/catalog-info.yaml", backstagetest.ComponentYAML("observed"))
		target := files.URL("/observe/catalog-info.yaml")
		pre, err := e.catalog.AddLocation(context.Background(), backstage.AddLocationRequest{Type: "url", Target: target}, false)
		if err != nil {
			t.Fatal(err)
		}
		cr := location("observe", "default", v1alpha1.CatalogLocationParameters{Target: ptr(target)})
		cr.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
		meta.SetExternalName(cr, pre.Location.ID)
		e.create(cr)
		cr = e.reconcileUntil("observe", "Ready, observing the existing location", readyWith("component:default/observed"))
		if cr.Status.AtProvider.ID != pre.Location.ID {
			t.Errorf("observed id = %s, want %s", cr.Status.AtProvider.ID, pre.Location.ID)
		}
		// The resource tracks its ProviderConfig.
		pcu := &apisv1alpha1.ProviderConfigUsage{}
		if err := e.kube.Get(context.Background(), types.NamespacedName{Name: string(cr.GetUID())}, pcu); err != nil {
			t.Errorf("no ProviderConfigUsage for the resource: %v", err)
		} else if pcu.ProviderConfigReference.Name != "default" {
			t.Errorf("ProviderConfigUsage = %s", dump(pcu))
		}
		// Deleting an observe-only resource leaves the location alone.
		if err := e.kube.Delete(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		e.reconcileUntil("observe", "deleted", gone)
		if _, err := e.catalog.GetLocation(context.Background(), pre.Location.ID); err != nil {
			t.Errorf("the observed location is gone after deleting an observe-only resource: %v", err)
		}
		if err := e.catalog.DeleteLocation(context.Background(), pre.Location.ID); err != nil {
			t.Fatal(err)
		}
	})

	// Nothing registered by the tests is left behind.
	t.Run("NothingLeftBehind", func(t *testing.T) {
		c, err := backstage.New(b.URL, b.Token)
		if err != nil {
			t.Fatal(err)
		}
		locs, err := c.ListLocations(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(locs) != 0 {
			t.Errorf("locations left: %+v", locs)
		}
	})

}
