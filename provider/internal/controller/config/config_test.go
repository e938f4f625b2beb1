package config

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpfake "github.com/crossplane/crossplane-runtime/v2/pkg/resource/fake"

	"github.com/paved-dev/paved/provider/apis"
	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

// A ProviderConfig counts its users and cannot go away while it has any.
func TestProviderConfigUsageTracking(t *testing.T) {
	controller := true
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	pcu := &v1alpha1.ProviderConfigUsage{
		ObjectMeta: metav1.ObjectMeta{
			Name:   "uid-payments",
			Labels: map[string]string{xpv2.LabelKeyProviderName: "default"},
			// Usages are controlled by the managed resource using the config.
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "github.paved.dev/v1alpha1", Kind: "Repository", Name: "payments",
				UID: "uid-payments", Controller: &controller}},
		},
		ProviderConfigUsage: xpv2.ProviderConfigUsage{
			ProviderConfigReference: xpv2.Reference{Name: "default"},
			ResourceReference:       xpv2.TypedReference{APIVersion: "github.paved.dev/v1alpha1", Kind: "Repository", Name: "payments"},
		},
	}
	kube := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(&v1alpha1.ProviderConfig{}).
		WithObjects(&v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, pcu).Build()
	r := providerconfig.NewReconciler(&xpfake.Manager{Client: kube, Scheme: s}, resource.ProviderConfigKinds{
		Config:    v1alpha1.ProviderConfigGroupVersionKind,
		Usage:     v1alpha1.ProviderConfigUsageGroupVersionKind,
		UsageList: v1alpha1.ProviderConfigUsageListGroupVersionKind,
	})
	ctx := context.Background()
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "default"}}
	get := func() (*v1alpha1.ProviderConfig, error) {
		pc := &v1alpha1.ProviderConfig{}
		return pc, kube.Get(ctx, req.NamespacedName, pc)
	}

	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	pc, err := get()
	if err != nil {
		t.Fatal(err)
	}
	if pc.Status.Users != 1 {
		t.Errorf("users = %d, want 1", pc.Status.Users)
	}
	if err := kube.Delete(ctx, pc); err != nil {
		t.Fatal(err)
	}
	_, _ = r.Reconcile(ctx, req)
	if _, err := get(); err != nil {
		t.Fatalf("ProviderConfig in use was deleted: %v", err)
	}
	if err := kube.Delete(ctx, pcu); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := get(); err == nil {
		t.Error("unused ProviderConfig was not released for deletion")
	}
}

// recordingQueue records what a handler asks of the workqueue.
type recordingQueue struct {
	queue
	added []reconcile.Request
	after map[reconcile.Request][]time.Duration
}

func (q *recordingQueue) Add(r reconcile.Request) { q.added = append(q.added, r) }
func (q *recordingQueue) AddAfter(r reconcile.Request, d time.Duration) {
	q.after[r] = append(q.after[r], d)
}

// Usage changes enqueue their ProviderConfig after the batch delay, never
// at once, so that a burst of new managed resources is counted by one
// reconcile; objects that are not usages enqueue nothing.
func TestEnqueueProviderConfigAfter(t *testing.T) {
	h := EnqueueProviderConfigAfter(Legacy, UsageBatch)
	q := &recordingQueue{after: map[reconcile.Request][]time.Duration{}}
	ctx := context.Background()
	usage := func(pc string) *v1alpha1.ProviderConfigUsage {
		return &v1alpha1.ProviderConfigUsage{ProviderConfigUsage: xpv2.ProviderConfigUsage{ProviderConfigReference: xpv2.Reference{Name: pc}}}
	}
	for range 3 {
		h.Create(ctx, event.CreateEvent{Object: usage("default")}, q)
	}
	h.Update(ctx, event.UpdateEvent{ObjectOld: usage("default"), ObjectNew: usage("other")}, q)
	h.Delete(ctx, event.DeleteEvent{Object: usage("other")}, q)
	h.Generic(ctx, event.GenericEvent{Object: usage("default")}, q)
	h.Create(ctx, event.CreateEvent{Object: &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}}}, q)

	want := map[reconcile.Request][]time.Duration{
		{NamespacedName: types.NamespacedName{Name: "default"}}: {UsageBatch, UsageBatch, UsageBatch, UsageBatch, UsageBatch},
		{NamespacedName: types.NamespacedName{Name: "other"}}:   {UsageBatch, UsageBatch},
	}
	if diff := cmp.Diff(want, q.after); diff != "" {
		t.Errorf("AddAfter calls (-want +got):\n%s", diff)
	}
	if len(q.added) != 0 {
		t.Errorf("enqueued at once: %v", q.added)
	}
}

