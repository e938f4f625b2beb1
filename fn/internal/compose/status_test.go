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
			want:     cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for b (not created yet)"),
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
			want:     cond(fnv1.Status_STATUS_CONDITION_FALSE, "Creating", "waiting for b (not created yet)"+drift),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := map[string]*fnv1.Resource{}
			for n, js := range tc.observed {
				o[n] = &fnv1.Resource{Resource: resource.MustStructJSON(js)}
			}
			s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: o}}, &Composite{APIVersion: "v", Kind: "XDatabase", Name: "x"}, "database")
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
