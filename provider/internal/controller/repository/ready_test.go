package repository

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// userSpec is a Repository as users write it: visibility, default branch
// and merge settings unset (GitHub's defaults, late-initialised), topics
// and protection to apply after Create.
func userSpec(r *v1alpha1.Repository) {
	p := &r.Spec.ForProvider
	p.Visibility, p.DefaultBranch = "", ""
	p.Description = ptr("service svc")
	p.Topics = &[]string{"paved", "scale"}
	p.AutoInit = ptr(true)
	p.BranchProtection = &v1alpha1.BranchProtection{}
}

// A new Repository is Ready and Synced after two reconciles: Create, then
// one that applies topics and protection. Create late-initialises the
// spec from GitHub's answer, so the second reconcile does not update the
// object, which would discard the Ready condition its Observe set
// (crossplane-runtime's late-initialisation update answers with the API
// server's status) and take a third reconcile.
func TestReadyInTheReconcileAfterCreate(t *testing.T) {
	e := newEnv(t)
	e.create("svc", userSpec)
	e.reconcile("svc")
	created := e.get("svc")
	if _, ok := e.gh.Repo(testOrg, "svc"); !ok {
		t.Fatal("not created in the first reconcile")
	}
	want := v1alpha1.RepositoryParameters{
		Owner: testOrg, Description: ptr("service svc"), Visibility: v1alpha1.VisibilityPrivate, DefaultBranch: "main",
		Topics: &[]string{"paved", "scale"}, AutoInit: ptr(true),
		MergeOptions:        &v1alpha1.MergeOptions{AllowMergeCommit: ptr(true), AllowSquashMerge: ptr(true), AllowRebaseMerge: ptr(true)},
		DeleteBranchOnMerge: ptr(false), Archived: ptr(false), BranchProtection: &v1alpha1.BranchProtection{},
	}
	if d := cmp.Diff(want, created.Spec.ForProvider); d != "" {
		t.Errorf("spec after Create (-want +got):\n%s", d)
	}

	e.reconcile("svc")
	r := e.get("svc")
	if !ready(r) {
		t.Errorf("after the second reconcile: Ready %s (%s), Synced %s %q; want both True",
			r.GetCondition(xpv2.TypeReady).Status, r.GetCondition(xpv2.TypeReady).Reason, synced(r).Status, synced(r).Message)
	}
	if d := cmp.Diff(created.Spec, r.Spec); d != "" {
		t.Errorf("the second reconcile changed the spec (-before +after):\n%s", d)
	}
	if st, _ := e.gh.Repo(testOrg, "svc"); !st.Protected || !sameSet(st.Topics, []string{"paved", "scale"}) {
		t.Errorf("topics and protection not applied: %+v", st)
	}
}

// Create late-initialises only what Observe would: nothing without the
// LateInitialize policy, and nothing of a repository generated from a
// template (GitHub fills it asynchronously; it is late-initialised once
// observed).
func TestCreateLateInitialisesOnlyWhatObserveWould(t *testing.T) {
	cases := map[string]func(*v1alpha1.Repository){
		"WithoutLateInitialize": func(r *v1alpha1.Repository) {
			r.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate,
				xpv2.ManagementActionUpdate, xpv2.ManagementActionDelete}
		},
		"FromTemplate": func(r *v1alpha1.Repository) {
			r.Spec.ForProvider.Template = &v1alpha1.RepositoryTemplate{Owner: testOrg, Repository: "service-template"}
			r.Spec.ForProvider.AutoInit = nil
		},
	}
	for name, opt := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.gh.CreateOutOfBand(testOrg, "service-template")
			e.gh.Mutate(testOrg, "service-template", func(r *ghtestRepo) { r.IsTemplate = true })
			e.create("svc", userSpec, opt)
			want := e.get("svc").Spec.ForProvider
			e.reconcile("svc")
			if _, ok := e.gh.Repo(testOrg, "svc"); !ok {
				t.Fatal("not created in the first reconcile")
			}
			r := e.get("svc")
			if d := cmp.Diff(want, r.Spec.ForProvider); d != "" {
				t.Errorf("Create changed the spec (-before +after):\n%s", d)
			}
			if c := r.GetCondition(xpv2.TypeReady); c.Status == corev1.ConditionTrue {
				t.Errorf("Ready after Create: %+v", c)
			}
		})
	}
}
