package signals

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
)

// TestSourcesSkipAbsentKinds: a kind the API server does not serve (Argo
// CD not installed) is skipped, not waited for, and watched once it is
// served; an informer that has not synced (or cannot list: RBAC) is not
// listed.
func TestSourcesSkipAbsentKinds(t *testing.T) {
	mapper := meta.NewDefaultRESTMapper(nil)
	for _, g := range Watched {
		if g != Application {
			mapper.Add(g, meta.RESTScopeRoot)
		}
	}
	informers := &informertest.FakeInformers{InformersByGVK: map[schema.GroupVersionKind]toolscache.SharedIndexInformer{
		// Listing XDatabases is forbidden: the informer never syncs.
		XDatabase: &controllertest.FakeInformer{Synced: false},
	}}
	s := NewSources(informers, mapper, logging.NewNopLogger())
	// The provider may not list Buckets (no ClusterRole for them yet).
	forbidden := map[schema.GroupResource]bool{{Group: "paved.dev", Resource: "buckets"}: true}
	s.Allowed = func(_ context.Context, r schema.GroupVersionResource) (bool, error) {
		return !forbidden[r.GroupResource()], nil
	}
	ctx := context.Background()

	if s.watch(ctx) {
		t.Error("watch() = true with Application not served, want false")
	}
	for g, want := range map[schema.GroupVersionKind]bool{XServiceBundle: true, XBucket: true, Database: true, Bucket: false, XDatabase: false, Application: false} {
		if got := s.Synced(g); got != want {
			t.Errorf("after the first look-up: Synced(%s) = %v, want %v", g.Kind, got, want)
		}
	}
	for _, g := range []schema.GroupVersionKind{Application, Bucket} {
		if !s.skipped[g] {
			t.Errorf("%s was not recorded as skipped", g.Kind)
		}
		if _, ok := informers.InformersByGVK[g]; ok {
			t.Errorf("an informer was started for %s", g.Kind)
		}
	}

	// Argo CD is installed later, and the ClusterRole applied.
	mapper.Add(Application, meta.RESTScopeNamespace)
	delete(forbidden, schema.GroupResource{Group: "paved.dev", Resource: "buckets"})
	if !s.watch(ctx) {
		t.Error("watch() = false with every kind served, want true")
	}
	if !s.Synced(Application) || !s.Synced(Bucket) {
		t.Errorf("Synced(Application) = %v, Synced(Bucket) = %v once served and allowed", s.Synced(Application), s.Synced(Bucket))
	}
	if _, ok := informers.InformersByGVK[Application]; !ok {
		t.Error("no informer was started for Application")
	}
}
