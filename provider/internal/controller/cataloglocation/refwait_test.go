package cataloglocation

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
	"github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

func refLocation(name, repo string, fn ...func(*v1alpha1.CatalogLocation)) *v1alpha1.CatalogLocation {
	l := &v1alpha1.CatalogLocation{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.CatalogLocationSpec{ForProvider: v1alpha1.CatalogLocationParameters{
			RepositoryRef: &xpv2.Reference{Name: repo},
		}},
	}
	for _, o := range fn {
		o(l)
	}
	return l
}

// repository returns a Repository that reports htmlURL and defaultBranch
// (either may be "": not reported yet).
func repository(name, htmlURL, branch string) *ghv1alpha1.Repository {
	return &ghv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       ghv1alpha1.RepositorySpec{ForProvider: ghv1alpha1.RepositoryParameters{Owner: "acme"}},
		Status: ghv1alpha1.RepositoryStatus{AtProvider: ghv1alpha1.RepositoryObservation{
			FullName: "acme/" + name, HTMLURL: htmlURL, DefaultBranch: branch,
		}},
	}
}

func refKube(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&v1alpha1.CatalogLocation{}, &ghv1alpha1.Repository{}).
		WithIndex(&v1alpha1.CatalogLocation{}, refwait.IndexRef, refKind.IndexValues).
		WithObjects(objs...).Build()
}

// events counts recorded events.
type events struct{ n int }

func (e *events) Event(runtime.Object, xpevent.Event)        { e.n++ }
func (e *events) WithAnnotations(...string) xpevent.Recorder { return e }

// gate returns the gate of the CatalogLocation controller over kube, with
// a next reconciler that counts the requests passed on.
func gate(kube client.Client, rec xpevent.Recorder, passed *int) *refwait.Gate[scoped.CatalogLocation] {
	return &refwait.Gate[scoped.CatalogLocation]{Kind: refKind, Kube: kube, Record: rec, Poll: time.Minute,
		Next: reconcile.Func(func(context.Context, reconcile.Request) (reconcile.Result, error) {
			*passed++
			return reconcile.Result{}, nil
		})}
}

// A CatalogLocation whose Repository has not reported htmlURL and
// defaultBranch yet (or does not exist) is reported, once, as the managed
// reconciler reports a failed resolution, without passing the global rate
// limiter; every other one is passed on.
func TestRefGate(t *testing.T) {
	deleting := func(l *v1alpha1.CatalogLocation) {
		l.SetDeletionTimestamp(&metav1.Time{Time: time.Now()})
		l.SetFinalizers([]string{"finalizer.managedresource.crossplane.io"})
	}
	cases := map[string]struct {
		objs     []client.Object
		wantNext bool
		wantMsg  string // in Synced=False, when not passed on
	}{
		"RepositoryNotObserved": {
			objs:    []client.Object{refLocation("l", "svc"), repository("svc", "", "")},
			wantMsg: "cannot resolve references: mg.Spec.ForProvider.RepositoryURL: referenced field was empty",
		},
		"DefaultBranchNotReported": {
			objs:    []client.Object{refLocation("l", "svc"), repository("svc", "https://github.com/acme/svc", "")},
			wantMsg: "cannot resolve references: mg.Spec.ForProvider.RepositoryURL: referenced field was empty",
		},
		"RepositoryMissing": {
			objs:    []client.Object{refLocation("l", "svc")},
			wantMsg: `cannot resolve references: mg.Spec.ForProvider.RepositoryURL: cannot get referenced resource: repositories.github.paved.dev "svc" not found`,
		},
		"RepositoryObserved": {
			objs:     []client.Object{refLocation("l", "svc"), repository("svc", "https://github.com/acme/svc", "main")},
			wantNext: true,
		},
		"AlreadyResolved": {
			objs: []client.Object{refLocation("l", "svc", func(l *v1alpha1.CatalogLocation) {
				l.Spec.ForProvider.RepositoryURL = ptr("https://github.com/acme/svc/blob/main")
			})},
			wantNext: true,
		},
		"ByTarget": {
			objs: []client.Object{refLocation("l", "", func(l *v1alpha1.CatalogLocation) {
				l.Spec.ForProvider.RepositoryRef = nil
				l.Spec.ForProvider.Target = ptr("https://github.com/acme/svc/blob/main/catalog-info.yaml")
			})},
			wantNext: true,
		},
		"Deleting": {
			objs:     []client.Object{refLocation("l", "svc", deleting)},
			wantNext: true,
		},
		"Paused": {
			objs: []client.Object{refLocation("l", "svc", func(l *v1alpha1.CatalogLocation) {
				meta.AddAnnotations(l, map[string]string{meta.AnnotationKeyReconciliationPaused: "true"})
			})},
			wantNext: true,
		},
		"BySelector": {
			objs: []client.Object{refLocation("l", "", func(l *v1alpha1.CatalogLocation) {
				l.Spec.ForProvider.RepositoryRef = nil
				l.Spec.ForProvider.RepositorySelector = &xpv2.Selector{MatchLabels: map[string]string{"app": "svc"}}
			})},
			wantNext: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := refKube(t, tc.objs...)
			passed := 0
			rec := &events{}
			g := gate(kube, rec, &passed)
			req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "l"}}
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
			l := &v1alpha1.CatalogLocation{}
			if err := kube.Get(context.Background(), req.NamespacedName, l); err != nil {
				t.Fatal(err)
			}
			c := l.GetCondition(xpv2.TypeSynced)
			if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, tc.wantMsg) {
				t.Errorf("Synced = %s %q, want False containing %q", c.Status, c.Message, tc.wantMsg)
			}
			if l.Spec.ForProvider.RepositoryURL != nil {
				t.Errorf("spec changed: repositoryURL = %q", *l.Spec.ForProvider.RepositoryURL)
			}
			if rec.n != 1 {
				t.Errorf("%d events for two reconciles of the same wait, want 1", rec.n)
			}
		})
	}
}

