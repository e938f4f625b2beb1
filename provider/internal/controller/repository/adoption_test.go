package repository

import (
	"context"
	"strconv"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// writes counts the requests the stand-in served that were not reads.
func writes(e *env) int {
	n := 0
	for route, c := range e.gh.Stats().ByRoute {
		if !strings.HasPrefix(route, "GET ") {
			n += c
		}
	}
	return n
}

// A public repository with topics and a non-main default branch, adopted
// through the external name by a spec that names only its owner: GitHub
// sees zero writes, and the spec learns GitHub's values (LateInitialize is
// part of the default policies).
func TestAdoptionWritesNothing(t *testing.T) {
	for name, policies := range map[string]xpv2.ManagementPolicies{
		"all":                    {xpv2.ManagementActionAll},
		"without LateInitialize": {xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionDelete},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.gh.CreateOutOfBand(testOrg, "legacy")
			e.gh.SetFile(testOrg, "legacy", "trunk", "README.md", "legacy\n")
			e.gh.Mutate(testOrg, "legacy", func(r *ghtestRepo) {
				r.Visibility, r.Topics, r.DefaultBranch, r.Description = "public", []string{"legacy", "java"}, "trunk", "the old one"
				r.AllowRebaseMerge = false
			})
			before, _ := e.gh.Repo(testOrg, "legacy")
			e.create("legacy-mr", func(r *v1alpha1.Repository) {
				meta.SetExternalName(r, "legacy")
				r.Spec.ManagementPolicies = policies
				r.Spec.ForProvider = v1alpha1.RepositoryParameters{Owner: testOrg}
			})
			for range 4 {
				e.reconcile("legacy-mr")
			}
			r := e.get("legacy-mr")
			if !ready(r) {
				t.Fatalf("adopted repository not Ready and Synced: %+v", r.Status.Conditions)
			}
			if n := writes(e); n != 0 {
				t.Errorf("adoption sent %d writes to GitHub, want 0: %v", n, e.gh.Stats().ByRoute)
			}
			after, _ := e.gh.Repo(testOrg, "legacy")
			if after.Visibility != "public" || after.DefaultBranch != "trunk" || !sameSet(after.Topics, before.Topics) ||
				after.Description != "the old one" || after.AllowRebaseMerge {
				t.Errorf("adopted repository changed: %+v", after)
			}
			if got := r.GetAnnotations()[AnnotationRepositoryID]; got != strconv.FormatInt(before.ID, 10) {
				t.Errorf("repository id annotation = %q, want %d", got, before.ID)
			}
			p := r.Spec.ForProvider
			if name == "all" {
				if p.Visibility != "public" || p.DefaultBranch != "trunk" || p.Topics == nil || !sameSet(*p.Topics, []string{"legacy", "java"}) ||
					p.Description == nil || *p.Description != "the old one" || p.Archived == nil || *p.Archived ||
					p.MergeOptions == nil || p.MergeOptions.AllowRebaseMerge == nil || *p.MergeOptions.AllowRebaseMerge {
					t.Errorf("spec not late-initialised from GitHub: %+v", p)
				}
				if p.BranchProtection != nil {
					t.Errorf("branch protection late-initialised: %+v", p.BranchProtection)
				}
				return
			}
			if p.Visibility != "" || p.DefaultBranch != "" || p.Topics != nil || p.Description != nil {
				t.Errorf("spec late-initialised without the LateInitialize policy: %+v", p)
			}
		})
	}
}

// Only the policies [Observe] take over a repository without the
// external-name annotation; a set with Update but without Create does not.
func TestObserveOnlyMeansExactlyObserve(t *testing.T) {
	e := newEnv(t)
	e.gh.CreateOutOfBand(testOrg, "watched")
	e.create("watched", func(r *v1alpha1.Repository) {
		r.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionUpdate}
		r.Spec.ForProvider.Description = ptr("would change")
	})
	for range 3 {
		e.reconcile("watched")
	}
	if c := synced(e.get("watched")); c.Status != "False" || !strings.Contains(c.Message, "not created by this resource") {
		t.Errorf("Synced = %s %q, want a refusal", c.Status, c.Message)
	}
	if n := writes(e); n != 0 {
		t.Errorf("%d writes to a repository that is not ours", n)
	}
}

// Unset fields of a repository this resource created are not rewritten:
// a new repository is private (a creation default), and with the policies
// lacking LateInitialize, what others change afterwards stays.
func TestUnsetFieldsAreNotManaged(t *testing.T) {
	e := newEnv(t)
	e.create("svc", func(r *v1alpha1.Repository) {
		r.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate,
			xpv2.ManagementActionUpdate, xpv2.ManagementActionDelete}
		r.Spec.ForProvider = v1alpha1.RepositoryParameters{Owner: testOrg, AutoInit: ptr(true), Description: ptr("svc")}
	})
	e.converge("svc", 6)
	if st, _ := e.gh.Repo(testOrg, "svc"); st.Visibility != "private" {
		t.Fatalf("new repository visibility = %q, want private", st.Visibility)
	}
	e.gh.Mutate(testOrg, "svc", func(r *ghtestRepo) {
		r.Topics, r.Visibility, r.Archived, r.Description = []string{"by-hand"}, "public", true, "by hand"
	})
	before := writes(e)
	for range 3 {
		e.reconcile("svc")
	}
	if n := writes(e) - before; n != 0 {
		t.Errorf("%d writes for fields the spec does not name: %v", n, e.gh.Stats().ByRoute)
	}
	st, _ := e.gh.Repo(testOrg, "svc")
	if !st.Archived || st.Visibility != "public" || len(st.Topics) != 1 {
		t.Errorf("unmanaged fields rewritten: %+v", st)
	}
}

func TestArchivedOnPurposeStays(t *testing.T) {
	e := newEnv(t)
	e.create("old", func(r *v1alpha1.Repository) { r.Spec.ForProvider.AutoInit = ptr(true) })
	e.converge("old", 6)
	r := e.get("old")
	r.Spec.ForProvider.Archived = ptr(true)
	r.Spec.ForProvider.Description = ptr("retired")
	if err := e.kube.Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	e.converge("old", 4)
	st, _ := e.gh.Repo(testOrg, "old")
	if !st.Archived || st.Description != "retired" {
		t.Errorf("archived: true not applied (description first, then archive): %+v", st)
	}
	before := writes(e)
	for range 3 {
		e.reconcile("old")
	}
	if n := writes(e) - before; n != 0 {
		t.Errorf("%d writes to a repository archived on purpose", n)
	}
	if !ready(e.get("old")) {
		t.Errorf("archived repository not Ready: %+v", e.get("old").Status.Conditions)
	}
}
