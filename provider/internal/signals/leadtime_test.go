package signals

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	nsghv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	mpcv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped/scopedtest"
	"github.com/paved-dev/paved/test/ghtest"
)

// history is an Application's status.history as Argo CD writes it: one
// entry per deploy of revision at deployedAt.
func history(u *unstructured.Unstructured, deploys ...any) *unstructured.Unstructured {
	hs := []any{}
	for i := 0; i+1 < len(deploys); i += 2 {
		hs = append(hs, map[string]any{"id": int64(i / 2), "revision": deploys[i], "deployedAt": deploys[i+1].(time.Time).Format(time.RFC3339)})
	}
	u.Object["status"] = map[string]any{"history": hs}
	return u
}

// bundleRepository is the Repository a bundle controls, as GitHub named it.
func bundleRepository(name string, bundle types.UID, fullName string) *ghv1alpha1.Repository {
	r := repository(name, "golden-path-go-service")
	r.SetUID("r-" + bundle)
	r.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: XServiceBundle.GroupVersion().String(), Kind: XServiceBundle.Kind, Name: "owner", UID: bundle, Controller: ptr(true)}})
	r.Spec.ProviderConfigReference = &xpv2.Reference{Name: "default"}
	r.Status.AtProvider.FullName = fullName
	return r
}

func leadObjects(revA, revB string, at time.Time) []client.Object {
	app := func(env string) map[string]string {
		return map[string]string{"team": "payments", "environment": env, "paved.dev/service": "orders"}
	}
	return []client.Object{
		composite{gvk: XServiceBundle, name: "orders-x1", uid: "b1", claim: true, template: "go-service", readyIn: 100 * time.Second}.object(),
		bundleRepository("orders", "b1", "acme/orders"),
		// Two production deploys: revA 5 min after its commit, revB
		// (which GitHub does not know) left out.
		history(application("team-a--orders-production", "b1", app("production"), false), revA, at.Add(5*time.Minute), revB, at.Add(time.Hour)),
		// Staging's deploys are not lead time.
		history(application("team-a--orders-staging", "b1", app("staging"), false), revA, at.Add(time.Minute)),
		// Not a bundle's.
		history(application("hand-made", "", map[string]string{"team": "intruders", "environment": "production", "paved.dev/service": "x"}, false), revA, at.Add(time.Minute)),
	}
}

// TestLeadTimeCompute: each production deploy whose commit time is known
// is one observation of deploy minus commit, by team and service; a
// commit dated after its deploy counts as no time.
func TestLeadTimeCompute(t *testing.T) {
	commit := t0
	objs := leadObjects("aaa", "bbb", commit)
	objs = append(objs, history(application("team-a--orders-production-2", "b1",
		map[string]string{"team": "payments", "environment": "production", "paved.dev/service": "orders"}, false), "ccc", commit.Add(-time.Minute)))
	known := map[Commit]time.Time{{Repo: "acme/orders", SHA: "aaa"}: commit, {Repo: "acme/orders", SHA: "ccc"}: commit}
	c := NewCollector(reader(t, objs...), allBut(Operation), logging.NewNopLogger())
	c.Commits = &CommitTimes{known: known}
	got := scrape(t, c)
	for _, l := range []string{
		`platform_lead_time_seconds_bucket{service="orders",team="payments",le="300"} 2`,
		`platform_lead_time_seconds_sum{service="orders",team="payments"} 300`,
		`platform_lead_time_seconds_count{service="orders",team="payments"} 2`,
	} {
		if !strings.Contains(got, l+"\n") {
			t.Errorf("scrape has no %q:\n%s", l, got)
		}
	}
	if strings.Contains(got, "intruders") {
		t.Errorf("an Application no bundle controls has a lead time:\n%s", got)
	}
	// Without commit times: no lead time at all, never a guess.
	if got := scrape(t, NewCollector(reader(t, objs...), allBut(Operation), logging.NewNopLogger())); strings.Contains(got, NameLeadTime) {
		t.Errorf("lead time without commit times:\n%s", got)
	}
}

