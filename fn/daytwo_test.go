package fn

import (
	"context"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// observedInstance is the instance provider-aws reports for an existing
// database: its spec (late-initialised) and atProvider.
func observedInstance(forProvider, atProvider string) map[string]*fnv1.Resource {
	return map[string]*fnv1.Resource{"instance": {Resource: resource.MustStructJSON(`{
		"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
		"spec": {"forProvider": ` + forProvider + `},
		"status": {"atProvider": ` + atProvider + `, "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}
	}`)}}
}

func TestRunFunctionRefusesChanges(t *testing.T) {
	const db = "refused change of DatabaseClaim orders/orders-db, nothing was changed: "
	cases := map[string]struct {
		reason   string
		spec     string
		observed map[string]*fnv1.Resource
		want     string
	}{
		"EngineChange": {
			reason:   "An RDS instance cannot change its engine.",
			spec:     `{"engine": "mysql", "size": "small"}`,
			observed: observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 20}`, `{"engineVersionActual": "15.7"}`),
			want:     db + `spec.engine: invalid value "mysql": "postgresql", the engine the existing database runs: an RDS instance cannot change its engine; create a new claim and migrate the data`,
		},
		"EngineChangeFromAtProvider": {
			reason:   "The engine is read from atProvider when the spec does not have it.",
			spec:     `{"engine": "postgresql", "size": "small"}`,
			observed: observedInstance(`{}`, `{"engine": "mysql"}`),
			want:     db + `spec.engine: invalid value "postgresql": "mysql", the engine the existing database runs: an RDS instance cannot change its engine; create a new claim and migrate the data`,
		},
		"StorageShrink": {
			reason:   "RDS cannot shrink allocated storage.",
			spec:     `{"engine": "postgresql", "size": "small", "storageGB": 50}`,
			observed: observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 100}`, `{}`),
			want:     db + `spec.storageGB: invalid value 50: at least 100, the storage the existing database has: RDS cannot shrink allocated storage`,
		},
		"StorageShrinkToDefault": {
			reason:   "Removing storageGB asks for the default, 20 GiB: a shrink too.",
			spec:     `{"engine": "postgresql", "size": "small"}`,
			observed: observedInstance(`{"engine": "postgres", "engineVersion": "15"}`, `{"allocatedStorage": 50}`),
			want:     db + `spec.storageGB: invalid value 20: at least 50, the storage the existing database has: RDS cannot shrink allocated storage`,
		},
		"MajorDowngrade": {
			reason:   "RDS cannot downgrade a major version.",
			spec:     `{"engine": "postgresql", "size": "small", "version": "15"}`,
			observed: observedInstance(`{"engine": "postgres", "engineVersion": "16", "allocatedStorage": 20}`, `{"engineVersionActual": "16.3"}`),
			want:     db + `spec.version: invalid value "15": 16.3 or later, the version the existing database runs: RDS cannot downgrade a database`,
		},
		"MinorDowngrade": {
			reason:   "A minor version below the running one is a downgrade too.",
			spec:     `{"engine": "postgresql", "size": "small", "version": "15.3"}`,
			observed: observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 20}`, `{"engineVersionActual": "15.7"}`),
			want:     db + `spec.version: invalid value "15.3": 15.7 or later, the version the existing database runs: RDS cannot downgrade a database`,
		},
		"MySQLDowngrade": {
			reason:   "MySQL 8.4 cannot go back to 8.0.",
			spec:     `{"engine": "mysql", "size": "small", "version": "8.0"}`,
			observed: observedInstance(`{"engine": "mysql", "engineVersion": "8.4"}`, `{"engineVersionActual": "8.4.3"}`),
			want:     db + `spec.version: invalid value "8.0": 8.4.3 or later, the version the existing database runs: RDS cannot downgrade a database`,
		},
		"ShrinkAndDowngrade": {
			reason:   "Every refused change is named at once.",
			spec:     `{"engine": "postgresql", "size": "small", "version": "14", "storageGB": 30}`,
			observed: observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 40}`, `{}`),
			want: db + `spec.storageGB: invalid value 30: at least 40, the storage the existing database has: RDS cannot shrink allocated storage; ` +
				`spec.version: invalid value "14": 15 or later, the version the existing database runs: RDS cannot downgrade a database`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			// A first request with nothing observed fills the memo: the
			// refusal must not depend on it.
			if _, err := f.RunFunction(context.Background(), runReq(input, &fnv1.State{Composite: xdatabase(tc.spec)})); err != nil {
				t.Fatal(err)
			}
			rsp, err := f.RunFunction(context.Background(), runReq(input, &fnv1.State{Composite: xdatabase(tc.spec), Resources: tc.observed}))
			if err != nil {
				t.Fatalf("%s\nRunFunction(...): unexpected error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(refused("DatabaseReady", "ChangeRefused", tc.want), rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRunFunctionAcceptsChanges(t *testing.T) {
	cases := map[string]struct {
		reason         string
		spec           string
		observed       map[string]*fnv1.Resource
		wantVersion    string
		wantStorage    float64
		parameterGroup string
		family         string
	}{
		"MajorUpgrade": {
			reason:         "15 to 16 is applied with allowMajorVersionUpgrade and a parameter group of the new family.",
			spec:           `{"engine": "postgresql", "size": "small", "version": "16"}`,
			observed:       observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 20}`, `{"engineVersionActual": "15.7"}`),
			wantVersion:    "16",
			wantStorage:    20,
			parameterGroup: "parameter-group-postgres16",
			family:         "postgres16",
		},
		"MajorOnlyBehindMinor": {
			reason:         "A claim naming only the major version is not a downgrade of the running minor version.",
			spec:           `{"engine": "postgresql", "size": "small", "version": "15", "storageGB": 20}`,
			observed:       observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 20}`, `{"engineVersionActual": "15.7"}`),
			wantVersion:    "15",
			wantStorage:    20,
			parameterGroup: "parameter-group-postgres15",
			family:         "postgres15",
		},
		"StorageGrows": {
			reason:         "Storage can grow.",
			spec:           `{"engine": "mysql", "size": "small", "version": "8.4", "storageGB": 200}`,
			observed:       observedInstance(`{"engine": "mysql", "engineVersion": "8.0", "allocatedStorage": 100}`, `{"engineVersionActual": "8.0.39"}`),
			wantVersion:    "8.4",
			wantStorage:    200,
			parameterGroup: "parameter-group-mysql8-4",
			family:         "mysql8.4",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := New(logging.NewNopLogger()).RunFunction(context.Background(), runReq(input, &fnv1.State{Composite: xdatabase(tc.spec), Resources: tc.observed}))
			if err != nil {
				t.Fatalf("%s\nRunFunction(...): unexpected error: %v", tc.reason, err)
			}
			got := get(rsp, "instance", fp("engineVersion"), fp("allocatedStorage"), fp("allowMajorVersionUpgrade"),
				[]string{"spec", "forProvider", "parameterGroupNameSelector", "matchLabels", "app.kubernetes.io/name"})
			got[".family"] = pb.Get(rsp.GetDesired().GetResources()[tc.parameterGroup].GetResource(), fp("family")...).AsInterface()
			want := map[string]any{
				".spec.forProvider.engineVersion":                                                 tc.wantVersion,
				".spec.forProvider.allocatedStorage":                                              tc.wantStorage,
				".spec.forProvider.allowMajorVersionUpgrade":                                      true,
				".spec.forProvider.parameterGroupNameSelector.matchLabels.app.kubernetes.io/name": tc.parameterGroup,
				".family": tc.family,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want, +got:\n%s", tc.reason, diff)
			}
			for _, r := range rsp.GetResults() {
				t.Errorf("%s\nRunFunction(...): unexpected result %s: %s", tc.reason, r.GetSeverity(), r.GetMessage())
			}
		})
	}
}
