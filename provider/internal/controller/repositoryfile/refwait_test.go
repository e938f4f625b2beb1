package repositoryfile

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	xpevent "github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

func refFile(name, repo string, fn ...func(*v1alpha1.RepositoryFile)) *v1alpha1.RepositoryFile {
	f := &v1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.RepositoryFileSpec{ForProvider: v1alpha1.RepositoryFileParameters{
			RepositoryRef: &xpv2.Reference{Name: repo}, Path: "catalog-info.yaml", Content: "x\n",
		}},
	}
	for _, o := range fn {
		o(f)
	}
	return f
}

func repository(name, fullName string) *v1alpha1.Repository {
	return &v1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1alpha1.RepositorySpec{ForProvider: v1alpha1.RepositoryParameters{Owner: testOrg}},
		Status:     v1alpha1.RepositoryStatus{AtProvider: v1alpha1.RepositoryObservation{FullName: fullName}},
	}
}

func refKube(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&v1alpha1.RepositoryFile{}, &v1alpha1.Repository{}).
		WithIndex(&v1alpha1.RepositoryFile{}, refwait.IndexRef, refKind.IndexValues).
		WithObjects(objs...).Build()
}

// events counts recorded events.
type events struct{ n int }

func (e *events) Event(runtime.Object, xpevent.Event)        { e.n++ }
func (e *events) WithAnnotations(...string) xpevent.Recorder { return e }

// A RepositoryFile whose Repository is not observed yet (or does not exist)
// is reported, once, as the managed reconciler reports a failed
// resolution, without passing the global rate limiter; every other one is
// passed on.
func TestRefGate(t *testing.T) {
	deleting := func(f *v1alpha1.RepositoryFile) {
		f.SetDeletionTimestamp(&metav1.Time{Time: time.Now()})
		f.SetFinalizers([]string{"finalizer.managedresource.crossplane.io"})
	}
	cases := map[string]struct {
		objs     []client.Object
		wantNext bool
		wantMsg  string // in Synced=False, when not passed on
	}{
		"RepositoryNotObserved": {
			objs:    []client.Object{refFile("f", "svc"), repository("svc", "")},
			wantMsg: "cannot resolve references: mg.Spec.ForProvider.Repository: referenced field was empty",
		},
		"RepositoryMissing": {
			objs:    []client.Object{refFile("f", "svc")},
			wantMsg: `cannot resolve references: mg.Spec.ForProvider.Repository: cannot get referenced resource: repositories.github.paved.dev "svc" not found`,
		},
		"RepositoryObserved": {
			objs:     []client.Object{refFile("f", "svc"), repository("svc", testOrg+"/svc")},
			wantNext: true,
		},
		"AlreadyResolved": {
			objs:     []client.Object{refFile("f", "svc", func(f *v1alpha1.RepositoryFile) { f.Spec.ForProvider.Repository = ptr(testOrg + "/svc") })},
			wantNext: true,
		},
		"Deleting": {
			objs:     []client.Object{refFile("f", "svc", deleting)},
			wantNext: true,
		},
		"Paused": {
			objs: []client.Object{refFile("f", "svc", func(f *v1alpha1.RepositoryFile) {
				meta.AddAnnotations(f, map[string]string{meta.AnnotationKeyReconciliationPaused: "true"})
			})},
			wantNext: true,
		},
		"BySelector": {
			objs: []client.Object{refFile("f", "", func(f *v1alpha1.RepositoryFile) {
				f.Spec.ForProvider.RepositoryRef = nil
				f.Spec.ForProvider.RepositorySelector = &xpv2.Selector{MatchLabels: map[string]string{"app": "svc"}}
			})},
			wantNext: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := refKube(t, tc.objs...)
			passed := 0
			rec := &events{}
			g := &refwait.Gate[scoped.RepositoryFile]{Kind: refKind, Kube: kube, Record: rec, Poll: time.Minute, Next: reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
				passed++
				return reconcile.Result{}, nil
			})}
			req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "f"}}
			for range 2 {
				res, err := g.Reconcile(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if !tc.wantNext && res.RequeueAfter != time.Minute {
					t.Errorf("result %+v, want a requeue after the poll interval", res)
				}
			}
			if got, want := passed, map[bool]int{true: 2}[tc.wantNext]; got != want {
				t.Errorf("passed on %d times, want %d", got, want)
			}
			if tc.wantNext {
				return
			}
			f := &v1alpha1.RepositoryFile{}
			if err := kube.Get(context.Background(), req.NamespacedName, f); err != nil {
				t.Fatal(err)
			}
			c := f.GetCondition(xpv2.TypeSynced)
			if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, tc.wantMsg) {
				t.Errorf("Synced = %s %q, want False containing %q", c.Status, c.Message, tc.wantMsg)
			}
			if f.Spec.ForProvider.Repository != nil {
				t.Errorf("spec changed: repository = %q", *f.Spec.ForProvider.Repository)
			}
			if rec.n != 1 {
				t.Errorf("%d events for two reconciles of the same wait, want 1", rec.n)
			}
		})
	}
}

