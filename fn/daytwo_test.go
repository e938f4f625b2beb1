package fn

import (
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// observedInstance is the instance provider-aws reports for an existing
// database: its spec (late-initialised) and atProvider.
func observedInstance(forProvider, atProvider string) map[string]*fnv1.Resource {
	return map[string]*fnv1.Resource{"instance": {Resource: mustStructJSON(`{
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
			want:     db + `spec.version: invalid value "15": 16 or later, the major version the existing database runs (16.3): RDS cannot downgrade a database`,
		},
		"MinorPinBelowOtherMajor": {
			reason:   "A minor version of a lower major version is a downgrade.",
			spec:     `{"engine": "postgresql", "size": "small", "version": "15.7"}`,
			observed: observedInstance(`{"engine": "postgres", "engineVersion": "16", "allocatedStorage": 20}`, `{"engineVersionActual": "16.3"}`),
			want:     db + `spec.version: invalid value "15.7": 16 or later, the major version the existing database runs (16.3): RDS cannot downgrade a database`,
		},
		"MySQLDowngrade": {
			reason:   "MySQL 8.4 cannot go back to 8.0.",
			spec:     `{"engine": "mysql", "size": "small", "version": "8.0"}`,
			observed: observedInstance(`{"engine": "mysql", "engineVersion": "8.4"}`, `{"engineVersionActual": "8.4.3"}`),
			want:     db + `spec.version: invalid value "8.0": 8.4 or later, the major version the existing database runs (8.4.3): RDS cannot downgrade a database`,
		},
		"ShrinkAndDowngrade": {
			reason:   "Every refused change is named at once.",
			spec:     `{"engine": "postgresql", "size": "small", "version": "14", "storageGB": 30}`,
			observed: observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 40}`, `{}`),
			want: db + `spec.storageGB: invalid value 30: at least 40, the storage the existing database has: RDS cannot shrink allocated storage; ` +
				`spec.version: invalid value "14": 15 or later, the major version the existing database runs (15): RDS cannot downgrade a database`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			// A first request with nothing observed comes first: the
			// refusal must not depend on what the function saw before.
			if _, err := run(f, runReq(input, &fnv1.State{Composite: xdatabase(tc.spec)})); err != nil {
				t.Fatal(err)
			}
			rsp, err := run(f, runReq(input, &fnv1.State{Composite: xdatabase(tc.spec), Resources: tc.observed}))
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
		"MinorPinBehindAutoUpgrade": {
			reason:         "RDS upgraded a claim pinned to 15.7 to 15.8 (autoMinorVersionUpgrade): not refused, and the instance keeps 15.8 rather than asking RDS to go back.",
			spec:           `{"engine": "postgresql", "size": "small", "version": "15.7"}`,
			observed:       observedInstance(`{"engine": "postgres", "engineVersion": "15.7", "allocatedStorage": 20}`, `{"engineVersionActual": "15.8"}`),
			wantVersion:    "15.8",
			wantStorage:    20,
			parameterGroup: "parameter-group-postgres15",
			family:         "postgres15",
		},
		"MinorPinFarBehind": {
			reason:         "A claim's minor version below the running one within its major version is no downgrade either.",
			spec:           `{"engine": "postgresql", "size": "small", "version": "15.3"}`,
			observed:       observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 20}`, `{"engineVersionActual": "15.7"}`),
			wantVersion:    "15.7",
			wantStorage:    20,
			parameterGroup: "parameter-group-postgres15",
			family:         "postgres15",
		},
		"MinorPinAhead": {
			reason:         "A claim's minor version above the running one is a minor upgrade, applied as asked.",
			spec:           `{"engine": "postgresql", "size": "small", "version": "15.10"}`,
			observed:       observedInstance(`{"engine": "postgres", "engineVersion": "15.7", "allocatedStorage": 20}`, `{"engineVersionActual": "15.9"}`),
			wantVersion:    "15.10",
			wantStorage:    20,
			parameterGroup: "parameter-group-postgres15",
			family:         "postgres15",
		},
		"MySQLPatchBehind": {
			reason:         "MySQL's minor version is its third number: 8.0.36 while 8.0.39 runs keeps 8.0.39.",
			spec:           `{"engine": "mysql", "size": "small", "version": "8.0.36"}`,
			observed:       observedInstance(`{"engine": "mysql", "engineVersion": "8.0.36", "allocatedStorage": 20}`, `{"engineVersionActual": "8.0.39"}`),
			wantVersion:    "8.0.39",
			wantStorage:    20,
			parameterGroup: "parameter-group-mysql8-0",
			family:         "mysql8.0",
		},
		"DefaultKeepsRunningMajor": {
			reason:         "A claim without a version on an existing MySQL 8.0 database keeps 8.0: the new default (8.4) is for new databases, never a silent major upgrade.",
			spec:           `{"engine": "mysql", "size": "small"}`,
			observed:       observedInstance(`{"engine": "mysql", "engineVersion": "8.0", "allocatedStorage": 20}`, `{"engineVersionActual": "8.0.39"}`),
			wantVersion:    "8.0",
			wantStorage:    20,
			parameterGroup: "parameter-group-mysql8-0",
			family:         "mysql8.0",
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
			rsp, err := run(New(logging.NewNopLogger()), runReq(input, &fnv1.State{Composite: xdatabase(tc.spec), Resources: tc.observed}))
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

func TestRunFunctionStandardSupport(t *testing.T) {
	const db = "invalid DatabaseClaim orders/orders-db: "
	t.Run("NewPastStandardSupport", func(t *testing.T) {
		// Dates past for good (fn/database supportCalendar): these cases
		// hold whatever day the test runs.
		cases := map[string]struct{ spec, want string }{
			"MySQL80": {
				spec: `{"engine": "mysql", "size": "small", "version": "8.0"}`,
				want: db + `spec.version: invalid value "8.0": a version in RDS standard support (the default is "8.4"): MySQL 8.0 reached the end of RDS standard support on 2026-07-31, and RDS enrols a new database on it in paid RDS Extended Support`,
			},
			"MySQL80Patch": {
				spec: `{"engine": "mysql", "size": "small", "version": "8.0.39"}`,
				want: db + `spec.version: invalid value "8.0.39": a version in RDS standard support (the default is "8.4"): MySQL 8.0 reached the end of RDS standard support on 2026-07-31, and RDS enrols a new database on it in paid RDS Extended Support`,
			},
			"PostgreSQL13": {
				spec: `{"engine": "postgresql", "size": "small", "version": "13.15"}`,
				want: db + `spec.version: invalid value "13.15": a version in RDS standard support (the default is "15"): PostgreSQL 13 reached the end of RDS standard support on 2026-02-28, and RDS enrols a new database on it in paid RDS Extended Support`,
			},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				rsp, err := run(New(logging.NewNopLogger()), runReq(input, &fnv1.State{Composite: xdatabase(tc.spec)}))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(refused("DatabaseReady", "InvalidClaim", tc.want), rsp, protocmp.Transform()); diff != "" {
					t.Errorf("RunFunction(...): -want rsp, +got rsp:\n%s", diff)
				}
			})
		}
	})
	t.Run("BundleNewPastStandardSupport", func(t *testing.T) {
		// A ServiceBundle refuses its new database's version up front,
		// before it creates its repository; one that exists is the nested
		// composite's to judge (composed as it is, with its condition).
		bundleConditions := []string{"RepositoryReady", "CatalogRegistered", "DatabaseReady", "DeliveryReady"}
		spec := `{"description": "Orders API", "template": "node-service", "database": {"engine": "mysql", "size": "small", "version": "8.0"}}`
		req := runReq(bundleInput, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api", spec)})
		rsp, err := run(New(logging.NewNopLogger()), req)
		if err != nil {
			t.Fatal(err)
		}
		want := refusedAll(bundleConditions, "InvalidClaim", `invalid ServiceBundle orders/orders-api: spec.database.version: invalid value "8.0": a version in RDS standard support (the default is "8.4"): MySQL 8.0 reached the end of RDS standard support on 2026-07-31, and RDS enrols a new database on it in paid RDS Extended Support`)
		want.Requirements = rsp.GetRequirements()
		if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
			t.Errorf("new database: -want rsp, +got rsp:\n%s", diff)
		}

		req.Observed.Resources = map[string]*fnv1.Resource{"database": {Resource: mustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "orders-api-x7k2p-database"}}`)}}
		rsp, err = run(New(logging.NewNopLogger()), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rsp.GetResults() {
			t.Errorf("existing database: unexpected result %s: %s", r.GetSeverity(), r.GetMessage())
		}
		if _, ok := rsp.GetDesired().GetResources()["database"]; !ok {
			t.Error("existing database: the nested database is not composed")
		}
	})
	t.Run("DefaultIsInStandardSupport", func(t *testing.T) {
		rsp, err := run(New(logging.NewNopLogger()), runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "mysql", "size": "small"}`)}))
		if err != nil {
			t.Fatal(err)
		}
		if got := get(rsp, "instance", fp("engineVersion")); got[".spec.forProvider.engineVersion"] != "8.4" {
			t.Errorf("a new MySQL database without a version: engineVersion %v, want 8.4", got)
		}
	})
	t.Run("ExistingPastStandardSupport", func(t *testing.T) {
		// An existing database past standard support is composed as it
		// is (no surprise major upgrade), and the claim says what it costs.
		rsp, err := run(New(logging.NewNopLogger()), runReq(input, &fnv1.State{
			Composite: xdatabase(`{"engine": "mysql", "size": "small", "version": "8.0"}`),
			Resources: observedInstance(`{"engine": "mysql", "engineVersion": "8.0", "allocatedStorage": 20}`, `{"engineVersionActual": "8.0.39"}`),
		}))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rsp.GetResults() {
			t.Errorf("unexpected result %s: %s", r.GetSeverity(), r.GetMessage())
		}
		if got := get(rsp, "instance", fp("engineVersion")); got[".spec.forProvider.engineVersion"] != "8.0" {
			t.Errorf("engineVersion %v, want 8.0", got)
		}
		msg := `MySQL 8.0 reached the end of RDS standard support on 2026-07-31: RDS bills this database for RDS Extended Support until it runs a version in standard support, and upgrades it itself after 2029-07-31; set spec.version to "8.4" to upgrade (applied in the next maintenance window)`
		want := &fnv1.Condition{Type: "StandardSupport", Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "ExtendedSupport", Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
		var got *fnv1.Condition
		for _, c := range rsp.GetConditions() {
			if c.GetType() == "StandardSupport" {
				got = c
			}
		}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("StandardSupport condition: -want, +got:\n%s", diff)
		}
	})
}
