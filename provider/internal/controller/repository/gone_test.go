package repository

import (
	"context"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// fromTemplate makes a Repository generated from acme/service-template,
// as the golden path composes it.
func fromTemplate(r *v1alpha1.Repository) {
	r.Spec.ForProvider.Template = &v1alpha1.RepositoryTemplate{Owner: testOrg, Repository: "service-template"}
}

// A Repository generated from a template whose repository then changes on
// GitHub outside Crossplane, through the managed reconciler and the GitHub
// stand-in: a repository it has the id of is never replaced by a fresh one
// from the template, nor by another repository under its name; a
// Repository that never had one still gets it created.
func TestRepositoryGoneIsNeverReplaced(t *testing.T) {
	cases := map[string]struct {
		// outOfBand changes GitHub after the Repository converged; nil:
		// a first-time Repository, nothing converged before.
		outOfBand func(e *env)
		// wantSynced are parts of the Synced=False message, with {old}
		// and {other} standing for the managed and the other repository's
		// ids; none: Synced and Ready are True.
		wantSynced []string
		// wantRepo is whether acme/svc exists at the end, and
		// wantOther whether it is another repository than the one
		// created first.
		wantRepo, wantOther bool
		wantCreates         int
	}{
		"DeletedWithRecordedID": {
			outOfBand: func(e *env) { e.gh.DeleteOutOfBand(testOrg, "svc") },
			wantSynced: []string{"repository acme/svc (GitHub id {old}", "deleted on GitHub outside Crossplane",
				"paved does not re-create it", "https://docs.github.com/en/repositories/creating-and-managing-repositories/restoring-a-deleted-repository"},
			wantCreates: 1,
		},
		"AnotherUnderTheName": {
			outOfBand: func(e *env) {
				e.gh.DeleteOutOfBand(testOrg, "svc")
				e.gh.CreateOutOfBand(testOrg, "svc")
			},
			wantSynced: []string{"repository acme/svc has GitHub id {other}", "manages the repository with id {old}",
				"deleted on GitHub outside Crossplane", "paved neither adopts nor re-creates",
				"https://docs.github.com/en/repositories/creating-and-managing-repositories/restoring-a-deleted-repository"},
			wantRepo: true, wantOther: true, wantCreates: 1,
		},
		"RenamedAndAnotherUnderTheName": {
			outOfBand: func(e *env) {
				e.gh.RenameOutOfBand(testOrg, "svc", "svc-old")
				e.gh.CreateOutOfBand(testOrg, "svc")
			},
			wantSynced: []string{"repository acme/svc has GitHub id {other}", "manages the repository with id {old}",
				`renamed to "svc-old" on GitHub`, `set the crossplane.io/external-name annotation to "svc-old"`},
			wantRepo: true, wantOther: true, wantCreates: 1,
		},
		"FirstTime": {
			wantRepo: true, wantCreates: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.gh.CreateOutOfBand(testOrg, "service-template")
			e.gh.Mutate(testOrg, "service-template", func(r *ghtestRepo) { r.IsTemplate = true })
			e.create("svc", fromTemplate)
			e.converge("svc", 8)
			first, _ := e.gh.Repo(testOrg, "svc")
			if tc.outOfBand == nil {
				if r := e.get("svc"); r.GetAnnotations()[AnnotationRepositoryID] != strconv.FormatInt(first.ID, 10) {
					t.Errorf("annotations after the first creation: %v", r.GetAnnotations())
				}
			} else {
				// Past the managed reconciler's creation grace period.
				e.age("svc")
				tc.outOfBand(e)
				before := writes(e)
				for range 3 {
					e.reconcile("svc")
				}
				if n := writes(e) - before; n != 0 {
					t.Errorf("%d writes to GitHub: %v", n, e.gh.Stats().ByRoute)
				}
			}

			r := e.get("svc")
			st, ok := e.gh.Repo(testOrg, "svc")
			if ok != tc.wantRepo || ok && (st.ID != first.ID) != tc.wantOther {
				t.Errorf("acme/svc: exists=%v id %d (first %d), want exists=%v another=%v", ok, st.ID, first.ID, tc.wantRepo, tc.wantOther)
			}
			if n := e.gh.Stats().RepoCreates; n != tc.wantCreates {
				t.Errorf("%d repositories created, want %d", n, tc.wantCreates)
			}
			if tc.wantSynced == nil {
				if !ready(r) {
					t.Errorf("not Ready and Synced: %+v", r.Status.Conditions)
				}
				return
			}
			c := synced(r)
			for _, part := range tc.wantSynced {
				part = strings.NewReplacer("{old}", strconv.FormatInt(first.ID, 10), "{other}", strconv.FormatInt(st.ID, 10)).Replace(part)
				if c.Status != corev1.ConditionFalse || c.Reason != xpv2.ReasonReconcileError || !strings.Contains(c.Message, part) {
					t.Errorf("Synced = %s %s %q, want False ReconcileError with %q", c.Status, c.Reason, c.Message, part)
				}
			}
			if c := r.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionFalse {
				t.Errorf("Ready = %s %q, want False: the repository is not there", c.Status, c.Message)
			}
			if got := r.GetAnnotations()[AnnotationRepositoryID]; got != strconv.FormatInt(first.ID, 10) {
				t.Errorf("annotation %s = %q, want the managed repository's id %d kept", AnnotationRepositoryID, got, first.ID)
			}
		})
	}
}

// The two ways forward the refusal names: deleting the Repository finishes
// without a write to GitHub, and removing the recorded id starts anew with
// a fresh repository from the template.
func TestRepositoryGoneWaysForward(t *testing.T) {
	gone := func(t *testing.T) (*env, int64) {
		t.Helper()
		e := newEnv(t)
		e.gh.CreateOutOfBand(testOrg, "service-template")
		e.gh.Mutate(testOrg, "service-template", func(r *ghtestRepo) { r.IsTemplate = true })
		e.create("svc", fromTemplate)
		e.converge("svc", 8)
		old, _ := e.gh.Repo(testOrg, "svc")
		e.age("svc")
		e.gh.DeleteOutOfBand(testOrg, "svc")
		e.reconcile("svc")
		if c := synced(e.get("svc")); c.Status != corev1.ConditionFalse {
			t.Fatalf("Synced = %s, want the refusal", c.Status)
		}
		return e, old.ID
	}
	t.Run("DeleteTheRepository", func(t *testing.T) {
		e, _ := gone(t)
		before := writes(e)
		deleteMR(t, e, "svc")
		if n := writes(e) - before; n != 0 {
			t.Errorf("deleting wrote %d times: %v", n, e.gh.Stats().ByRoute)
		}
		if _, ok := e.gh.Repo(testOrg, "svc"); ok {
			t.Error("a repository was created")
		}
	})
	t.Run("RemoveTheRecordedID", func(t *testing.T) {
		e, old := gone(t)
		r := e.get("svc")
		meta.RemoveAnnotations(r, AnnotationRepositoryID)
		if err := e.kube.Update(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		e.converge("svc", 8)
		st, ok := e.gh.Repo(testOrg, "svc")
		if !ok || st.ID == old || st.Template != testOrg+"/service-template" {
			t.Fatalf("no fresh repository from the template: exists=%v %+v", ok, st)
		}
		if got := e.get("svc").GetAnnotations()[AnnotationRepositoryID]; got != strconv.FormatInt(st.ID, 10) {
			t.Errorf("annotation %s = %q, want the new id %d", AnnotationRepositoryID, got, st.ID)
		}
	})
}
