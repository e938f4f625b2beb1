package repositoryfile

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// setRepository reports owner/name and id in the env's Repository "svc"'s
// status, as the Repository controller does once it observed them.
func (e *env) setRepository(fullName string, id int64) {
	e.t.Helper()
	r := &v1alpha1.Repository{}
	if err := e.kube.Get(context.Background(), types.NamespacedName{Name: "svc"}, r); err != nil {
		e.t.Fatal(err)
	}
	r.Status.AtProvider.FullName, r.Status.AtProvider.ID = fullName, id
	r.Status.AtProvider.HTMLURL = "https://github.com/" + fullName
	if err := e.kube.Status().Update(context.Background(), r); err != nil {
		e.t.Fatal(err)
	}
}

// A RepositoryFile that references its Repository writes only to that
// Repository's repository, by id: after a rename, and after someone created
// an unrelated repository under the old name, its writes go to the renamed
// repository and nothing is written into the unrelated one, whether or not
// the Repository has reported the new name yet.
func TestWritesFollowTheRepositoryByID(t *testing.T) {
	e := newEnv(t)
	st, _ := e.gh.Repo(testOrg, "svc")
	e.setRepository(testOrg+"/svc", st.ID)
	e.create("catalog", func(f *v1alpha1.RepositoryFile) {
		f.Spec.ForProvider.Repository, f.Spec.ForProvider.RepositoryRef = nil, &xpv2.Reference{Name: "svc"}
	})
	e.reconcile("catalog", 3)
	if !isReady(e.get("catalog")) {
		t.Fatalf("not ready: %+v", e.get("catalog").Status.Conditions)
	}

	// Renamed on GitHub; someone creates an unrelated repository under
	// the old name before the Repository reports the new one.
	e.gh.RenameOutOfBand(testOrg, "svc", "svc-renamed")
	e.gh.CreateOutOfBand(testOrg, "svc")
	unrelated, _ := e.gh.Repo(testOrg, "svc")
	e.age("catalog")
	e.setContent("catalog", e.get("catalog").Spec.ForProvider.Content+"spec:\n  owner: team-a\n")
	e.reconcile("catalog", 2)
	c := e.get("catalog").GetCondition(xpv2.TypeSynced)
	if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "another repository took its old name") {
		t.Errorf("Synced = %s %q, want False naming the other repository", c.Status, c.Message)
	}

	// The Repository reports its new name: the file follows it.
	e.setRepository(testOrg+"/svc-renamed", st.ID)
	e.reconcile("catalog", 3)
	f := e.get("catalog")
	if got := f.Spec.ForProvider.Repository; got == nil || *got != testOrg+"/svc-renamed" {
		t.Errorf("spec.forProvider.repository = %v, want the Repository's new name", got)
	}
	renamed, _ := e.gh.RepoByID(st.ID)
	if renamed.Files["main:catalog-info.yaml"] != f.Spec.ForProvider.Content || !isReady(f) {
		t.Errorf("renamed repository holds %q; conditions %+v", renamed.Files["main:catalog-info.yaml"], f.Status.Conditions)
	}
	if now, _ := e.gh.RepoByID(unrelated.ID); len(now.Files) != 1 || now.Commits != unrelated.Commits {
		t.Errorf("the unrelated repository under the old name was written to: %v, %d commits", now.Files, now.Commits)
	}

	// Deleting removes the file from the renamed repository only.
	e.age("catalog")
	if err := e.kube.Delete(context.Background(), e.get("catalog")); err != nil {
		t.Fatal(err)
	}
	e.reconcile("catalog", 3)
	if renamed, _ := e.gh.RepoByID(st.ID); e.exists("catalog") || renamed.Files["main:catalog-info.yaml"] != "" {
		t.Errorf("not deleted from the renamed repository: exists=%v files %v", e.exists("catalog"), renamed.Files)
	}
	if now, _ := e.gh.RepoByID(unrelated.ID); now.Commits != unrelated.Commits {
		t.Errorf("the unrelated repository was written to: %d commits", now.Commits-unrelated.Commits)
	}
}

// RepositoryFiles of one repository reconciled in parallel write one after
// the other: GitHub refuses parallel content writes (the stand-in as
// GitHub, 409), which would leave all but one of them failed.
func TestParallelWritesToOneRepositoryAreSerialised(t *testing.T) {
	e := newEnv(t)
	// Long enough that writes sent together overlap.
	e.gh.SetContentWriteLatency(time.Second)
	names := []string{"a", "b", "c"}
	for _, n := range names {
		e.create(n, func(f *v1alpha1.RepositoryFile) { f.Spec.ForProvider.Path = n + ".yaml" })
	}
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Go(func() {
			_, _ = e.r.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Name: n}})
		})
	}
	wg.Wait()
	for _, n := range names {
		f := e.get(n)
		if content, _ := e.file(n + ".yaml"); content != f.Spec.ForProvider.Content {
			t.Errorf("%s.yaml not written in its first reconcile: %q; %+v", n, content, f.Status.Conditions)
		}
	}
}
