package compose

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

func TestProtect(t *testing.T) {
	xr := &Composite{APIVersion: "platform.paved.dev/v1alpha1", Kind: "XThing", Name: "t-1"}
	usageReady := &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`)}
	msg := "deleting this claim waits for Thing t-1-thing, which keeps itself; until it is gone, ClusterUsages keep Guard t-1-guard, Gate t-1-gate (see paved's README, Decommission)"

	cases := map[string]struct {
		reason   string
		observed map[string]*fnv1.Resource
		want     *fnv1.Condition
	}{
		"NothingObserved": {
			reason: "ClusterUsages that do not exist yet: not in force yet.",
			want: &fnv1.Condition{
				Type: DeletionConditionType, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: ReasonUsagePending,
				Message: ptr("not yet in force; once it is, " + msg),
				Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
			},
		},
		"OneInForce": {
			reason:   "One ClusterUsage in force, one not: the message does not change as they come into force one by one (which one lags is the Usage's to say).",
			observed: map[string]*fnv1.Resource{"protect-guard": usageReady},
			want: &fnv1.Condition{
				Type: DeletionConditionType, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: ReasonUsagePending,
				Message: ptr("not yet in force; once it is, " + msg),
				Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
			},
		},
		"AllInForce": {
			reason:   "When every ClusterUsage is Ready the condition is True and says what a deletion waits for.",
			observed: map[string]*fnv1.Resource{"protect-guard": usageReady, "protect-gate": usageReady},
			want: &fnv1.Condition{
				Type: DeletionConditionType, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: ReasonInUse,
				Message: ptr(msg), Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: tc.observed}}
			s := NewSet(req, xr, "thing")
			s.Add("thing", "example.org/v1", "Thing", "t-1-thing", pb.Fields{})
			s.Add("guard", "example.org/v1", "Guard", "t-1-guard", pb.Fields{})
			s.Add("gate", "other.example.org/v1beta1", "Gate", "t-1-gate", pb.Fields{})
			s.Protect("thing", "keeps itself", Keep("guard", "gate")...)

			rsp := &fnv1.RunFunctionResponse{}
			s.Write(rsp)
			wantUsage := resource.MustStructJSON(`{
				"apiVersion": "protection.crossplane.io/v1beta1",
				"kind": "ClusterUsage",
				"metadata": {"name": "t-1-protect-gate", "finalizers": ["usage.apiextensions.crossplane.io"], "labels": {
					"app.kubernetes.io/name": "protect-gate", "app.kubernetes.io/instance": "t-1",
					"app.kubernetes.io/component": "thing", "app.kubernetes.io/part-of": "t-1",
					"app.kubernetes.io/managed-by": "paved"},
					"annotations": {"crossplane.io/usage-details": "Thing/t-1-thing uses Gate/t-1-gate"}},
				"spec": {
					"of": {"apiVersion": "other.example.org/v1beta1", "kind": "Gate", "resourceRef": {"name": "t-1-gate"}},
					"by": {"apiVersion": "example.org/v1", "kind": "Thing", "resourceRef": {"name": "t-1-thing"}},
					"replayDeletion": true
				}
			}`)
			if diff := cmp.Diff(wantUsage, rsp.GetDesired().GetResources()["protect-gate"].GetResource(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nProtect(...): -want ClusterUsage, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, s.deletionCondition(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\ndeletionCondition(): -want, +got:\n%s", tc.reason, diff)
			}

		})
	}
}

func TestProtectBlocked(t *testing.T) {
	xr := &Composite{APIVersion: "platform.paved.dev/v1alpha1", Kind: "XThing", Name: "t-1"}
	usageReady := &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`)}
	stuck := &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"stuck": "its project is gone"}}`)}
	blocked := func(obs *structpb.Struct) string {
		why, _ := pb.String(obs, "status", "stuck")
		return why
	}
	const held = "deleting this claim waits for Thing t-1-thing, which keeps itself"
	const tail = "; until it is gone, ClusterUsages keep Guard t-1-guard (see paved's README, Decommission)"
	cases := map[string]struct {
		reason   string
		observed map[string]*fnv1.Resource
		want     string
	}{
		"NotObserved": {
			reason:   "A resource that does not exist yet blocks nothing.",
			observed: map[string]*fnv1.Resource{"protect-guard": usageReady},
			want:     held + tail,
		},
		"NothingBlocks": {
			reason:   "A resource whose controller reports nothing in the way: the message is Protect's.",
			observed: map[string]*fnv1.Resource{"protect-guard": usageReady, "thing": {Resource: resource.MustStructJSON(`{"status": {}}`)}},
			want:     held + tail,
		},
		"Blocked": {
			reason:   "What the controller reports in the way of the deletion is said next to the resource it keeps.",
			observed: map[string]*fnv1.Resource{"protect-guard": usageReady, "thing": stuck},
			want:     held + " (now its project is gone)" + tail,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: tc.observed}}
			s := NewSet(req, xr, "thing")
			s.Add("thing", "example.org/v1", "Thing", "t-1-thing", pb.Fields{})
			s.Add("guard", "example.org/v1", "Guard", "t-1-guard", pb.Fields{})
			s.ProtectBlocked("thing", "keeps itself", blocked, Keep("guard")...)
			if got := s.deletionCondition().GetMessage(); got != tc.want {
				t.Errorf("%s\ndeletionCondition().Message:\nwant %q\n got %q", tc.reason, tc.want, got)
			}
		})
	}
}

func TestProtectUnknownName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Protect of a resource that was not added: want a panic (a composer bug), got none")
		}
	}()
	s := NewSet(&fnv1.RunFunctionRequest{}, &Composite{Name: "t"}, "thing")
	s.Add("thing", "example.org/v1", "Thing", "t-thing", pb.Fields{})
	s.Protect("thing", "why", Keep("missing")...)
}

func TestNoProtectionNoCondition(t *testing.T) {
	s := NewSet(&fnv1.RunFunctionRequest{}, &Composite{Name: "t"}, "thing")
	s.Add("thing", "example.org/v1", "Thing", "t-thing", pb.Fields{})
	if c := s.deletionCondition(); c != nil {
		t.Errorf("deletionCondition() without Protect: want nil, got %v", c)
	}
}

func TestReportNested(t *testing.T) {
	xr := &Composite{APIVersion: "platform.paved.dev/v1alpha1", Kind: "XBundle", Name: "b-1"}
	// A nested composite's condition as its composer writes it: while it
	// is not in force, its message starts with notInForce.
	nested := func(status string) *fnv1.Resource {
		reason, prefix := "InUse", ""
		if status != "True" {
			reason, prefix = "UsagePending", "not yet in force; once it is, "
		}
		return &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"conditions": [{"type": "DeletionProtected", "status": "` + status +
			`", "reason": "` + reason + `", "message": "` + prefix + `deleting this claim waits for Instance i-1, which has deletion protection; until it is gone, ClusterUsages keep SubnetGroup s-1 (see paved's README, Decommission)"}]}}`)}
	}
	said := "deleting this claim waits for XDb b-1-db, whose DeletionProtected says: deleting this claim waits for Instance i-1, which has deletion protection; until it is gone, ClusterUsages keep SubnetGroup s-1"

	cases := map[string]struct {
		reason   string
		observed map[string]*fnv1.Resource
		want     *fnv1.Condition
	}{
		"NotObserved": {
			reason: "A nested composite that does not exist yet: not in force yet.",
			want: &fnv1.Condition{
				Type: DeletionConditionType, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: ReasonUsagePending,
				Message: ptr("not yet in force; once it is, deleting this claim waits for XDb b-1-db (see paved's README, Decommission)"),
				Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
			},
		},
		"NestedPending": {
			reason:   "A nested composite whose own condition is not True: not in force yet, and what it says is repeated without its own not-in-force prefix, as it will say it once in force.",
			observed: map[string]*fnv1.Resource{"db": nested("False")},
			want: &fnv1.Condition{
				Type: DeletionConditionType, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: ReasonUsagePending,
				Message: ptr("not yet in force; once it is, " + said + " (see paved's README, Decommission)"),
				Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
			},
		},
		"NestedInForce": {
			reason:   "A nested composite whose condition is True: True, repeating what it keeps, the README hint once.",
			observed: map[string]*fnv1.Resource{"db": nested("True")},
			want: &fnv1.Condition{
				Type: DeletionConditionType, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: ReasonInUse,
				Message: ptr(said + " (see paved's README, Decommission)"),
				Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: tc.observed}}
			s := NewSet(req, xr, "bundle")
			s.Add("db", "example.org/v1", "XDb", "b-1-db", pb.Fields{})
			s.ReportNested("db")
			if diff := cmp.Diff(tc.want, s.deletionCondition(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\ndeletionCondition(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReportNestedUnknownName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("ReportNested of a resource that was not added: want a panic (a composer bug), got none")
		}
	}()
	NewSet(&fnv1.RunFunctionRequest{}, &Composite{Name: "t"}, "bundle").ReportNested("missing")
}

func ptr(s string) *string { return &s }

func TestProtectStableUsageName(t *testing.T) {
	s := NewSet(&fnv1.RunFunctionRequest{}, &Composite{Name: "t"}, "thing")
	s.Add("thing", "example.org/v1", "Thing", "t-thing", pb.Fields{})
	s.Add("group-v15", "example.org/v1", "Group", "t-group-v15", pb.Fields{})
	s.Protect("thing", "why", Kept{Name: "group-v15", Usage: "group"})
	rsp := &fnv1.RunFunctionResponse{}
	s.Write(rsp)
	u := rsp.GetDesired().GetResources()["protect-group"].GetResource()
	if u == nil {
		t.Fatalf("no ClusterUsage protect-group; composed %v", rsp.GetDesired().GetResources())
	}
	if n, _ := pb.String(u, "metadata", "name"); n != "t-protect-group" {
		t.Errorf("ClusterUsage name %q, want t-protect-group", n)
	}
	if n, _ := pb.String(u, "spec", "of", "resourceRef", "name"); n != "t-group-v15" {
		t.Errorf("ClusterUsage keeps %q, want t-group-v15", n)
	}
}

// A namespaced user (an Argo CD Application) keeps a cluster-scoped resource
// through a namespaced Usage in the user's namespace whose "of" names the
// namespace "" explicitly: core v2.4.0 defaults a missing one to the Usage's
// namespace, and its webhook then finds no Usage of the cluster-scoped
// resource (internal/protection/usage/finder.go).
func TestProtectNamespacedUser(t *testing.T) {
	xr := &Composite{APIVersion: "platform.paved.dev/v1alpha1", Kind: "XThing", Name: "t-1"}
	s := NewSet(&fnv1.RunFunctionRequest{}, xr, "thing")
	s.Add("repo", "example.org/v1", "Repo", "t-1-repo", pb.Fields{})
	s.AddObject("app", resource.MustStructJSON(`{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "t-1-app", "namespace": "argocd"}}`), nil)
	s.Protect("app", "deploys from it", Kept{Name: "repo", Usage: "repo-deployed"})

	rsp := &fnv1.RunFunctionResponse{}
	s.Write(rsp)
	want := resource.MustStructJSON(`{
		"apiVersion": "protection.crossplane.io/v1beta1",
		"kind": "Usage",
		"metadata": {"name": "t-1-protect-repo-deployed", "namespace": "argocd", "finalizers": ["usage.apiextensions.crossplane.io"], "labels": {
			"app.kubernetes.io/name": "protect-repo-deployed", "app.kubernetes.io/instance": "t-1",
			"app.kubernetes.io/component": "thing", "app.kubernetes.io/part-of": "t-1",
			"app.kubernetes.io/managed-by": "paved"},
			"annotations": {"crossplane.io/usage-details": "Application/t-1-app uses Repo/t-1-repo"}},
		"spec": {
			"of": {"apiVersion": "example.org/v1", "kind": "Repo", "resourceRef": {"name": "t-1-repo", "namespace": ""}},
			"by": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "resourceRef": {"name": "t-1-app"}},
			"replayDeletion": true
		}
	}`)
	if diff := cmp.Diff(want, rsp.GetDesired().GetResources()["protect-repo-deployed"].GetResource(), protocmp.Transform()); diff != "" {
		t.Errorf("Protect(namespaced user): -want Usage, +got:\n%s", diff)
	}
	msg := "not yet in force; once it is, deleting this claim waits for Application t-1-app, which deploys from it; until it is gone, Usages keep Repo t-1-repo (see paved's README, Decommission)"
	if got := s.deletionCondition().GetMessage(); got != msg {
		t.Errorf("deletionCondition().Message:\n got %q\nwant %q", got, msg)
	}
}

// A composer that protects in stages (ProtectInStages) says, until every
// protection is in force, the same words whatever is composed and in force
// so far, naming only what may keep a deletion from finishing.
func TestProtectInStages(t *testing.T) {
	xr := &Composite{APIVersion: "platform.paved.dev/v1alpha1", Kind: "XBundle", Name: "b-1"}
	ready := &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`)}
	stuck := &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"stuck": "its project is gone"}}`)}
	blocked := func(o *structpb.Struct) string { s, _ := pb.String(o, "status", "stuck"); return s }
	pending := "not yet in force; once it is, deleting this claim waits for what its Usages keep, named here once they are all in force (see paved's README, Decommission)"
	cases := map[string]struct {
		reason   string
		observed map[string]*fnv1.Resource
		stage2   bool
		want     string
	}{
		"FirstStage": {
			reason: "The first stage's Usage not in force yet.",
			want:   pending,
		},
		"SecondStage": {
			reason:   "The second stage composed, the first's Usage in force: the same words.",
			observed: map[string]*fnv1.Resource{"protect-repo": ready},
			stage2:   true,
			want:     pending,
		},
		"Blocked": {
			reason:   "What keeps a deletion from finishing is said at once.",
			observed: map[string]*fnv1.Resource{"protect-repo": ready, "app": stuck},
			stage2:   true,
			want: "not yet in force; once it is, deleting this claim waits for what its Usages keep, named here once they are all in force; " +
				"deleting this claim waits for App b-1-app, which deploys it (now its project is gone); until it is gone, ClusterUsages keep Repo b-1-repo (see paved's README, Decommission)",
		},
		"InForce": {
			reason:   "Everything in force: each protection named.",
			observed: map[string]*fnv1.Resource{"protect-repo": ready, "protect-repo-deployed": ready},
			stage2:   true,
			want: "deleting this claim waits for Thing b-1-thing, which keeps it; until it is gone, ClusterUsages keep Repo b-1-repo; " +
				"deleting this claim waits for App b-1-app, which deploys it; until it is gone, ClusterUsages keep Repo b-1-repo (see paved's README, Decommission)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: tc.observed}}, xr, "bundle")
			s.ProtectInStages()
			s.Add("repo", "example.org/v1", "Repo", "b-1-repo", pb.Fields{})
			s.Add("thing", "example.org/v1", "Thing", "b-1-thing", pb.Fields{})
			s.Protect("thing", "keeps it", Keep("repo")...)
			if tc.stage2 {
				s.Add("app", "example.org/v1", "App", "b-1-app", pb.Fields{})
				s.ProtectBlocked("app", "deploys it", blocked, Kept{Name: "repo", Usage: "repo-deployed"})
			}
			if got := s.deletionCondition().GetMessage(); got != tc.want {
				t.Errorf("%s\ndeletionCondition().Message:\n got %q\nwant %q", tc.reason, got, tc.want)
			}
		})
	}
}
