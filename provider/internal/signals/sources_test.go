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
	ctx := context.Background()

	if s.watch(ctx) {
		t.Error("watch() = true with Application not served, want false")
	}
	for g, want := range map[schema.GroupVersionKind]bool{XServiceBundle: true, XBucket: true, Database: true, Bucket: true, XDatabase: false, Application: false} {
		if got := s.Synced(g); got != want {
			t.Errorf("after the first look-up: Synced(%s) = %v, want %v", g.Kind, got, want)
		}
	}
	if !s.skipped[Application] {
		t.Error("Application was not recorded as skipped")
	}

	// Argo CD is installed later.
	mapper.Add(Application, meta.RESTScopeNamespace)
	if !s.watch(ctx) {
		t.Error("watch() = false with every kind served, want true")
	}
	if !s.Synced(Application) {
		t.Error("Synced(Application) = false once it is served")
	}
	if _, ok := informers.InformersByGVK[Application]; !ok {
		t.Error("no informer was started for Application")
	}
}
