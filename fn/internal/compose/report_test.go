package compose

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

func TestWriteStatusCondition(t *testing.T) {
	const ready = `{"type": "Ready", "status": "True", "reason": "Available"}`
	const synced = `{"type": "Synced", "status": "True", "reason": "ReconcileSuccess"}`
	const refused = `{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "update failed: InvalidParameterCombination: Cannot upgrade postgres from 16.3 to 15.7"}`
	obs := func(conds ...string) string {
		s := `{"spec": {"forProvider": {"region": "eu-west-1"}}, "status": {"conditions": [`
		for i, c := range conds {
			if i > 0 {
				s += ","
			}
			s += c
		}
		return s + `]}}`
	}
	cond := func(status fnv1.Status, reason, msg string) *fnv1.Condition {
		return &fnv1.Condition{Type: "DatabaseReady", Status: status, Reason: reason, Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
	}
	const drift = `; environment changes not applied, existing resources cannot move: region stays "eu-west-1" as the existing a has it; input environment.region asks for "eu-central-1"`
	cases := map[string]struct {
		reason   string
		observed map[string]string
		region   string
		nested   bool
		want     *fnv1.Condition
	}{
		"Available": {
			reason:   "Ready and Synced everywhere: Available.",
			observed: map[string]string{"a": obs(ready, synced), "b": obs(ready, synced)},
			want:     cond(fnv1.Status_STATUS_CONDITION_TRUE, "Available", "all 2 composed resources are ready"),
		},
		"ReadyButNotSynced": {
			reason:   "A resource that is Ready but whose change the provider refused makes the condition False with the provider's message.",
			observed: map[string]string{"a": obs(ready, refused), "b": obs(ready, synced)},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "SyncFailed",
				"the provider cannot apply a (Synced=False: ReconcileError): update failed: InvalidParameterCombination: Cannot upgrade postgres from 16.3 to 15.7"),
		},
		"NotSyncedWinsOverCreating": {
			reason:   "A sync failure is reported before what is still being created.",
			observed: map[string]string{"a": obs(ready, refused)},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "SyncFailed",
				"the provider cannot apply a (Synced=False: ReconcileError): update failed: InvalidParameterCombination: Cannot upgrade postgres from 16.3 to 15.7"),
		},
		"Creating": {
			reason:   "A resource not created yet: Creating.",
			observed: map[string]string{"a": obs(ready, synced)},
			want:     cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for b"),
		},
		"OnItsWay": {
			reason:   "Resources being created, with nothing more said (no Ready condition yet, crossplane-runtime's Creating without a message): named, not the step each is at, so that the message does not change from one step to the next.",
			observed: map[string]string{"a": obs(), "b": obs(`{"type": "Ready", "status": "False", "reason": "Creating"}`, synced)},
			want:     cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for a, b"),
		},
		"ProviderSaysWhy": {
			reason: "What a provider says of a resource not ready (a message, another reason) is carried in its words.",
			observed: map[string]string{
				"a": obs(`{"type": "Ready", "status": "False", "reason": "Creating", "message": "DB instance is being created"}`, synced),
				"b": obs(`{"type": "Ready", "status": "False", "reason": "Unavailable"}`, synced),
			},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for a (Ready=False: Creating): DB instance is being created, b (Ready=False: Unavailable)"),
		},
		"WaitsForReference": {
			reason: "A resource whose provider cannot resolve its reference yet, while another is not ready, waits: Creating, named.",
			observed: map[string]string{
				"a": obs(`{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "cannot resolve references: mg.Spec.ForProvider.Repository: referenced field was empty (referenced resource may not yet be ready)"}`),
				"b": obs(`{"type": "Ready", "status": "False", "reason": "Creating"}`, synced),
			},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for a, b"),
		},
		"ReferenceNothingToWaitFor": {
			reason: "A reference that does not resolve while everything else is ready is a failure, in the provider's words.",
			observed: map[string]string{
				"a": obs(ready, `{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "cannot resolve references: mg.Spec.ForProvider.Repository: no resources matched selector"}`),
				"b": obs(ready, synced),
			},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "SyncFailed",
				"the provider cannot apply a (Synced=False: ReconcileError): cannot resolve references: mg.Spec.ForProvider.Repository: no resources matched selector"),
		},
		"NestedOnItsWay": {
			reason:   "A nested composite whose resources are on their way says it waits for them without naming them: its name list would change as each became ready.",
			observed: map[string]string{"a": obs(), "b": obs(`{"type": "Ready", "status": "False", "reason": "Creating"}`, synced)},
			nested:   true,
			want:     cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for its composed resources"),
		},
		"NestedProviderSaysWhy": {
			reason: "A nested composite names the resources its provider says something about, in the provider's words.",
			observed: map[string]string{
				"a": obs(),
				"b": obs(`{"type": "Ready", "status": "False", "reason": "Unavailable", "message": "DB instance is being modified"}`, synced),
			},
			nested: true,
			want:   cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for b (Ready=False: Unavailable): DB instance is being modified"),
		},
		"EnvironmentChanged": {
			reason:   "Everything ready, but the environment asks for another region: True, EnvironmentChanged, naming the field and both values.",
			observed: map[string]string{"a": obs(ready, synced), "b": obs(ready, synced)},
			region:   "eu-central-1",
			want:     cond(fnv1.Status_STATUS_CONDITION_TRUE, "EnvironmentChanged", "all 2 composed resources are ready"+drift),
		},
		"EnvironmentChangedWhileCreating": {
			reason:   "A drift is told even while a resource is being created.",
			observed: map[string]string{"a": obs(ready, synced)},
			region:   "eu-central-1",
			want:     cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for b"+drift),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := observedResources(tc.observed)
			xr := &Composite{APIVersion: "v", Kind: "XDatabase", Name: "x"}
			if tc.nested {
				xr.Nested = "XServiceBundle b (uid u)"
			}
			s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: o}}, xr, "database")
			if tc.region != "" {
				s.Pin(&env.Environment{Region: tc.region}, []Pin{{Setting: env.Region, Resource: "a", Paths: [][]string{{"spec", "forProvider", "region"}}}})
			}
			s.Add("a", "v1", "A", "x-a", pb.Fields{})
			s.Add("b", "v1", "B", "x-b", pb.Fields{})
			rsp := &fnv1.RunFunctionResponse{}
			s.WriteStatus(rsp, Status{ConditionType: "DatabaseReady"})
			if diff := cmp.Diff([]*fnv1.Condition{tc.want}, rsp.GetConditions(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nWriteStatus(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestWriteStatusReadiness: the composite's readiness is said explicitly,
// so that Crossplane core writes its Ready condition without the list of
// composed resources it waits for, which changed as each became ready.
func TestWriteStatusReadiness(t *testing.T) {
	ready := `{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	cases := map[string]struct {
		observed map[string]string
		want     fnv1.Ready
	}{
		"NothingObserved": {want: fnv1.Ready_READY_FALSE},
		"OneReady":        {observed: map[string]string{"a": ready}, want: fnv1.Ready_READY_FALSE},
		"AllReady":        {observed: map[string]string{"a": ready, "b": ready}, want: fnv1.Ready_READY_TRUE},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := observedResources(tc.observed)
			s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: o}}, &Composite{APIVersion: "v", Kind: "XDatabase", Name: "x"}, "database")
			s.Add("a", "v1", "A", "x-a", pb.Fields{})
			s.Add("b", "v1", "B", "x-b", pb.Fields{})
			rsp := &fnv1.RunFunctionResponse{}
			s.WriteStatus(rsp, Status{ConditionType: "DatabaseReady"})
			if got := rsp.GetDesired().GetComposite().GetReady(); got != tc.want {
				t.Errorf("desired composite ready: got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestWriteStatusNestedOutputs: a nested composite's status fields and
// connection details come with its readiness, or once it has reported
// them; a composite of its own reports them as soon as they are known.
func TestWriteStatusNestedOutputs(t *testing.T) {
	ready := `{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	cases := map[string]struct {
		reason   string
		nested   bool
		xrStatus string // the observed composite's status
		observed map[string]string
		wantHeld bool
	}{
		"OwnCompositeCreating": {
			reason:   "A composite of its own (a claim's) reports what it knows while it is created.",
			observed: map[string]string{"a": ready},
		},
		"NestedCreating": {
			reason:   "A nested composite being created holds its fields and connection details until it is ready.",
			nested:   true,
			observed: map[string]string{"a": ready},
			wantHeld: true,
		},
		"NestedReady": {
			reason:   "A nested composite that is ready, its fields written a reconcile before (see TestWriteStatusPublishesFirst), reports them all.",
			nested:   true,
			xrStatus: `{"endpoint": "db.example.org", "secretName": "x-conn"}`,
			observed: map[string]string{"a": ready, "b": ready},
		},
		"NestedReportedBefore": {
			reason:   "A nested composite not ready (being updated) that reported them keeps writing them: core applies the function's status, a field left out would be removed.",
			nested:   true,
			xrStatus: `{"endpoint": "old.example.org"}`,
			observed: map[string]string{"a": ready},
		},
		"NestedOtherStatus": {
			reason:   "Status a composite has that the composer does not write (core's conditions) is not a reported field.",
			nested:   true,
			xrStatus: `{"conditions": [{"type": "Ready", "status": "False", "reason": "Creating"}]}`,
			observed: map[string]string{"a": ready},
			wantHeld: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := observedResources(tc.observed)
			obj := `{}`
			if tc.xrStatus != "" {
				obj = `{"status": ` + tc.xrStatus + `}`
			}
			xr := &Composite{Object: resource.MustStructJSON(obj), APIVersion: "v", Kind: "XDatabase", Name: "x"}
			if tc.nested {
				xr.Nested = "XServiceBundle b (uid u)"
			}
			s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: o}}, xr, "database")
			s.Add("a", "v1", "A", "x-a", pb.Fields{})
			s.Add("b", "v1", "B", "x-b", pb.Fields{})
			rsp := &fnv1.RunFunctionResponse{}
			s.WriteStatus(rsp, Status{
				Fields:            pb.Fields{"endpoint": pb.Str("db.example.org"), "secretName": pb.Str("x-conn")},
				ConnectionDetails: map[string][]byte{"endpoint": []byte("db.example.org")},
				ConditionType:     "DatabaseReady",
			})
			dc := rsp.GetDesired().GetComposite()
			ep, _ := pb.String(dc.GetResource(), "status", "endpoint")
			sn, _ := pb.String(dc.GetResource(), "status", "secretName")
			held := ep == "" && sn == "" && len(dc.GetConnectionDetails()) == 0
			written := ep == "db.example.org" && sn == "x-conn" && string(dc.GetConnectionDetails()["endpoint"]) == "db.example.org"
			if held != tc.wantHeld || (!tc.wantHeld && !written) {
				t.Errorf("%s\nWriteStatus(...): status endpoint %q, secretName %q, connection details %v; want held %v", tc.reason, ep, sn, dc.GetConnectionDetails(), tc.wantHeld)
			}
			if len(rsp.GetConditions()) != 1 || rsp.GetConditions()[0].GetType() != "DatabaseReady" {
				t.Errorf("%s\nWriteStatus(...) conditions %v, want DatabaseReady whatever is held", tc.reason, rsp.GetConditions())
			}
		})
	}
}

