//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	"github.com/paved-dev/paved/test/ghtest"
)

// Repositories of a user and of an organisation, plain and from a template,
// with no visibility in the spec, through bin/provider and a real API
// server: each is created private and its spec says private, and each is
// made private again after someone makes it public. The stand-in ignores
// what an endpoint's description does not have, as GitHub does: a
// `visibility` sent to POST /user/repos would leave the repository public.
func TestNewRepositoriesStayPrivate(t *testing.T) {
	v, err := ghtest.LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	gh := ghtest.NewServer(v)
	defer gh.Close()
	gh.AddOrg("acme")
	gh.AddToken(token, "octo")
	defer func() {
		for _, v := range gh.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	}()
	gh.CreateOutOfBand("acme", "service-template")
	gh.Mutate("acme", "service-template", func(r *ghtest.RepoState) { r.IsTemplate, r.Visibility = true, "public" })

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
	// A ProviderConfig of its own: Repositories another test left on this
	// control plane stay with theirs and never reach this stand-in.
	const pcName = "private-e2e"
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "paved-system"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "paved-system", Name: pcName}, Data: map[string][]byte{"token": []byte(token)}},
		&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: pcName}, Spec: pcv1alpha1.ProviderConfigSpec{GitHub: &pcv1alpha1.GitHubConfig{
			BaseURL: gh.URL,
			Credentials: pcv1alpha1.GitHubCredentials{Source: pcv1alpha1.GitHubCredentialsSecret, SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: "paved-system", Name: pcName}, Key: "token"}},
		}}},
	} {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	startProvider(t, "--debug", "--poll=2s")

	template := &ghv1alpha1.RepositoryTemplate{Owner: "acme", Repository: "service-template"}
	repos := map[string]ghv1alpha1.RepositoryParameters{
		"user-plain":        {Owner: "octo", AutoInit: ptr(true)},
		"user-template":     {Owner: "octo", Template: template},
		"org-plain":         {Owner: "acme", AutoInit: ptr(true)},
		"org-from-template": {Owner: "acme", Template: template},
	}
	objs := map[string]*ghv1alpha1.Repository{}
	for name, p := range repos {
		r := &ghv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: ghv1alpha1.RepositorySpec{ForProvider: p}}
		r.Spec.ProviderConfigReference = &xpv2.Reference{Name: pcName}
		if err := c.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		objs[name] = r
	}
	private := func(name string) func() error {
		return func() error {
			r := objs[name]
			if err := ready(c, r)(); err != nil {
				return err
			}
			st, ok := gh.Repo(r.Spec.ForProvider.Owner, name)
			if !ok || st.Visibility != ghv1alpha1.VisibilityPrivate {
				return fmt.Errorf("on GitHub: exists=%v visibility %q", ok, st.Visibility)
			}
			if v := r.Spec.ForProvider.Visibility; v != ghv1alpha1.VisibilityPrivate {
				return fmt.Errorf("spec.forProvider.visibility %q", v)
			}
			return nil
		}
	}
	for name := range repos {
		d := eventually(t, 90*time.Second, name+" Ready and private", private(name))
		t.Logf("figure: %s Ready and private %v after creation", name, d.Round(time.Millisecond))
	}
	for name, p := range repos {
		gh.Mutate(p.Owner, name, func(r *ghtest.RepoState) { r.Visibility = "public" })
	}
	for name, p := range repos {
		eventually(t, 60*time.Second, name+" private again", func() error {
			if st, _ := gh.Repo(p.Owner, name); st.Visibility != ghv1alpha1.VisibilityPrivate {
				return fmt.Errorf("visibility %q", st.Visibility)
			}
			return private(name)()
		})
	}
	// And stays so over further polls.
	time.Sleep(5 * time.Second)
	for name := range repos {
		if err := private(name)(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if s := gh.Stats(); s.RepoCreates != 4 || s.RepoDeletes != 0 {
		t.Errorf("creates=%d deletes=%d, want 4 and 0", s.RepoCreates, s.RepoDeletes)
	}
}