// Once its Repository reports htmlURL and defaultBranch, a waiting
// CatalogLocation is passed on.
func TestRefGatePassesOnceObserved(t *testing.T) {
	kube := refKube(t, refLocation("l", "svc"), repository("svc", "", ""))
	passed := 0
	g := gate(kube, &events{}, &passed)
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "l"}}
	if _, err := g.Reconcile(context.Background(), req); err != nil || passed != 0 {
		t.Fatalf("before: passed %d, %v", passed, err)
	}
	r := &ghv1alpha1.Repository{}
	if err := kube.Get(context.Background(), types.NamespacedName{Name: "svc"}, r); err != nil {
		t.Fatal(err)
	}
	r.Status.AtProvider.HTMLURL, r.Status.AtProvider.DefaultBranch = "https://github.com/acme/svc", "main"
	if err := kube.Status().Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Reconcile(context.Background(), req); err != nil || passed != 1 {
		t.Fatalf("after: passed %d, %v", passed, err)
	}
}

// A Repository event wakes exactly the CatalogLocations that reference it.
func TestLocationsReferencing(t *testing.T) {
	kube := refKube(t, refLocation("a", "svc"), refLocation("b", "svc"), refLocation("c", "other"),
		refLocation("d", "", func(l *v1alpha1.CatalogLocation) {
			l.Spec.ForProvider.RepositoryRef = nil
			l.Spec.ForProvider.Target = ptr("https://github.com/acme/svc/blob/main/catalog-info.yaml")
		}))
	got := refKind.Referencing(kube)(context.Background(), repository("svc", "", ""))
	want := []reconcile.Request{{NamespacedName: types.NamespacedName{Name: "a"}}, {NamespacedName: types.NamespacedName{Name: "b"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

// Only Repository events that can change the resolved URL pass: creation,
// deletion, and a change of status.atProvider.htmlURL or defaultBranch
// that changes <htmlURL>/blob/<defaultBranch>.
func TestBlobURLChanged(t *testing.T) {
	p := refwait.ValueChanged(v1alpha1.RepositoryBlobURL())
	const u = "https://github.com/acme/svc"
	update := func(o, n *ghv1alpha1.Repository) bool { return p.Update(event.UpdateEvent{ObjectOld: o, ObjectNew: n}) }
	cases := map[string]struct {
		got, want bool
	}{
		"Create":              {got: p.Create(event.CreateEvent{Object: repository("svc", "", "")}), want: true},
		"Delete":              {got: p.Delete(event.DeleteEvent{Object: repository("svc", u, "main")}), want: true},
		"BothAppear":          {got: update(repository("svc", "", ""), repository("svc", u, "main")), want: true},
		"DefaultBranchLast":   {got: update(repository("svc", u, ""), repository("svc", u, "main")), want: true},
		"DefaultBranchChange": {got: update(repository("svc", u, "main"), repository("svc", u, "trunk")), want: true},
		"HTMLURLAloneAppears": {got: update(repository("svc", "", ""), repository("svc", u, "")), want: false},
		"OtherChange": {got: update(repository("svc", u, "main"), func() *ghv1alpha1.Repository {
			r := repository("svc", u, "main")
			r.SetConditions(xpv2.Available())
			return r
		}()), want: false},
	}
	for name, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: passes = %v, want %v", name, tc.got, tc.want)
		}
	}
}

// The location's repositoryURL follows its Repository's current htmlURL
// (a rename), not the one it resolved first.
func TestRepositoryURLFollowsARename(t *testing.T) {
	l := refLocation("l", "svc", func(l *v1alpha1.CatalogLocation) {
		l.Spec.ForProvider.RepositoryURL = ptr("https://github.com/acme/svc/blob/main")
	})
	kube := refKube(t, l, repository("svc", "https://github.com/acme/svc-renamed", "main"))
	if err := kube.Get(context.Background(), client.ObjectKeyFromObject(l), l); err != nil {
		t.Fatal(err)
	}
	if err := follower(kube, scoped.Cluster).ResolveReferences(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	got := &v1alpha1.CatalogLocation{}
	if err := kube.Get(context.Background(), client.ObjectKeyFromObject(l), got); err != nil {
		t.Fatal(err)
	}
	want := "https://github.com/acme/svc-renamed/blob/main/catalog-info.yaml"
	if tgt := got.Spec.ForProvider.LocationTarget(); tgt != want {
		t.Errorf("target %q, want %q", tgt, want)
	}
}