// A Report keeps, in the order they were recorded, the resources not ready
// and those whose provider could not apply them, with what the provider
// said; it is ready when nothing is pending, whatever is unsynced.
func TestReport(t *testing.T) {
	var r Report
	if !r.Ready() {
		t.Error("an empty report is not ready")
	}
	r.addPending("db", "db (Ready=False: Unavailable): storage full")
	r.addUnsynced("sg", pb.Cond{Status: "False", Reason: "ReconcileError", Message: "cannot resolve references: spec.forProvider.vpcId: no resources matched selector"})
	r.addUnsynced("bucket", pb.Cond{Status: "False", Reason: "ReconcileError", Message: "AccessDenied"})
	r.addPending("subnets", "subnets")
	type view struct {
		Ready                bool
		Pending, PendingOf   []string
		Unsynced, UnsyncedOf []string
		WaitsForReference    []bool
	}
	want := view{
		Ready:             false,
		Pending:           []string{"db (Ready=False: Unavailable): storage full", "subnets"},
		PendingOf:         []string{"db", "subnets"},
		Unsynced:          []string{"sg (Synced=False: ReconcileError): cannot resolve references: spec.forProvider.vpcId: no resources matched selector", "bucket (Synced=False: ReconcileError): AccessDenied"},
		UnsyncedOf:        []string{"sg", "bucket"},
		WaitsForReference: []bool{true, false},
	}
	got := view{r.Ready(), r.Pending(), r.pendingOf, r.Unsynced(), r.unsyncedOf, r.refWait}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
}

