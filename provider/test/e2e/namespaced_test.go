//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis"
	bsv1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	bsmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/backstage/v1alpha1"
	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	"github.com/paved-dev/paved/test/ghtest"
	"github.com/paved-dev/paved/test/harness"
)

// Namespaced managed resources (github.m.paved.dev, backstage.m.paved.dev)
// served by the same bin/provider as the cluster-scoped ones: a tenant's
// Repository, RepositoryFile and CatalogLocation reach Ready through a
// ProviderConfig of the tenant's namespace (the real Backstage catalog
// backend reading the stand-in), and a Repository through the default
// ClusterProviderConfig. A namespaced resource cannot reach another
// namespace: a ProviderConfig of another namespace is not found, a
// ProviderConfig naming another namespace's Secret is refused, and a
// reference to another namespace's Repository does not resolve; none of
// them writes to GitHub.
func TestNamespacedResources(t *testing.T) {
	v, err := ghtest.LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	gh := ghtest.NewServer(v)
	defer gh.Close()
	gh.AddOrg("acme")
	gh.AddToken(token, "octo")
	const readerToken = "ghp_e2e-backstage-reader-ns-0123"
	gh.AddToken(readerToken, "backstage-reader")
	defer func() {
		for _, v := range gh.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	}()

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{apis.AddToScheme, corev1.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(cp.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	installCRDs(t, c)
	ctx := context.Background()

	b, err := harness.StartBackstage(ctx, harness.BackstageOptions{
		Dir: os.Getenv(harness.EnvBackstage), LogDir: cp.LogDir, WorkDir: filepath.Join(filepath.Dir(cp.LogDir), "work"), Name: "backstage-namespaced",
		Config: fmt.Sprintf("integrations:\n  github:\n    - host: github.com\n      apiBaseUrl: %s\n      token: %s\n", gh.URL, readerToken),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()

	sel := func(ns, name string) xpv2.SecretKeySelector {
		return xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: name}, Key: "token"}
	}
	ghSpec := func(secret xpv2.SecretKeySelector) *pcv1alpha1.GitHubConfig {
		return &pcv1alpha1.GitHubConfig{BaseURL: gh.URL, Credentials: pcv1alpha1.GitHubCredentials{Source: pcv1alpha1.GitHubCredentialsSecret, SecretRef: &secret}}
	}
	secret := func(ns, name, value string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"token": []byte(value)}}
	}
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns-platform"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns-team-a"}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns-team-b"}},
		secret("ns-platform", "github", token),
		secret("ns-team-a", "github", token), secret("ns-team-a", "backstage", b.Token),
		secret("ns-team-b", "github", token),
		// The platform's default for namespaced resources.
		&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"},
			Spec: pcv1alpha1.ProviderConfigSpec{GitHub: ghSpec(sel("ns-platform", "github"))}},
		// Team A's own credentials.
		&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-a", Name: "own"}, Spec: pcv1alpha1.ProviderConfigSpec{
			GitHub:    ghSpec(sel("ns-team-a", "github")),
			Backstage: &pcv1alpha1.BackstageConfig{BaseURL: b.URL, TokenSecretRef: sel("ns-team-a", "backstage")},
		}},
		// Team B's, which team A's resources must not reach.
		&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-b", Name: "theirs"},
			Spec: pcv1alpha1.ProviderConfigSpec{GitHub: ghSpec(sel("ns-team-b", "github"))}},
		// A ProviderConfig of team A that names team B's Secret.
		&mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-a", Name: "reaches-into-b"},
			Spec: pcv1alpha1.ProviderConfigSpec{GitHub: ghSpec(sel("ns-team-b", "github"))}},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	startProvider(t, "--debug", "--poll=2s")

	own := xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "own"}}
	const content = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders\nspec:\n  type: service\n  owner: team-a\n  lifecycle: production\n"
	repo := &ghmv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-a", Name: "orders"},
		Spec:       ghmv1alpha1.RepositorySpec{ManagedResourceSpec: own, ForProvider: ghv1alpha1.RepositoryParameters{Owner: "acme", AutoInit: ptr(true)}},
	}
	file := &ghmv1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-a", Name: "orders-catalog"},
		Spec: ghmv1alpha1.RepositoryFileSpec{ManagedResourceSpec: own, ForProvider: ghv1alpha1.RepositoryFileParameters{
			RepositoryRef: &xpv2.Reference{Name: "orders"}, Path: "catalog-info.yaml", Content: content,
		}},
	}
	loc := &bsmv1alpha1.CatalogLocation{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-a", Name: "orders-location"},
		Spec: bsmv1alpha1.CatalogLocationSpec{ManagedResourceSpec: own, ForProvider: bsv1alpha1.CatalogLocationParameters{
			RepositoryRef: &xpv2.Reference{Name: "orders"},
		}},
	}
	// No providerConfigRef: the CRD defaults it to the ClusterProviderConfig
	// "default".
	platform := &ghmv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-b", Name: "billing"},
		Spec:       ghmv1alpha1.RepositorySpec{ForProvider: ghv1alpha1.RepositoryParameters{Owner: "acme"}},
	}
	refused := func(name, kind, pc string) *ghmv1alpha1.Repository {
		return &ghmv1alpha1.Repository{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-a", Name: name},
			Spec: ghmv1alpha1.RepositorySpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: kind, Name: pc}},
				ForProvider:         ghv1alpha1.RepositoryParameters{Owner: "acme"},
			},
		}
	}
	otherPC := refused("sneaky-config", "ProviderConfig", "theirs")
	otherSecret := refused("sneaky-secret", "ProviderConfig", "reaches-into-b")
	// Team B's file naming team A's Repository.
	otherRef := &ghmv1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns-team-b", Name: "sneaky-file"},
		Spec: ghmv1alpha1.RepositoryFileSpec{ForProvider: ghv1alpha1.RepositoryFileParameters{
			RepositoryRef: &xpv2.Reference{Name: "orders"}, Path: "OWNED.md", Content: "team b was here\n",
		}},
	}
	begin := time.Now()
	for _, o := range []client.Object{repo, file, loc, platform, otherPC, otherSecret, otherRef} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(platform), platform); err != nil {
		t.Fatal(err)
	}
	if ref := platform.Spec.ProviderConfigReference; ref == nil || ref.Kind != "ClusterProviderConfig" || ref.Name != "default" {
		t.Errorf("providerConfigRef default = %+v, want ClusterProviderConfig default", ref)
	}

	for _, o := range []interface {
		client.Object
		GetCondition(xpv2.ConditionType) xpv2.Condition
	}{repo, file, loc, platform} {
		eventually(t, 120*time.Second, o.GetNamespace()+"/"+o.GetName()+" Ready", ready(c, o))
	}
	t.Logf("figure: namespaced Repository, RepositoryFile, CatalogLocation Ready %v after creation", time.Since(begin).Round(time.Millisecond))

	st, _ := gh.Repo("acme", "orders")
	if st.Files["main:catalog-info.yaml"] != content || repo.Status.AtProvider.ID != st.ID {
		t.Errorf("GitHub state %+v, Repository status %+v", st, repo.Status.AtProvider)
	}
	if want := "https://github.com/acme/orders/blob/main/catalog-info.yaml"; loc.Status.AtProvider.Target != want {
		t.Errorf("CatalogLocation target %q, want %q", loc.Status.AtProvider.Target, want)
	}
	if _, ok := gh.Repo("acme", "billing"); !ok {
		t.Error("the ClusterProviderConfig's Repository is not on GitHub")
	}

	// Usages as crossplane-runtime v2 records them: in the resource's
	// namespace, naming the config's kind; the configs count them.
	eventually(t, 30*time.Second, "usages counted", func() error {
		pc := &mv1alpha1.ProviderConfig{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: "ns-team-a", Name: "own"}, pc); err != nil {
			return err
		}
		cpc := &mv1alpha1.ClusterProviderConfig{}
		if err := c.Get(ctx, types.NamespacedName{Name: "default"}, cpc); err != nil {
			return err
		}
		if pc.Status.Users != 3 || cpc.Status.Users != 1 {
			return fmt.Errorf("ProviderConfig ns-team-a/own users %d (want 3), ClusterProviderConfig default users %d (want 1: billing; sneaky-file never connects)",
				pc.Status.Users, cpc.Status.Users)
		}
		return nil
	})

	// Refused: another namespace's ProviderConfig, another namespace's
	// Secret, another namespace's Repository.
	for _, tc := range []struct {
		o interface {
			client.Object
			GetCondition(xpv2.ConditionType) xpv2.Condition
		}
		want string
	}{
		{otherPC, `cannot get ProviderConfig "ns-team-a/theirs"`},
		{otherSecret, `names Secret ns-team-b/github: a ProviderConfig may only name Secrets of its own namespace "ns-team-a"`},
		{otherRef, "cannot resolve references"},
	} {
		eventually(t, 60*time.Second, tc.o.GetName()+" refused", func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(tc.o), tc.o); err != nil {
				return err
			}
			if s := tc.o.GetCondition(xpv2.TypeSynced); s.Status != corev1.ConditionFalse || !strings.Contains(s.Message, tc.want) {
				return fmt.Errorf("Synced=%s %q, want False with %q", s.Status, s.Message, tc.want)
			}
			return nil
		})
	}
	for _, name := range []string{"sneaky-config", "sneaky-secret"} {
		if _, ok := gh.Repo("acme", name); ok {
			t.Errorf("repository %s was created on GitHub", name)
		}
	}
	if st, _ := gh.Repo("acme", "orders"); st.Files["main:OWNED.md"] != "" {
		t.Error("team B's RepositoryFile wrote into team A's repository")
	}
	// The cluster-scoped kinds of the same name are another kind: nothing
	// namespaced leaked into them.
	if err := c.Get(ctx, types.NamespacedName{Name: "orders"}, &ghv1alpha1.Repository{}); err == nil {
		t.Error("a cluster-scoped Repository orders exists")
	}

	for _, o := range []client.Object{otherRef, otherPC, otherSecret, loc, file, repo, platform} {
		if err := c.Delete(ctx, o); err != nil {
			t.Fatal(err)
		}
		eventually(t, 90*time.Second, o.GetName()+" gone", func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(o), o); err == nil {
				return fmt.Errorf("still there")
			}
			return nil
		})
	}
	if s := gh.Stats(); s.RepoDeletes != 0 {
		t.Errorf("%d repositories deleted on GitHub, want 0 (archived)", s.RepoDeletes)
	}
}
