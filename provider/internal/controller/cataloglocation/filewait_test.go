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
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis"
	"github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

const blobURL = "https://github.com/acme/svc/blob/main"

// fileLocation is a CatalogLocation as a ServiceBundle composes it with its
// file: the Repository's reference resolved, the RepositoryFile named.
func fileLocation(name string, fn ...func(*v1alpha1.CatalogLocation)) *v1alpha1.CatalogLocation {
	return refLocation(name, "svc", append([]func(*v1alpha1.CatalogLocation){func(l *v1alpha1.CatalogLocation) {
		l.Spec.ForProvider.RepositoryURL = ptr(blobURL)
		l.Spec.ForProvider.FileRef = &xpv2.Reference{Name: "svc-catalog-info"}
	}}, fn...)...)
}

// repositoryFile is the RepositoryFile svc-catalog-info: committed (Ready,
// with the commit), proposed in a pull request (a commit on the pull
// request's branch, not Ready), or created and not observed yet.
func repositoryFile(state, commit string) *ghv1alpha1.RepositoryFile {
	f := &ghv1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Name: "svc-catalog-info"},
		Spec:       ghv1alpha1.RepositoryFileSpec{ForProvider: ghv1alpha1.RepositoryFileParameters{Path: "catalog-info.yaml"}},
	}
	switch state {
	case "committed":
		f.Status.AtProvider.CommitSHA = commit
		f.SetConditions(xpv2.Available())
	case "proposed":
		f.Status.AtProvider.CommitSHA = commit
		f.Status.AtProvider.PullRequestURL = "https://github.com/acme/svc/pull/1"
		f.SetConditions(xpv2.Unavailable().WithMessage("waiting for review"))
	case "creating":
		f.SetConditions(xpv2.Creating())
	}
	return f
}

func fileKube(t *testing.T, statusUpdates *int, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&v1alpha1.CatalogLocation{}, &ghv1alpha1.Repository{}, &ghv1alpha1.RepositoryFile{}).
		WithIndex(&v1alpha1.CatalogLocation{}, refwait.IndexRef, refKind.IndexValues).
		WithIndex(&v1alpha1.CatalogLocation{}, fileIndex, fileKind.IndexValues).
		WithInterceptorFuncs(interceptor.Funcs{SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, o client.Object, opts ...client.SubResourceUpdateOption) error {
			*statusUpdates++
			return c.SubResource(sub).Update(ctx, o, opts...)
		}}).
		WithObjects(objs...).Build()
}

// gates are the controller's two gates, the Repository's then the file's,
// in front of a next reconciler that counts the requests passed on.
func gates(kube client.Client, rec *events, passed *int) *refwait.Gate[scoped.CatalogLocation] {
	g := gate(kube, rec, passed)
	g.Next = &refwait.Gate[scoped.CatalogLocation]{Kind: fileKind, Kube: kube, Record: rec, Poll: time.Minute, Next: g.Next}
	return g
}

// A CatalogLocation whose catalog file is not committed yet waits at the
// file's gate: reported once, as the managed reconciler reports a failed
// resolution (what compose's waitsForReference reads as waiting), its
// spec untouched, and its status written once however often it is polled.
// Nothing reaches the managed reconciler, so nothing asks the catalog to
// register a target it cannot read yet.
func TestFileGate(t *testing.T) {
	const waits = "cannot resolve references: mg.Spec.ForProvider.RefreshKey: referenced field was empty (referenced resource may not yet be ready)"
	cases := map[string]struct {
		objs     []client.Object
		wantNext bool
		wantMsg  string
	}{
		"FileNotObserved": {objs: []client.Object{fileLocation("l"), repositoryFile("creating", "")}, wantMsg: waits},
		// A pull request proposes the file: its commit is on the pull
		// request's branch, not on the default branch the location reads.
		"FileProposed": {objs: []client.Object{fileLocation("l"), repositoryFile("proposed", "abc")}, wantMsg: waits},
		"FileMissing": {
			objs:    []client.Object{fileLocation("l")},
			wantMsg: `cannot resolve references: mg.Spec.ForProvider.RefreshKey: cannot get referenced resource: repositoryfiles.github.paved.dev "svc-catalog-info" not found`,
		},
		"FileCommitted": {objs: []client.Object{fileLocation("l"), repositoryFile("committed", "abc")}, wantNext: true},
		// The Repository is waited for first, at its own gate.
		"RepositoryFirst": {
			objs: []client.Object{fileLocation("l", func(l *v1alpha1.CatalogLocation) { l.Spec.ForProvider.RepositoryURL = nil }),
				repository("svc", "", ""), repositoryFile("committed", "abc")},
			wantMsg: "cannot resolve references: mg.Spec.ForProvider.RepositoryURL: referenced field was empty",
		},
		// Registered once, it follows the file's commits through the
		// managed reconciler (follower), a change pending or not.
		"RegisteredFileProposed": {
			objs:     []client.Object{fileLocation("l", func(l *v1alpha1.CatalogLocation) { l.Spec.ForProvider.RefreshKey = ptr("abc") }), repositoryFile("proposed", "def")},
			wantNext: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			updates := 0
			kube := fileKube(t, &updates, tc.objs...)
			passed := 0
			rec := &events{}
			g := gates(kube, rec, &passed)
			req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "l"}}
			for range 3 {
				res, err := g.Reconcile(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if !tc.wantNext && res.RequeueAfter != time.Minute {
					t.Errorf("result %+v, want a requeue after the poll interval", res)
				}
			}
			if got, want := passed, map[bool]int{true: 3}[tc.wantNext]; got != want {
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
			if l.Spec.ForProvider.RefreshKey != nil {
				t.Errorf("spec changed: refreshKey = %q", *l.Spec.ForProvider.RefreshKey)
			}
			if rec.n != 1 || updates != 1 {
				t.Errorf("%d events, %d status updates for three reconciles of the same wait, want 1 and 1", rec.n, updates)
			}
		})
	}
}