// A part of a composite made of several composed resources says it creates
// them, in the same words, while none says anything, whether composed yet or
// not; what a provider says is named as Condition names it.
func TestPartCondition(t *testing.T) {
	const creating = "creating a and b"
	ready := `{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	onItsWay := `{"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Creating"}]}}`
	says := `{"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "PullRequestOpen", "message": "waiting for review"}]}}`
	refused := `{"status": {"conditions": [{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "403 Forbidden"}]}}`
	cond := func(status fnv1.Status, reason, msg string) *fnv1.Condition {
		return &fnv1.Condition{Type: "PartReady", Status: status, Reason: reason, Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
	}
	cases := map[string]struct {
		reason   string
		composed []string // of a and b
		observed map[string]string
		want     *fnv1.Condition
	}{
		"NothingComposed": {
			reason: "Neither part composed yet: creating.",
			want:   cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", creating),
		},
		"OneReadyOneNotComposed": {
			reason:   "The part composed first is ready, the other is not composed yet: still creating, in the same words, not True.",
			composed: []string{"a"}, observed: map[string]string{"a": ready},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", creating),
		},
		"OnTheirWay": {
			reason:   "Both composed, one ready, one being created: the same words.",
			composed: []string{"a", "b"}, observed: map[string]string{"a": ready, "b": onItsWay},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", creating),
		},
		"ProviderSays": {
			reason:   "A part whose provider says why it is not ready is named with its words.",
			composed: []string{"a", "b"}, observed: map[string]string{"a": onItsWay, "b": says},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for a, b (Ready=False: PullRequestOpen): waiting for review"),
		},
		"Refused": {
			reason:   "A part the provider cannot apply: SyncFailed, in its words.",
			composed: []string{"a", "b"}, observed: map[string]string{"a": ready, "b": refused},
			want: cond(fnv1.Status_STATUS_CONDITION_FALSE, "SyncFailed", "the provider cannot apply b (Synced=False: ReconcileError): 403 Forbidden"),
		},
		"Ready": {
			reason:   "Both composed and ready: True.",
			composed: []string{"a", "b"}, observed: map[string]string{"a": ready, "b": ready},
			want: cond(fnv1.Status_STATUS_CONDITION_TRUE, "Available", "all 2 composed resources are ready"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			observed := map[string]*fnv1.Resource{}
			for n, o := range tc.observed {
				observed[n] = &fnv1.Resource{Resource: resource.MustStructJSON(o)}
			}
			s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: observed}}, &Composite{Name: "x"}, "thing")
			for _, n := range tc.composed {
				s.Add(n, "example.org/v1", "Thing", "x-"+n, pb.Fields{})
			}
			if diff := cmp.Diff(tc.want, s.PartCondition("PartReady", creating, "a", "b"), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nPartCondition: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