// TestCommitTimesFromGitHub: the commit times come from GitHub (the
// OpenAPI-checked stand-in) through the provider's client pool and the
// Repository's ProviderConfig; each commit is asked once, counted against
// the identity like every request; a revision GitHub does not know is not
// asked again; and the lead time is the deploy minus GitHub's commit date.
func TestCommitTimesFromGitHub(t *testing.T) {
	v, err := ghtest.LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	srv := ghtest.NewServer(v)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		for _, v := range srv.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	})
	const token = "ghp_lead-time-test-0123456789"
	srv.AddOrg("acme")
	srv.AddToken(token, "octo")
	srv.CreateOutOfBand("acme", "orders")
	if !srv.SetFile("acme", "orders", "main", "main.go", "package main\n") {
		t.Fatal("SetFile refused")
	}
	pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, Timeout: 2 * time.Second})
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	pc := &pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{
		BaseURL: srv.URL,
		Credentials: pcv1alpha1.GitHubCredentials{Source: pcv1alpha1.GitHubCredentialsSecret, SecretRef: &xpv2.SecretKeySelector{
			SecretReference: xpv2.SecretReference{Namespace: "crossplane-system", Name: "gh"}, Key: "token"}},
	}}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "gh"}, Data: map[string][]byte{"token": []byte(token)}}
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(pc, secret).Build()

	ctx := context.Background()
	gc, err := pool.Client(ghclient.Config{BaseURL: srv.URL, Credentials: ghclient.Credentials{Token: token}})
	if err != nil {
		t.Fatal(err)
	}
	head, _, err := gc.Repositories.GetCommit(ctx, "acme", "orders", "main", nil)
	if err != nil {
		t.Fatal(err)
	}
	sha, committed := head.GetSHA(), head.GetCommit().GetCommitter().GetDate().UTC()
	const unknown = "0123456789abcdef0123456789abcdef01234567"

	r := reader(t, leadObjects(sha, unknown, committed)...)
	ct := NewCommitTimes(r, allBut(), GitHubCommitTime(kube, pool), logging.NewNopLogger())
	before := srv.Stats().Counted
	if asked := ct.Resolve(ctx); asked != 2 {
		t.Errorf("first run asked %d commits, want 2 (the known and the unknown revision)", asked)
	}
	if got, ok := ct.Get(Commit{Repo: "acme/orders", SHA: sha}); !ok || !got.Equal(committed) {
		t.Errorf("commit time %v (%v), want GitHub's %v", got, ok, committed)
	}
	if _, ok := ct.Get(Commit{Repo: "acme/orders", SHA: unknown}); ok {
		t.Error("a revision GitHub does not know has a commit time")
	}
	if asked := ct.Resolve(ctx); asked != 0 {
		t.Errorf("second run asked %d commits, want 0: commit times do not change, unknown revisions are not asked again", asked)
	}
	if counted := srv.Stats().Counted - before; counted != 2 {
		t.Errorf("GitHub counted %d requests, want 2", counted)
	}

	c := NewCollector(r, allBut(), logging.NewNopLogger())
	c.Commits = ct
	got := scrape(t, c)
	for _, l := range []string{
		`platform_lead_time_seconds_sum{service="orders",team="payments"} 300`,
		`platform_lead_time_seconds_count{service="orders",team="payments"} 1`,
	} {
		if !strings.Contains(got, l+"\n") {
			t.Errorf("scrape has no %q:\n%s", l, got)
		}
	}
}