// Once its file is committed, a waiting CatalogLocation is passed on.
func TestFileGatePassesOnceCommitted(t *testing.T) {
	updates := 0
	kube := fileKube(t, &updates, fileLocation("l"), repositoryFile("creating", ""))
	passed := 0
	g := gates(kube, &events{}, &passed)
	req := reconcile.Request{NamespacedName: types.NamespacedName{Name: "l"}}
	if _, err := g.Reconcile(context.Background(), req); err != nil || passed != 0 {
		t.Fatalf("before: passed %d, %v", passed, err)
	}
	f := &ghv1alpha1.RepositoryFile{}
	if err := kube.Get(context.Background(), types.NamespacedName{Name: "svc-catalog-info"}, f); err != nil {
		t.Fatal(err)
	}
	f.Status.AtProvider.CommitSHA = "abc"
	f.SetConditions(xpv2.Available())
	if err := kube.Status().Update(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Reconcile(context.Background(), req); err != nil || passed != 1 {
		t.Fatalf("after: passed %d, %v", passed, err)
	}
}

// A RepositoryFile event wakes the CatalogLocations whose fileRef names it,
// not those whose repositoryRef has the same name.
func TestLocationsReferencingFile(t *testing.T) {
	updates := 0
	kube := fileKube(t, &updates, fileLocation("a"), fileLocation("b"),
		refLocation("c", "svc-catalog-info"),
		fileLocation("d", func(l *v1alpha1.CatalogLocation) { l.Spec.ForProvider.FileRef = &xpv2.Reference{Name: "other"} }))
	got := fileKind.Referencing(kube)(context.Background(), repositoryFile("creating", ""))
	want := []reconcile.Request{{NamespacedName: types.NamespacedName{Name: "a"}}, {NamespacedName: types.NamespacedName{Name: "b"}}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

// Only RepositoryFile events that change the committed commit pass: it is
// committed, or committed again.
func TestFileCommitChanged(t *testing.T) {
	p := refwait.ValueChanged(v1alpha1.RepositoryFileCommit())
	update := func(o, n *ghv1alpha1.RepositoryFile) bool {
		return p.Update(event.UpdateEvent{ObjectOld: o, ObjectNew: n})
	}
	cases := map[string]struct {
		got, want bool
	}{
		"Committed":        {got: update(repositoryFile("creating", ""), repositoryFile("committed", "abc")), want: true},
		"CommittedAgain":   {got: update(repositoryFile("committed", "abc"), repositoryFile("committed", "def")), want: true},
		"ProposedFirst":    {got: update(repositoryFile("creating", ""), repositoryFile("proposed", "abc")), want: false},
		"ProposalMerged":   {got: update(repositoryFile("proposed", "abc"), repositoryFile("committed", "abc")), want: true},
		"NewChangePending": {got: update(repositoryFile("committed", "abc"), repositoryFile("proposed", "def")), want: true},
		"Unchanged":        {got: update(repositoryFile("committed", "abc"), repositoryFile("committed", "abc")), want: false},
	}
	for name, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: passes = %v, want %v", name, tc.got, tc.want)
		}
	}
}

// The refreshKey follows the file's commits; while a change waits for
// review it keeps the commit the catalog has, and the location stays
// resolved (the managed reconciler goes on observing it). The Repository
// still must resolve.
func TestRefreshKeyFollowsTheFile(t *testing.T) {
	cases := map[string]struct {
		file    *ghv1alpha1.RepositoryFile
		repo    *ghv1alpha1.Repository
		want    string
		wantErr string
	}{
		"NewCommit":         {file: repositoryFile("committed", "def"), repo: repository("svc", "https://github.com/acme/svc", "main"), want: "def"},
		"ChangePending":     {file: repositoryFile("proposed", "def"), repo: repository("svc", "https://github.com/acme/svc", "main"), want: "abc"},
		"RepositoryGone":    {file: repositoryFile("committed", "def"), wantErr: "repositories.github.paved.dev \"svc\" not found"},
		"RepositoryRenamed": {file: repositoryFile("committed", "abc"), repo: repository("svc", "https://github.com/acme/svc2", "main"), want: "abc"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l := fileLocation("l", func(l *v1alpha1.CatalogLocation) { l.Spec.ForProvider.RefreshKey = ptr("abc") })
			objs := []client.Object{l, tc.file}
			if tc.repo != nil {
				objs = append(objs, tc.repo)
			}
			updates := 0
			kube := fileKube(t, &updates, objs...)
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(l), l); err != nil {
				t.Fatal(err)
			}
			err := follower(kube, scoped.Cluster).ResolveReferences(context.Background(), l)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := &v1alpha1.CatalogLocation{}
			if err := kube.Get(context.Background(), client.ObjectKeyFromObject(l), got); err != nil {
				t.Fatal(err)
			}
			if k := got.Spec.ForProvider.RefreshKey; k == nil || *k != tc.want {
				t.Errorf("persisted refreshKey %v, want %q", k, tc.want)
			}
			if u := got.Spec.ForProvider.RepositoryURL; tc.repo != nil && (u == nil || *u != strings.TrimSuffix(tc.repo.Status.AtProvider.HTMLURL, "/")+"/blob/main") {
				t.Errorf("persisted repositoryURL %v", u)
			}
		})
	}
}
