package repositoryfile

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

func readExample(t *testing.T, name string, into any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "examples", "provider", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// The shipped example, against the stand-in: main protected as
// examples/provider/repository.yaml says (a required review,
// enforceAdmins), a placeholder catalog-info.yaml from the service
// template. The file arrives by pull request, converges when it is merged,
// and so does a later change of content.
func TestShippedExampleConverges(t *testing.T) {
	var repo v1alpha1.Repository
	readExample(t, "repository.yaml", &repo)
	var ex v1alpha1.RepositoryFile
	readExample(t, "repositoryfile.yaml", &ex)
	bp := repo.Spec.ForProvider.BranchProtection
	if bp == nil || bp.RequiredApprovingReviewCount == nil || !bp.EnforceAdmins {
		t.Fatalf("the example no longer protects main with reviews and enforceAdmins: %+v", bp)
	}

	e := newEnv(t)
	e.gh.SetFile(testOrg, "svc", "main", "catalog-info.yaml", "# placeholder from the service template\n")
	e.gh.ProtectBranch(testOrg, "svc", "main", *bp.RequiredApprovingReviewCount, bp.EnforceAdmins)
	e.create(ex.Name, func(f *v1alpha1.RepositoryFile) {
		f.Spec.ForProvider = ex.Spec.ForProvider
		// The example's Repository is the environment's "svc".
		f.Spec.ForProvider.Repository, f.Spec.ForProvider.RepositoryRef = nil, &xpv2.Reference{Name: "svc"}
	})

	merge := func(n int) {
		t.Helper()
		e.reconcile(ex.Name, 3)
		pendingPR(t, e.get(ex.Name), n)
		if !e.gh.MergePullRequest(testOrg, "svc", n) {
			t.Fatalf("cannot merge #%d: %+v", n, e.pulls())
		}
		e.reconcile(ex.Name, 2)
		f := e.get(ex.Name)
		if content, _ := e.file("catalog-info.yaml"); content != f.Spec.ForProvider.Content || !isReady(f) || f.Status.AtProvider.CommitSHA == "" {
			t.Fatalf("after merging #%d: %q, %+v, %+v", n, content, f.Status.Conditions, f.Status.AtProvider)
		}
	}
	merge(1)
	e.age(ex.Name)
	e.setContent(ex.Name, ex.Spec.ForProvider.Content+"  tags: [orders]\n")
	merge(2)
	if prs := e.pulls(); len(prs) != 2 {
		t.Errorf("pull requests = %+v", prs)
	}
}
