package compose

import (
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// TestWriteStatusSettling: within CreationWindow of its creation, a
// composite that is not ready says its parts' good news (a condition
// turning True, a new status field) when everything is ready, in one
// step; whatever else a condition says, it says at once, and after the
// window every step is said as it happens.
func TestWriteStatusSettling(t *testing.T) {
	created := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	const (
		ready    = `{"type": "Ready", "status": "True", "reason": "Available"}`
		creating = `{"type": "Ready", "status": "False", "reason": "Creating"}`
		failing  = `{"type": "Ready", "status": "False", "reason": "ReconcileError", "message": "GitHub answered 503"}`
	)
	obs := func(c string) string { return `{"status": {"conditions": [` + c + `]}}` }
	// The composite as observed after its first reconcile: both parts on
	// their way, one status field written.
	waiting := `{"type": "AReady", "status": "False", "reason": "Creating", "message": "waiting for a"}, ` +
		`{"type": "BReady", "status": "False", "reason": "Creating", "message": "waiting for b"}`
	xrJSON := func(ts, conds string) string {
		meta := `"name": "x"`
		if ts != "" {
			meta += `, "creationTimestamp": "` + ts + `"`
		}
		return `{"metadata": {` + meta + `}, "status": {"secretName": "x-conn", "conditions": [` + conds + `]}}`
	}
	cond := func(t string, s fnv1.Status, reason, msg string) *fnv1.Condition {
		return &fnv1.Condition{Type: t, Status: s, Reason: reason, Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
	}
	heldA := cond("AReady", fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for a")
	trueA := cond("AReady", fnv1.Status_STATUS_CONDITION_TRUE, "Available", "the composed resource is ready")
	waitB := cond("BReady", fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for b")
	trueB := cond("BReady", fnv1.Status_STATUS_CONDITION_TRUE, "Available", "the composed resource is ready")
	written := map[string]string{"secretName": "x-conn", "endpoint": "a.example"}
	kept := map[string]string{"secretName": "x-conn"}

	cases := map[string]struct {
		reason     string
		xr         string
		observed   map[string]string
		now        time.Time
		want       []*fnv1.Condition
		wantFields map[string]string
	}{
		"PartReadyWhileSettling": {
			reason:     "A part ready 5 s after creation while another is on its way: its condition and its new field wait; the field written before is written as observed.",
			xr:         xrJSON("2026-12-05T06:00:00Z", waiting),
			observed:   map[string]string{"a": obs(ready), "b": obs(creating)},
			now:        created.Add(5 * time.Second),
			want:       []*fnv1.Condition{heldA, waitB},
			wantFields: kept,
		},
		"AllReadyWhileYoung": {
			reason:     "Everything ready within the window: every field now, and the conditions with Ready a reconcile later (publishesFirst).",
			xr:         xrJSON("2026-12-05T06:00:00Z", waiting),
			observed:   map[string]string{"a": obs(ready), "b": obs(ready)},
			now:        created.Add(5 * time.Second),
			want:       []*fnv1.Condition{heldA, waitB},
			wantFields: written,
		},
		"AllReadyWhileYoungFieldsWritten": {
			reason: "Everything ready within the window, the fields as observed: every condition at once.",
			xr: `{"metadata": {"name": "x", "creationTimestamp": "2026-12-05T06:00:00Z"}, "status": {"secretName": "x-conn", "endpoint": "a.example", "conditions": [` +
				waiting + `]}}`,
			observed:   map[string]string{"a": obs(ready), "b": obs(ready)},
			now:        created.Add(5 * time.Second),
			want:       []*fnv1.Condition{trueA, trueB},
			wantFields: written,
		},
		"ProviderSaysWhyWhileSettling": {
			reason:   "What a provider says is said at once, within the window too.",
			xr:       xrJSON("2026-12-05T06:00:00Z", waiting),
			observed: map[string]string{"a": obs(ready), "b": obs(failing)},
			now:      created.Add(5 * time.Second),
			want: []*fnv1.Condition{heldA, cond("BReady", fnv1.Status_STATUS_CONDITION_FALSE, "Creating",
				"waiting for b (Ready=False: ReconcileError): GitHub answered 503")},
			wantFields: kept,
		},
		"RecoveryWhileSettling": {
			reason: "A part that had failed (reason other than Creating) says it is ready at once.",
			xr: xrJSON("2026-12-05T06:00:00Z", `{"type": "AReady", "status": "False", "reason": "SyncFailed", "message": "the provider cannot apply a"}, `+
				`{"type": "BReady", "status": "False", "reason": "Creating", "message": "waiting for b"}`),
			observed:   map[string]string{"a": obs(ready), "b": obs(creating)},
			now:        created.Add(5 * time.Second),
			want:       []*fnv1.Condition{trueA, waitB},
			wantFields: kept,
		},
		"FirstReconcile": {
			reason:     "Nothing observed on the composite yet: a condition is said as it is, and no field is written before it was.",
			xr:         `{"metadata": {"name": "x", "creationTimestamp": "2026-12-05T06:00:00Z"}}`,
			observed:   map[string]string{"a": obs(ready)},
			now:        created.Add(time.Second),
			want:       []*fnv1.Condition{trueA, waitB},
			wantFields: map[string]string{},
		},
		"AfterTheWindow": {
			reason:     "Created CreationWindow ago: every step as it happens.",
			xr:         xrJSON("2026-12-05T06:00:00Z", waiting),
			observed:   map[string]string{"a": obs(ready), "b": obs(creating)},
			now:        created.Add(CreationWindow),
			want:       []*fnv1.Condition{trueA, waitB},
			wantFields: written,
		},
		"NoCreationTimestamp": {
			reason:     "An XR file without metadata.creationTimestamp (crossplane render): every step as it happens.",
			xr:         xrJSON("", waiting),
			observed:   map[string]string{"a": obs(ready), "b": obs(creating)},
			now:        created.Add(5 * time.Second),
			want:       []*fnv1.Condition{trueA, waitB},
			wantFields: written,
		},
		"NoClock": {
			reason:     "A caller without a clock (zero Now): every step as it happens.",
			xr:         xrJSON("2026-12-05T06:00:00Z", waiting),
			observed:   map[string]string{"a": obs(ready), "b": obs(creating)},
			want:       []*fnv1.Condition{trueA, waitB},
			wantFields: written,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := observedResources(tc.observed)
			x := resource.MustStructJSON(tc.xr)
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{
				Composite: &fnv1.Resource{Resource: x}, Resources: o,
			}}
			xr := &Composite{Object: x, APIVersion: "v", Kind: "XDatabase", Name: "x"}
			if ts, _ := pb.String(x, "metadata", "creationTimestamp"); ts != "" {
				xr.Created, _ = time.Parse(time.RFC3339, ts)
			}
			s := NewSet(req, xr, "database")
			s.Add("a", "v1", "A", "x-a", pb.Fields{})
			s.Add("b", "v1", "B", "x-b", pb.Fields{})
			fields := pb.Fields{"secretName": pb.Str("x-conn")}
			if s.IsReady("a") {
				fields["endpoint"] = pb.Str("a.example")
			}
			rsp := &fnv1.RunFunctionResponse{}
			s.WriteStatus(rsp, Status{
				Fields:     fields,
				Conditions: []*fnv1.Condition{s.Condition("AReady", "a"), s.Condition("BReady", "b")},
				Now:        tc.now,
			})
			if diff := cmp.Diff(tc.want, rsp.GetConditions(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nWriteStatus(...) conditions: -want, +got:\n%s", tc.reason, diff)
			}
			got := map[string]string{}
			for k, v := range pb.Struct(rsp.GetDesired().GetComposite().GetResource(), "status").GetFields() {
				got[k] = v.GetStringValue()
			}
			if diff := cmp.Diff(tc.wantFields, got); diff != "" {
				t.Errorf("%s\nWriteStatus(...) status fields: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestWriteStatusSettlingDeletionProtected: DeletionProtected turning True
// (every Usage in force) is said at once while the parts' good news waits:
// a team deleting its claim right after Ready reads it. A nested
// composite's waits with the rest: the composite that composed it repeats
// it in its own.
func TestWriteStatusSettlingDeletionProtected(t *testing.T) {
	created := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	inForce := `{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	for name, tc := range map[string]struct {
		observedReason string
		nested         bool
		wantStatus     fnv1.Status
		wantReason     string
	}{
		"Pending":       {observedReason: ReasonUsagePending, wantStatus: fnv1.Status_STATUS_CONDITION_TRUE, wantReason: ReasonInUse},
		"OtherWise":     {observedReason: "SomethingElse", wantStatus: fnv1.Status_STATUS_CONDITION_TRUE, wantReason: ReasonInUse},
		"NestedPending": {observedReason: ReasonUsagePending, nested: true, wantStatus: fnv1.Status_STATUS_CONDITION_FALSE, wantReason: ReasonUsagePending},
	} {
		t.Run(name, func(t *testing.T) {
			x := resource.MustStructJSON(`{"metadata": {"name": "x", "creationTimestamp": "2026-12-05T06:00:00Z"}, "status": {"conditions": [` +
				`{"type": "DeletionProtected", "status": "False", "reason": "` + tc.observedReason + `", "message": "not yet in force"}]}}`)
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{
				Composite: &fnv1.Resource{Resource: x},
				Resources: map[string]*fnv1.Resource{
					"db":         {Resource: resource.MustStructJSON(inForce)},
					"protect-db": {Resource: resource.MustStructJSON(inForce)},
				},
			}}
			xr := &Composite{Object: x, APIVersion: "v", Kind: "XDatabase", Name: "x", Created: created}
			if tc.nested {
				xr.Nested = "XServiceBundle b (uid u)"
			}
			s := NewSet(req, xr, "database")
			s.Add("db", "v1", "Instance", "x-db", pb.Fields{})
			s.Add("app", "v1", "App", "x-app", pb.Fields{})
			s.Protect("app", "deploys from it", Kept{Name: "db"})
			rsp := &fnv1.RunFunctionResponse{}
			s.WriteStatus(rsp, Status{Now: created.Add(5 * time.Second)})
			var got *fnv1.Condition
			for _, c := range rsp.GetConditions() {
				if c.GetType() == DeletionConditionType {
					got = c
				}
			}
			if !s.settling(created.Add(5 * time.Second)) {
				t.Fatal("the composite is not settling: the case tests nothing")
			}
			if got.GetStatus() != tc.wantStatus || got.GetReason() != tc.wantReason {
				t.Errorf("observed DeletionProtected False %s while settling: got %v %s, want %v %s", tc.observedReason, got.GetStatus(), got.GetReason(), tc.wantStatus, tc.wantReason)
			}
		})
	}
}

// TestWriteStatusPublishesFirst: a nested composite that becomes ready
// writes its new status fields in one reconcile and says it is ready in
// the next, so that no reconcile writes both (core's two writes race the
// next reconcile); once the fields are as observed, Ready and the
// conditions come. A composite of its own says both at once.
func TestWriteStatusPublishesFirst(t *testing.T) {
	ready := `{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	waiting := `{"type": "DatabaseReady", "status": "False", "reason": "Creating", "message": "waiting for its composed resources"}`
	cases := map[string]struct {
		reason    string
		nested    bool
		xr        string
		wantReady fnv1.Ready
		wantCond  fnv1.Status
		wantEP    string
		// wantDetails: the connection details are published.
		wantDetails bool
	}{
		"NestedFieldsFirst": {
			reason:    "Nested, everything ready, the endpoint not written yet: the fields now, Ready and DatabaseReady a reconcile later.",
			nested:    true,
			xr:        `{"status": {"conditions": [` + waiting + `]}}`,
			wantReady: fnv1.Ready_READY_FALSE, wantCond: fnv1.Status_STATUS_CONDITION_FALSE, wantEP: "db.example.org",
		},
		"NestedThenReady": {
			reason:    "Nested, the fields as observed: Ready and DatabaseReady now.",
			nested:    true,
			xr:        `{"status": {"endpoint": "db.example.org", "conditions": [` + waiting + `]}}`,
			wantReady: fnv1.Ready_READY_TRUE, wantCond: fnv1.Status_STATUS_CONDITION_TRUE, wantEP: "db.example.org", wantDetails: true,
		},
		"NestedChangedWhileReady": {
			reason:    "Nested and ready before, its endpoint changes: the field now; DatabaseReady was True and stays so, Ready follows a reconcile later.",
			nested:    true,
			xr:        `{"status": {"endpoint": "old.example.org", "conditions": [{"type": "DatabaseReady", "status": "True", "reason": "Available", "message": "all 1 composed resources are ready"}]}}`,
			wantReady: fnv1.Ready_READY_FALSE, wantCond: fnv1.Status_STATUS_CONDITION_TRUE, wantEP: "db.example.org",
		},
		"OfItsOwn": {
			reason:    "A composite of its own (a claim's): the fields, the connection details and Ready at once.",
			xr:        `{"status": {"conditions": [` + waiting + `]}}`,
			wantReady: fnv1.Ready_READY_TRUE, wantCond: fnv1.Status_STATUS_CONDITION_TRUE, wantEP: "db.example.org", wantDetails: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			x := resource.MustStructJSON(tc.xr)
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{
				Composite: &fnv1.Resource{Resource: x},
				Resources: map[string]*fnv1.Resource{"a": {Resource: resource.MustStructJSON(ready)}},
			}}
			xr := &Composite{Object: x, APIVersion: "v", Kind: "XDatabase", Name: "x"}
			if tc.nested {
				xr.Nested = "XServiceBundle b (uid u)"
			}
			s := NewSet(req, xr, "database")
			s.Add("a", "v1", "A", "x-a", pb.Fields{})
			rsp := &fnv1.RunFunctionResponse{}
			s.WriteStatus(rsp, Status{
				Fields:            pb.Fields{"endpoint": pb.Str("db.example.org")},
				ConnectionDetails: map[string][]byte{"endpoint": []byte("db.example.org")},
				ConditionType:     "DatabaseReady",
			})
			dc := rsp.GetDesired().GetComposite()
			if got := dc.GetReady(); got != tc.wantReady {
				t.Errorf("%s\nWriteStatus(...) ready: got %v, want %v", tc.reason, got, tc.wantReady)
			}
			if got := rsp.GetConditions()[0].GetStatus(); got != tc.wantCond {
				t.Errorf("%s\nWriteStatus(...) DatabaseReady: got %v, want %v", tc.reason, got, tc.wantCond)
			}
			if got := len(dc.GetConnectionDetails()) > 0; got != tc.wantDetails {
				t.Errorf("%s\nWriteStatus(...) connection details published: got %v, want %v (with Ready, which core records in the same update)", tc.reason, got, tc.wantDetails)
			}
			if ep, _ := pb.String(dc.GetResource(), "status", "endpoint"); ep != tc.wantEP {
				t.Errorf("%s\nWriteStatus(...) status.endpoint: got %q, want %q", tc.reason, ep, tc.wantEP)
			}
		})
	}
}

// observedResources are the composed resources as Crossplane sends them,
// from their JSON by name.
func observedResources(js map[string]string) map[string]*fnv1.Resource {
	o := make(map[string]*fnv1.Resource, len(js))
	for n, j := range js {
		o[n] = &fnv1.Resource{Resource: resource.MustStructJSON(j)}
	}
	return o
}