// Once its Repository is observed, a waiting RepositoryFile is passed on.
func TestRefGatePassesOnceObserved(t *testing.T) {
	kube := refKube(t, refFile("f", "svc"), repository("svc", ""))
	passed := 0
	g := &refwait.Gate[scoped.RepositoryFile]{Kind: refKind, Kube: kube, Record: &events{}, Poll: time.Minute, Next: reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
		passed++
		return reconcile.Result{}, nil
	})}
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "f"}}
	if _, err := g.Reconcile(context.Background(), req); err != nil || passed != 0 {
		t.Fatalf("before: passed %d, %v", passed, err)
	}
	r := &v1alpha1.Repository{}
	if err := kube.Get(context.Background(), types.NamespacedName{Name: "svc"}, r); err != nil {
		t.Fatal(err)
	}
	r.Status.AtProvider.FullName = testOrg + "/svc"
	if err := kube.Status().Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Reconcile(context.Background(), req); err != nil || passed != 1 {
		t.Fatalf("after: passed %d, %v", passed, err)
	}
}

// A Repository event wakes exactly the RepositoryFiles that reference it.
func TestFilesReferencing(t *testing.T) {
	kube := refKube(t, refFile("a", "svc"), refFile("b", "svc"), refFile("c", "other"),
		refFile("d", "", func(f *v1alpha1.RepositoryFile) { f.Spec.ForProvider.RepositoryRef = nil }))
	got := refKind.Referencing(kube)(context.Background(), repository("svc", ""))
	want := []reconcile.Request{{NamespacedName: types.NamespacedName{Name: "a"}}, {NamespacedName: types.NamespacedName{Name: "b"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

// Only Repository events that can change a resolution pass: creation,
// deletion, and a change of status.atProvider.fullName.
func TestFullNameChanged(t *testing.T) {
	p := refwait.ValueChanged(v1alpha1.RepositoryFullName())
	cases := map[string]struct {
		got, want bool
	}{
		"Create":          {got: p.Create(event.CreateEvent{Object: repository("svc", "")}), want: true},
		"Delete":          {got: p.Delete(event.DeleteEvent{Object: repository("svc", "acme/svc")}), want: true},
		"FullNameAppears": {got: p.Update(event.UpdateEvent{ObjectOld: repository("svc", ""), ObjectNew: repository("svc", "acme/svc")}), want: true},
		"FullNameChanges": {got: p.Update(event.UpdateEvent{ObjectOld: repository("svc", "acme/svc"), ObjectNew: repository("svc", "acme/api")}), want: true},
		"OtherChange": {got: p.Update(event.UpdateEvent{ObjectOld: repository("svc", "acme/svc"), ObjectNew: func() *v1alpha1.Repository {
			r := repository("svc", "acme/svc")
			r.SetConditions(xpv2.Available())
			return r
		}()}), want: false},
	}
	for name, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: passes = %v, want %v", name, tc.got, tc.want)
		}
	}
}

// Within refwait.Grace of its creation, a RepositoryFile whose Repository
// does not exist yet waits without reporting it (no status write, the
// watch or the grace's end wakes it); after it, it reports as before.
func TestRefGateGrace(t *testing.T) {
	created := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		age        time.Duration
		wantSynced corev1.ConditionStatus
		wantAfter  time.Duration
	}{
		"JustCreated": {age: 2 * time.Second, wantSynced: "", wantAfter: refwait.Grace - 2*time.Second},
		"PastGrace":   {age: refwait.Grace, wantSynced: corev1.ConditionFalse, wantAfter: time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			kube := refKube(t, refFile("f", "svc", func(f *v1alpha1.RepositoryFile) {
				f.CreationTimestamp = metav1.NewTime(created)
			}))
			rec := &events{}
			g := &refwait.Gate[scoped.RepositoryFile]{Kind: refKind, Kube: kube, Record: rec, Poll: time.Minute, Grace: refwait.Grace,
				Now: func() time.Time { return created.Add(tc.age) },
				Next: reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
					t.Error("passed on while its reference cannot resolve")
					return reconcile.Result{}, nil
				})}
			req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "f"}}
			res, err := g.Reconcile(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if res.RequeueAfter != tc.wantAfter {
				t.Errorf("requeue after %v, want %v", res.RequeueAfter, tc.wantAfter)
			}
			f := &v1alpha1.RepositoryFile{}
			if err := kube.Get(context.Background(), req.NamespacedName, f); err != nil {
				t.Fatal(err)
			}
			if got := f.GetCondition(xpv2.TypeSynced).Status; got != tc.wantSynced && !(tc.wantSynced == "" && got == corev1.ConditionUnknown) {
				t.Errorf("Synced = %q, want %q", got, tc.wantSynced)
			}
		})
	}
}