// TestCommitTimesProviderConfigScopes: the commit times of a namespaced
// bundle's deploys are read with its github.m.paved.dev Repository's
// ProviderConfig, as those of a legacy bundle with its Repository's: a
// ProviderConfig in the Repository's namespace or the
// ClusterProviderConfig it names (providerconfig.Resolver). One that
// names a ProviderConfig only another namespace holds reaches no
// identity and asks GitHub nothing; with the namespaced kind unavailable
// the legacy bundles' commits are still read.
func TestCommitTimesProviderConfigScopes(t *testing.T) {
	const token = "ghp_lead-time-scopes-0123456789"
	srv := ghtest.NewServer(scopedtest.Validator(t))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		for _, v := range srv.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	})
	srv.AddOrg("acme")
	srv.AddToken(token, "octo")
	heads := map[string]string{}
	committed := map[string]time.Time{}
	for _, id := range []string{"l", "n"} {
		name := "orders-" + id
		srv.CreateOutOfBand("acme", name)
		if !srv.SetFile("acme", name, "main", "main.go", "package main\n") {
			t.Fatal("SetFile refused")
		}
	}
	pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, Timeout: 2 * time.Second})
	gc, err := pool.Client(ghclient.Config{BaseURL: srv.URL, Credentials: ghclient.Credentials{Token: token}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"l", "n"} {
		head, _, err := gc.Repositories.GetCommit(context.Background(), "acme", "orders-"+id, "main", nil)
		if err != nil {
			t.Fatal(err)
		}
		heads[id], committed[id] = head.GetSHA(), head.GetCommit().GetCommitter().GetDate().UTC()
	}

	// The platform's identity, as each kind of ProviderConfig names it:
	// a namespaced ProviderConfig's Secret is in its own namespace.
	spec := func(ns string) pcv1alpha1.ProviderConfigSpec {
		return pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{
			BaseURL: srv.URL,
			Credentials: pcv1alpha1.GitHubCredentials{Source: pcv1alpha1.GitHubCredentialsSecret, SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: ns, Name: "gh"}, Key: "token"}},
		}}
	}
	secret := func(ns string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gh"}, Data: map[string][]byte{"token": []byte(token)}}
	}
	config := []client.Object{
		&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: spec("crossplane-system")},
		&mpcv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: spec("crossplane-system")},
		secret("crossplane-system"),
	}

	cases := map[string]struct {
		dialects []string
		// kind of the namespaced Repository's providerConfigRef.
		kind string
		// pcNS holds the namespaced ProviderConfig "default".
		pcNS   string
		synced synced
		// read are the bundles whose commit time is read.
		read []string
	}{
		"Legacy":                            {dialects: []string{"Legacy"}, synced: allBut(), read: []string{"l"}},
		"NamespacedClusterProviderConfig":   {dialects: []string{"Namespaced"}, kind: "ClusterProviderConfig", synced: allBut(), read: []string{"n"}},
		"NamespacedProviderConfig":          {dialects: []string{"Namespaced"}, kind: "ProviderConfig", pcNS: "team-a", synced: allBut(), read: []string{"n"}},
		"NamespacedProviderConfigElsewhere": {dialects: []string{"Namespaced"}, kind: "ProviderConfig", pcNS: "team-b", synced: allBut()},
		"BothDialects":                      {dialects: []string{"Legacy", "Namespaced"}, kind: "ClusterProviderConfig", synced: allBut(), read: []string{"l", "n"}},
		"NamespacedKindAbsent":              {dialects: []string{"Legacy", "Namespaced"}, kind: "ClusterProviderConfig", synced: allBut(ServiceBundle), read: []string{"l"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objs := []client.Object{}
			for _, d := range tc.dialects {
				id := strings.ToLower(d[:1])
				for _, o := range dialects[d].objects(id, heads[id]) {
					if r, ok := o.(*nsghv1alpha1.Repository); ok {
						r.Spec.ProviderConfigReference.Kind = tc.kind
					}
					objs = append(objs, o)
				}
			}
			kubeObjs := append([]client.Object{}, config...)
			if tc.pcNS != "" {
				kubeObjs = append(kubeObjs, &mpcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: tc.pcNS, Name: "default"}, Spec: spec(tc.pcNS)}, secret(tc.pcNS))
			}
			s := runtime.NewScheme()
			if err := apis.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			if err := corev1.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(kubeObjs...).Build()

			// A pool of its own: the shared one would answer from its
			// conditional requests' cache, which GitHub does not count.
			pool := ghclient.NewPool(ghclient.Options{AllowHTTPLoopback: true, Timeout: 2 * time.Second})
			r := reader(t, objs...)
			ct := NewCommitTimes(r, tc.synced, GitHubCommitTime(kube, pool), logging.NewNopLogger())
			before := srv.Stats().Counted
			ct.Resolve(context.Background())
			if counted := srv.Stats().Counted - before; counted != len(tc.read) {
				t.Errorf("GitHub counted %d requests, want %d", counted, len(tc.read))
			}
			for _, d := range tc.dialects {
				id := strings.ToLower(d[:1])
				got, ok := ct.Get(Commit{Repo: "acme/orders-" + id, SHA: heads[id]})
				if want := slices.Contains(tc.read, id); ok != want || (ok && !got.Equal(committed[id])) {
					t.Errorf("%s bundle's commit time %v (%v), want read %v, GitHub's %v", d, got, ok, want, committed[id])
				}
			}
		})
	}
}
