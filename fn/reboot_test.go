package fn

import (
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// TestRunFunctionTLSPendingReboot: a TLS-requiring parameter group newly
// bound to an existing instance takes effect at its next reboot; the claim
// says so (TLSEnforced False, PendingReboot) until a platform operator has
// rebooted the instance and said so, rather than claiming TLS is enforced.
func TestRunFunctionTLSPendingReboot(t *testing.T) {
	group15 := "orders-db-x7k2p-" + testID + "-postgres15"
	observed := func(bound, annotations string) map[string]*fnv1.Resource {
		return map[string]*fnv1.Resource{
			"instance": {Resource: mustStructJSON(`{
				"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
				"metadata": {"name": "orders-db-x7k2p-instance", "annotations": ` + annotations + `},
				"spec": {"forProvider": {"engine": "postgres", "engineVersion": "15", "allocatedStorage": 20, "identifier": "orders-db-x7k2p-` + testID + `"}},
				"status": {"atProvider": {"engineVersionActual": "15.7", "parameterGroupName": "` + bound + `"},
					"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}
			}`)},
			"parameter-group-postgres15": {Resource: mustStructJSON(`{
				"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "ParameterGroup",
				"metadata": {"name": "orders-db-x7k2p-parameter-group-postgres15", "annotations": {"crossplane.io/external-name": "` + group15 + `"}},
				"spec": {"forProvider": {"family": "postgres15"}},
				"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}
			}`)},
		}
	}
	pendingMsg := func(group string) string {
		return "parameter group " + group + ", which requires TLS, was bound to the existing database and takes effect at its next reboot: until then connections without TLS may be accepted. " +
			"A platform operator reboots it (aws rds reboot-db-instance --db-instance-identifier orders-db-x7k2p-" + testID + "), then annotates Instance orders-db-x7k2p-instance with paved.dev/rebooted-for-tls=" + group
	}
	cond := func(status fnv1.Status, reason, msg string) *fnv1.Condition {
		return &fnv1.Condition{Type: "TLSEnforced", Status: status, Reason: reason, Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
	}
	cases := map[string]struct {
		reason      string
		version     string
		observed    map[string]*fnv1.Resource
		wantPending any
		want        *fnv1.Condition
	}{
		"NewlyBound": {
			reason:      "An instance bound to a group that is not paved's (RDS's default) gets paved's group, which waits for a reboot.",
			version:     "15",
			observed:    observed("default.postgres15", `{}`),
			wantPending: group15,
			want:        cond(fnv1.Status_STATUS_CONDITION_FALSE, "PendingReboot", pendingMsg(group15)),
		},
		"BoundWaitingForReboot": {
			reason:      "Once AWS reports paved's group bound, it still waits for the reboot: the Instance remembers it.",
			version:     "15",
			observed:    observed(group15, `{"paved.dev/tls-pending-reboot": "`+group15+`"}`),
			wantPending: group15,
			want:        cond(fnv1.Status_STATUS_CONDITION_FALSE, "PendingReboot", pendingMsg(group15)),
		},
		"RebootedForAnotherGroup": {
			reason:      "A reboot for another group does not count.",
			version:     "15",
			observed:    observed(group15, `{"paved.dev/tls-pending-reboot": "`+group15+`", "paved.dev/rebooted-for-tls": "default.postgres15"}`),
			wantPending: group15,
			want:        cond(fnv1.Status_STATUS_CONDITION_FALSE, "PendingReboot", pendingMsg(group15)),
		},
		"Rebooted": {
			reason:   "After the operator's reboot, TLS is enforced and the Instance forgets the pending reboot.",
			version:  "15",
			observed: observed(group15, `{"paved.dev/tls-pending-reboot": "`+group15+`", "paved.dev/rebooted-for-tls": "`+group15+`"}`),
			want:     cond(fnv1.Status_STATUS_CONDITION_TRUE, "ParameterGroupApplied", "parameter group "+group15+" requires TLS and is in effect"),
		},
		"CreatedWithGroup": {
			reason:   "An instance created with paved's group has it in effect from the start.",
			version:  "15",
			observed: observed(group15, `{}`),
			want:     cond(fnv1.Status_STATUS_CONDITION_TRUE, "ParameterGroupApplied", "parameter group "+group15+" requires TLS and is in effect"),
		},
		"MajorUpgrade": {
			reason:   "Moving from paved's postgres15 group to its postgres16 group keeps TLS required throughout: nothing waits for TLS.",
			version:  "16",
			observed: observed(group15, `{}`),
			want:     cond(fnv1.Status_STATUS_CONDITION_TRUE, "ParameterGroupApplied", "parameter group "+group15+" requires TLS and is in effect"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			// Twice: the same request gives the same answer.
			for range 2 {
				rsp, err := run(f, runReq(input, &fnv1.State{
					Composite: xdatabase(`{"engine": "postgresql", "size": "small", "version": "` + tc.version + `"}`), Resources: tc.observed}))
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rsp.GetResults() {
					t.Errorf("%s\nunexpected result %s: %s", tc.reason, r.GetSeverity(), r.GetMessage())
				}
				got := pb.Get(rsp.GetDesired().GetResources()["instance"].GetResource(), "metadata", "annotations", "paved.dev/tls-pending-reboot").AsInterface()
				if diff := cmp.Diff(tc.wantPending, got); diff != "" {
					t.Errorf("%s\nInstance annotation paved.dev/tls-pending-reboot: -want, +got:\n%s", tc.reason, diff)
				}
				var cond *fnv1.Condition
				for _, c := range rsp.GetConditions() {
					if c.GetType() == "TLSEnforced" {
						cond = c
					}
				}
				if diff := cmp.Diff(tc.want, cond, protocmp.Transform()); diff != "" {
					t.Errorf("%s\nTLSEnforced: -want, +got:\n%s", tc.reason, diff)
				}
			}
		})
	}
}
