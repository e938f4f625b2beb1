//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis"
	bsv1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/clients/backstage"
	"github.com/paved-dev/paved/test/ghtest"
	"github.com/paved-dev/paved/test/harness"
)

// A Repository renamed through its external name keeps its RepositoryFile
// and CatalogLocation: once someone has created an unrelated repository
// under the old name (GitHub then stops redirecting it), the file's writes
// still go to the renamed repository (by id), the catalog location moves
// to the renamed repository's URL, and nothing is written into the
// unrelated repository nor read from it into the catalog. Through
// bin/provider, the stand-in and a real Backstage catalog backend whose
// GitHub URL reader reads the stand-in.
func TestRenameKeepsIdentity(t *testing.T) {
	v, err := ghtest.LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	gh := ghtest.NewServer(v)
	defer gh.Close()
	gh.AddOrg("acme")
	gh.AddToken(token, "octo")
	const readerToken = "ghp_e2e-backstage-reader-0123"
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

	// Backstage reads https://github.com/<owner>/<repo>/blob/<ref>/<path>
	// through its GitHub URL reader from <apiBaseUrl>/repos/<owner>/<repo>/contents/<path>?ref=<ref>
	// (https://backstage.io/docs/integrations/github/locations), here the
	// stand-in.
	b, err := harness.StartBackstage(ctx, harness.BackstageOptions{
		Dir: os.Getenv(harness.EnvBackstage), LogDir: cp.LogDir, WorkDir: filepath.Join(filepath.Dir(cp.LogDir), "work"), Name: "backstage-rename",
		Config: fmt.Sprintf("integrations:\n  github:\n    - host: github.com\n      apiBaseUrl: %s\n      token: %s\n", gh.URL, readerToken),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	catalog, err := backstage.New(b.URL, b.Token)
	if err != nil {
		t.Fatal(err)
	}

	const pc = "rename"
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "paved-rename"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "paved-rename", Name: "rename-github"}, Data: map[string][]byte{"token": []byte(token)}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "paved-rename", Name: "rename-backstage"}, Data: map[string][]byte{"token": []byte(b.Token)}},
		&pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: pc}, Spec: pcv1alpha1.ProviderConfigSpec{
			GitHub: &pcv1alpha1.GitHubConfig{BaseURL: gh.URL, Credentials: pcv1alpha1.GitHubCredentials{
				Source: pcv1alpha1.GitHubCredentialsSecret, SecretRef: &xpv2.SecretKeySelector{
					SecretReference: xpv2.SecretReference{Namespace: "paved-rename", Name: "rename-github"}, Key: "token"}}},
			Backstage: &pcv1alpha1.BackstageConfig{BaseURL: b.URL, TokenSecretRef: xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: "paved-rename", Name: "rename-backstage"}, Key: "token"}},
		}},
	} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	startProvider(t, "--debug", "--poll=2s")

	pcRef := xpv2.ClusterManagedResourceSpec{ProviderConfigReference: &xpv2.Reference{Name: pc}}
	const content = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ledger\nspec:\n  type: service\n  owner: team-a\n  lifecycle: production\n"
	repo := &ghv1alpha1.Repository{
		ObjectMeta: metav1.ObjectMeta{Name: "ledger"},
		Spec:       ghv1alpha1.RepositorySpec{ClusterManagedResourceSpec: pcRef, ForProvider: ghv1alpha1.RepositoryParameters{Owner: "acme", AutoInit: ptr(true)}},
	}
	file := &ghv1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Name: "ledger-catalog"},
		Spec: ghv1alpha1.RepositoryFileSpec{ClusterManagedResourceSpec: pcRef, ForProvider: ghv1alpha1.RepositoryFileParameters{
			RepositoryRef: &xpv2.Reference{Name: "ledger"}, Path: "catalog-info.yaml", Content: content,
		}},
	}
	loc := &bsv1alpha1.CatalogLocation{
		ObjectMeta: metav1.ObjectMeta{Name: "ledger-location"},
		Spec: bsv1alpha1.CatalogLocationSpec{ClusterManagedResourceSpec: pcRef, ForProvider: bsv1alpha1.CatalogLocationParameters{
			RepositoryRef: &xpv2.Reference{Name: "ledger"},
		}},
	}
	for _, o := range []client.Object{repo, file, loc} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []interface {
		client.Object
		GetCondition(xpv2.ConditionType) xpv2.Condition
	}{repo, file, loc} {
		eventually(t, 120*time.Second, o.GetName()+" Ready", ready(c, o))
	}
	st, _ := gh.Repo("acme", "ledger")
	if repo.Status.AtProvider.ID != st.ID || loc.Status.AtProvider.Target != "https://github.com/acme/ledger/blob/main/catalog-info.yaml" {
		t.Fatalf("before the rename: Repository id %d (stand-in %d), location target %q", repo.Status.AtProvider.ID, st.ID, loc.Status.AtProvider.Target)
	}
	oldLocation := meta.GetExternalName(loc)

	// Rename through the external name; as soon as GitHub has it, someone
	// creates an unrelated repository, with a catalog file of its own,
	// under the old name.
	eventually(t, 10*time.Second, "external name changed", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(repo), repo); err != nil {
			return err
		}
		meta.SetExternalName(repo, "ledger-renamed")
		return c.Update(ctx, repo)
	})
	eventually(t, 60*time.Second, "renamed on GitHub", func() error {
		if r, ok := gh.RepoByID(st.ID); !ok || r.Name != "ledger-renamed" {
			return fmt.Errorf("repository %d is %+v", st.ID, r.Name)
		}
		return nil
	})
	gh.CreateOutOfBand("acme", "ledger")
	const impostor = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: impostor\nspec:\n  type: service\n  owner: someone-else\n  lifecycle: production\n"
	gh.SetFile("acme", "ledger", "main", "catalog-info.yaml", impostor)
	unrelated, _ := gh.Repo("acme", "ledger")

	// A change of content goes to the renamed repository.
	const changed = content + "  system: payments\n"
	eventually(t, 10*time.Second, "content changed", func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(file), file); err != nil {
			return err
		}
		file.Spec.ForProvider.Content = changed
		return c.Update(ctx, file)
	})
	eventually(t, 90*time.Second, "the change in the renamed repository", func() error {
		r, _ := gh.RepoByID(st.ID)
		if r.Files["main:catalog-info.yaml"] != changed {
			return fmt.Errorf("renamed repository holds %q", r.Files["main:catalog-info.yaml"])
		}
		return ready(c, file)()
	})
	if got := file.Spec.ForProvider.Repository; got == nil || *got != "acme/ledger-renamed" {
		t.Errorf("RepositoryFile spec.forProvider.repository = %v, want acme/ledger-renamed", got)
	}

	// The catalog location moves to the renamed repository's URL: the new
	// one is registered, the old one (which now reads the unrelated
	// repository) removed.
	want := "https://github.com/acme/ledger-renamed/blob/main/catalog-info.yaml"
	eventually(t, 120*time.Second, "the catalog location on the renamed repository", func() error {
		if err := ready(c, loc)(); err != nil {
			return err
		}
		if loc.Status.AtProvider.Target != want || meta.GetExternalName(loc) == oldLocation {
			return fmt.Errorf("location %s target %q", meta.GetExternalName(loc), loc.Status.AtProvider.Target)
		}
		if _, err := catalog.GetLocation(ctx, oldLocation); !backstage.IsNotFound(err) {
			return fmt.Errorf("the old location %s: %v, want 404", oldLocation, err)
		}
		ents, err := catalog.ListEntities(ctx, map[string]string{"kind": "Component"})
		if err != nil {
			return err
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Metadata.Name+" from "+e.Metadata.Annotations[backstage.AnnotationManagedByOriginLocation])
		}
		if len(names) != 1 || names[0] != "ledger from "+backstage.LocationRef("url", want) {
			return fmt.Errorf("components in the catalog: %v", names)
		}
		return nil
	})

	// Nothing was written into the unrelated repository.
	if now, _ := gh.RepoByID(unrelated.ID); now.Commits != unrelated.Commits || len(now.Files) != len(unrelated.Files) ||
		now.Files["main:catalog-info.yaml"] != impostor || len(gh.PullRequests("acme", "ledger")) != 0 {
		t.Errorf("the unrelated repository under the old name changed: %d commits (was %d), files %v, pull requests %v",
			now.Commits, unrelated.Commits, now.Files, gh.PullRequests("acme", "ledger"))
	}

	// Deleted, the Repository is archived (the default), so that the next
	// test's provider finds nothing of this one's.
	for _, o := range []client.Object{loc, file, repo} {
		if err := c.Delete(ctx, o); err != nil {
			t.Fatal(err)
		}
		eventually(t, 60*time.Second, o.GetName()+" gone", func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(o), o); !kerrors.IsNotFound(err) {
				return fmt.Errorf("still there: %v", err)
			}
			return nil
		})
	}
	if r, _ := gh.RepoByID(st.ID); r.Files["main:catalog-info.yaml"] != "" || !r.Archived {
		t.Errorf("the renamed repository: file %q left, archived %t; want the file deleted and the repository archived", r.Files["main:catalog-info.yaml"], r.Archived)
	}
	if now, _ := gh.RepoByID(unrelated.ID); now.Files["main:catalog-info.yaml"] != impostor || now.Commits != unrelated.Commits {
		t.Errorf("deleting the RepositoryFile touched the unrelated repository: %v", now.Files)
	}
	if locs, err := catalog.ListLocations(ctx); err != nil || len(locs) != 0 {
		t.Errorf("locations left in the catalog: %+v %v", locs, err)
	}
}