type forgetter struct{ forgot []string }

func (f *forgetter) Forget(pc string) { f.forgot = append(f.forgot, pc) }

type nop struct{ calls int }

func (n *nop) Reconcile(context.Context, reconcile.Request) (reconcile.Result, error) {
	n.calls++
	return reconcile.Result{}, nil
}

// The GitHub client pool forgets a ProviderConfig that is gone, or that
// names no GitHub credentials any more; a ProviderConfig with GitHub
// credentials keeps what it uses.
func TestForgettingDeletedProviderConfigs(t *testing.T) {
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	withGitHub := &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "github"}, Spec: v1alpha1.ProviderConfigSpec{GitHub: &v1alpha1.GitHubConfig{}}}
	backstageOnly := &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "backstage"}, Spec: v1alpha1.ProviderConfigSpec{Backstage: &v1alpha1.BackstageConfig{}}}
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(withGitHub, backstageOnly).Build()
	cases := map[string]struct {
		pc   string
		want []string
	}{
		"GitHub credentials":    {pc: "github"},
		"no GitHub credentials": {pc: "backstage", want: []string{"backstage"}},
		"deleted":               {pc: "deleted", want: []string{"deleted"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, next := &forgetter{}, &nop{}
			r := &Forgetting{Next: next, Kube: kube, Pool: f, Kind: Legacy}
			if _, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: tc.pc}}); err != nil {
				t.Fatal(err)
			}
			if next.calls != 1 {
				t.Errorf("the ProviderConfig reconciler ran %d times, want 1", next.calls)
			}
			if diff := cmp.Diff(tc.want, f.forgot); diff != "" {
				t.Errorf("forgotten -want +got:\n%s", diff)
			}
		})
	}
}

// A namespaced resource's usage (m.paved.dev, in the resource's namespace)
// enqueues the config of the kind it names: a ProviderConfig of the usage's
// namespace, or a ClusterProviderConfig; never one of the other kind, and
// paved.dev usages enqueue neither.
func TestEnqueueTypedProviderConfig(t *testing.T) {
	typedUsage := func(ns, kind, name string) *mv1alpha1.ProviderConfigUsage {
		return &mv1alpha1.ProviderConfigUsage{ObjectMeta: metav1.ObjectMeta{Namespace: ns},
			TypedProviderConfigUsage: xpv2.TypedProviderConfigUsage{ProviderConfigReference: xpv2.ProviderConfigReference{Kind: kind, Name: name}}}
	}
	legacy := &v1alpha1.ProviderConfigUsage{ProviderConfigUsage: xpv2.ProviderConfigUsage{ProviderConfigReference: xpv2.Reference{Name: "default"}}}
	cases := map[string]struct {
		kind Kind
		want map[reconcile.Request][]time.Duration
	}{
		"ProviderConfig": {kind: Namespaced, want: map[reconcile.Request][]time.Duration{
			{NamespacedName: types.NamespacedName{Namespace: "team-a", Name: "own"}}: {UsageBatch},
		}},
		"ClusterProviderConfig": {kind: Cluster, want: map[reconcile.Request][]time.Duration{
			{NamespacedName: types.NamespacedName{Name: "default"}}: {UsageBatch},
		}},
		"LegacyProviderConfig": {kind: Legacy, want: map[reconcile.Request][]time.Duration{
			{NamespacedName: types.NamespacedName{Name: "default"}}: {UsageBatch},
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := EnqueueProviderConfigAfter(tc.kind, UsageBatch)
			q := &recordingQueue{after: map[reconcile.Request][]time.Duration{}}
			for _, u := range []client.Object{typedUsage("team-a", "ProviderConfig", "own"), typedUsage("team-a", "ClusterProviderConfig", "default"), legacy} {
				h.Create(context.Background(), event.CreateEvent{Object: u}, q)
			}
			if diff := cmp.Diff(tc.want, q.after); diff != "" {
				t.Errorf("AddAfter calls (-want +got):\n%s", diff)
			}
		})
	}
}

// The pool forgets an m.paved.dev config under the identity the resolver
// gave its credentials (providerconfig.ID).
func TestForgettingTypedProviderConfigs(t *testing.T) {
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(
		&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "github"}, Spec: v1alpha1.ProviderConfigSpec{GitHub: &v1alpha1.GitHubConfig{}}},
		&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "backstage"}, Spec: v1alpha1.ProviderConfigSpec{Backstage: &v1alpha1.BackstageConfig{}}},
	).Build()
	cases := map[string]struct {
		kind Kind
		req  types.NamespacedName
		want []string
	}{
		"ProviderConfigWithGitHub":           {kind: Namespaced, req: types.NamespacedName{Namespace: "team-a", Name: "github"}},
		"ProviderConfigDeleted":              {kind: Namespaced, req: types.NamespacedName{Namespace: "team-b", Name: "github"}, want: []string{"ProviderConfig/team-b/github"}},
		"ClusterProviderConfigWithoutGitHub": {kind: Cluster, req: types.NamespacedName{Name: "backstage"}, want: []string{"ClusterProviderConfig/backstage"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &forgetter{}
			r := &Forgetting{Next: &nop{}, Kube: kube, Pool: f, Kind: tc.kind}
			if _, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: tc.req}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, f.forgot); diff != "" {
				t.Errorf("forgotten -want +got:\n%s", diff)
			}
		})
	}
}

// An m.paved.dev config counts the usages that name its kind and name: a
// namespaced ProviderConfig those of its namespace, a
// ClusterProviderConfig those of every namespace.
func TestTypedProviderConfigUsers(t *testing.T) {
	controller := true
	usage := func(ns, uid, kind, name string) *mv1alpha1.ProviderConfigUsage {
		return &mv1alpha1.ProviderConfigUsage{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: ns, Name: uid,
				Labels: map[string]string{xpv2.LabelKeyProviderName: name, xpv2.LabelKeyProviderKind: kind},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "github.m.paved.dev/v1alpha1", Kind: "Repository", Name: uid,
					UID: types.UID(uid), Controller: &controller}},
			},
			TypedProviderConfigUsage: xpv2.TypedProviderConfigUsage{
				ProviderConfigReference: xpv2.ProviderConfigReference{Kind: kind, Name: name},
				ResourceReference:       xpv2.TypedReference{APIVersion: "github.m.paved.dev/v1alpha1", Kind: "Repository", Name: uid},
			},
		}
	}
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&mv1alpha1.ProviderConfig{}, &mv1alpha1.ClusterProviderConfig{}).
		WithObjects(
			&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "default"}},
			&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
			usage("team-a", "a1", "ProviderConfig", "default"),
			usage("team-b", "b1", "ProviderConfig", "default"), // another namespace's ProviderConfig "default"
			usage("team-a", "a2", "ClusterProviderConfig", "default"),
			usage("team-b", "b2", "ClusterProviderConfig", "default"),
			usage("team-b", "b3", "ClusterProviderConfig", "default"),
		).Build()
	cases := map[string]struct {
		kind Kind
		req  types.NamespacedName
		get  func() (int64, error)
		want int64
	}{
		"ProviderConfig": {kind: Namespaced, req: types.NamespacedName{Namespace: "team-a", Name: "default"}, want: 1, get: func() (int64, error) {
			pc := &mv1alpha1.ProviderConfig{}
			err := kube.Get(context.Background(), types.NamespacedName{Namespace: "team-a", Name: "default"}, pc)
			return pc.Status.Users, err
		}},
		"ClusterProviderConfig": {kind: Cluster, req: types.NamespacedName{Name: "default"}, want: 3, get: func() (int64, error) {
			pc := &mv1alpha1.ClusterProviderConfig{}
			err := kube.Get(context.Background(), types.NamespacedName{Name: "default"}, pc)
			return pc.Status.Users, err
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := providerconfig.NewReconciler(Kinded(&xpfake.Manager{Client: kube, Scheme: s}), tc.kind.Kinds)
			if _, err := r.Reconcile(context.Background(), reconcile.Request{NamespacedName: tc.req}); err != nil {
				t.Fatal(err)
			}
			got, err := tc.get()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("users = %d, want %d", got, tc.want)
			}
		})
	}
}
