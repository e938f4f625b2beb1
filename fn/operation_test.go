package fn

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/internal/wire"
)

// aug2 is a day on which rds-ca-2019 expires in 20 days in us-east-1
// (2024-08-22) and MySQL 5.7 is past RDS standard support (2024-02-29):
// fn/database/calendar.go.
var aug2 = time.Date(2024, 8, 2, 9, 30, 0, 0, time.UTC)

// dayTwoObjects are what the CronOperation's requirements fetch
// (package/operations/daytwo.yaml): a legacy claim, its composite and its
// RDS Instance as provider-aws reports it, on rds-ca-2019 and MySQL 5.7;
// and a healthy second database.
func dayTwoObjects() (instances, composites, claims []*fnv1.Resource) {
	r := func(j string) *fnv1.Resource { return &fnv1.Resource{Resource: mustStructJSON(j)} }
	instances = []*fnv1.Resource{
		r(`{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
			"metadata": {"name": "legacy-db-x7k2p-instance", "uid": "i-1", "labels": {"crossplane.io/composite": "legacy-db-x7k2p", "app.kubernetes.io/managed-by": "paved", "app.kubernetes.io/component": "database"}},
			"spec": {"forProvider": {"region": "us-east-1", "engine": "mysql", "engineVersion": "5.7", "allocatedStorage": 20, "caCertIdentifier": "rds-ca-2019"}},
			"status": {"atProvider": {"caCertIdentifier": "rds-ca-2019", "engine": "mysql", "engineVersionActual": "5.7.44", "allocatedStorage": 20}}}`),
		r(`{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
			"metadata": {"name": "orders-db-a1b2c-instance", "uid": "i-2", "labels": {"crossplane.io/composite": "orders-db-a1b2c", "app.kubernetes.io/managed-by": "paved", "app.kubernetes.io/component": "database"}},
			"spec": {"forProvider": {"region": "us-east-1", "engine": "postgres", "engineVersion": "16.3", "allocatedStorage": 20, "caCertIdentifier": "rds-ca-rsa2048-g1"}},
			"status": {"atProvider": {"caCertIdentifier": "rds-ca-rsa2048-g1", "engine": "postgres", "engineVersionActual": "16.3", "allocatedStorage": 20}}}`),
	}
	composites = []*fnv1.Resource{
		r(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "legacy-db-x7k2p", "uid": "x-1"},
			"spec": {"engine": "mysql", "version": "5.7", "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "DatabaseClaim", "namespace": "team-ledger", "name": "legacy-db"}}}`),
		r(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "orders-db-a1b2c", "uid": "x-2"},
			"spec": {"engine": "postgresql", "version": "16", "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "DatabaseClaim", "namespace": "team-orders", "name": "orders-db"}}}`),
	}
	claims = []*fnv1.Resource{
		r(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "DatabaseClaim", "metadata": {"name": "legacy-db", "namespace": "team-ledger", "uid": "c-1"}, "spec": {"engine": "mysql", "version": "5.7"}}`),
		r(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "DatabaseClaim", "metadata": {"name": "orders-db", "namespace": "team-orders", "uid": "c-2"}, "spec": {"engine": "postgresql", "version": "16"}}`),
	}
	return instances, composites, claims
}

// operationRequest is what Crossplane v2.4.0's Operation reconciler sends a
// pipeline step (internal/controller/ops/operation/reconciler.go): empty
// desired state and context, the step's input, its bootstrap required
// resources, a tag and core's capabilities; no observed state.
func operationRequest(input string) *fnv1.RunFunctionRequest {
	instances, composites, claims := dayTwoObjects()
	return &fnv1.RunFunctionRequest{
		Meta: &fnv1.RequestMeta{Tag: "op", Capabilities: []fnv1.Capability{
			fnv1.Capability_CAPABILITY_CAPABILITIES, fnv1.Capability_CAPABILITY_REQUIRED_RESOURCES,
			fnv1.Capability_CAPABILITY_CREDENTIALS, fnv1.Capability_CAPABILITY_CONDITIONS, fnv1.Capability_CAPABILITY_REQUIRED_SCHEMAS,
		}},
		Desired: &fnv1.State{},
		Context: &structpb.Struct{Fields: map[string]*structpb.Value{}},
		Input:   mustStructJSON(input),
		RequiredResources: map[string]*fnv1.Resources{
			RequirementInstances:  {Items: instances},
			RequirementComposites: {Items: composites},
			RequirementClaims:     {Items: claims},
		},
	}
}

// serve serves f over gRPC on loopback, as the function's main does with
// --insecure (function-sdk-go's Serve, package wire's codec), and returns
// its address.
func serve(t *testing.T, f *Function) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.ForceServerCodecV2(wire.NewCodec()))
	fnv1.RegisterFunctionRunnerServiceServer(s, f)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// TestDayTwoOperationGRPC: the day-two checks, called over gRPC as
// Crossplane calls an operation function, report on a database whose CA
// expires in 20 days and whose engine left standard support both findings
// (Warning results, the step's output and one Event each on its claim)
// and change nothing: the only desired resources are those Events, and a
// healthy database gets none.
func TestDayTwoOperationGRPC(t *testing.T) {
	f := New(logging.NewNopLogger())
	f.now = func() time.Time { return aug2 }
	conn, err := grpc.NewClient(serve(t, f), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	req := operationRequest(`{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "DayTwoChecks"}`)
	before := proto.Clone(req).(*fnv1.RunFunctionRequest)
	rsp, err := fnv1.NewFunctionRunnerServiceClient(conn).RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(req, before) {
		t.Error("the request was modified")
	}

	var warnings []string
	for _, r := range rsp.GetResults() {
		switch r.GetSeverity() {
		case fnv1.Severity_SEVERITY_WARNING:
			warnings = append(warnings, r.GetReason()+": "+r.GetMessage())
		case fnv1.Severity_SEVERITY_NORMAL:
			if want := "checked 2 databases: 2 findings on 1 (nothing was changed)"; r.GetMessage() != want {
				t.Errorf("summary %q, want %q", r.GetMessage(), want)
			}
		default:
			t.Errorf("result of severity %s: %s", r.GetSeverity(), r.GetMessage())
		}
	}
	wantWarnings := []string{
		"CACertificateExpiry: DatabaseClaim team-ledger/legacy-db: the database's certificate authority rds-ca-2019 expires on 2024-08-22 (20 days)",
		"StandardSupportEnd: DatabaseClaim team-ledger/legacy-db: MySQL 5.7 reached the end of RDS standard support on 2024-02-29",
	}
	if len(warnings) != len(wantWarnings) {
		t.Fatalf("warnings %q, want %d", warnings, len(wantWarnings))
	}
	for i, w := range wantWarnings {
		if !strings.HasPrefix(warnings[i], w) {
			t.Errorf("warning %d %q, want it to start %q", i, warnings[i], w)
		}
	}

	// Nothing but Events, one per finding, on the claim (its uid: kubectl
	// describe selects events by it).
	events := map[string]*structpb.Struct{}
	for name, r := range rsp.GetDesired().GetResources() {
		o := r.GetResource()
		if k, _ := pb.String(o, "kind"); k != "Event" {
			t.Errorf("desired resource %s is a %s: the checks may only report", name, k)
		}
		reason, _ := pb.String(o, "reason")
		events[reason] = o
	}
	for _, check := range []string{database.CheckCACertificate, database.CheckStandardSupport} {
		e := events[check]
		if e == nil {
			t.Errorf("no Event for %s", check)
			continue
		}
		for path, want := range map[string]string{
			"metadata.namespace": "team-ledger", "involvedObject.kind": "DatabaseClaim", "involvedObject.name": "legacy-db",
			"involvedObject.namespace": "team-ledger", "involvedObject.uid": "c-1", "type": "Warning", "lastTimestamp": "2024-08-02T09:30:00Z",
		} {
			if got, _ := pb.String(e, strings.Split(path, ".")...); got != want {
				t.Errorf("%s Event %s = %q, want %q", check, path, got, want)
			}
		}
	}
	if len(events) != 2 {
		t.Errorf("%d Events, want 2", len(events))
	}

	// The output names the database and its findings.
	dbs := rsp.GetOutput().GetFields()["databases"].GetListValue().GetValues()
	if len(dbs) != 1 {
		t.Fatalf("output databases %v, want 1", dbs)
	}
	db := dbs[0].GetStructValue()
	if n, _ := pb.String(db, "subject", "name"); n != "legacy-db" {
		t.Errorf("output subject %q, want legacy-db", n)
	}
	if c, _ := pb.Number(rsp.GetOutput(), "checked"); c != 2 {
		t.Errorf("output checked %v, want 2", c)
	}
	fs := db.GetFields()["findings"].GetListValue().GetValues()
	if len(fs) != 2 {
		t.Fatalf("output findings %v, want 2", fs)
	}
	if d, _ := pb.Number(fs[0].GetStructValue(), "daysLeft"); d != 20 {
		t.Errorf("CA daysLeft %v, want 20", d)
	}
}

// TestDayTwoOperationInput: a bad input fails the Operation (Fatal) with
// what is wrong, and reports nothing.
func TestDayTwoOperationInput(t *testing.T) {
	for in, want := range map[string]string{
		`{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "DayTwoChecks", "caExpiryDays": -1}`:      "caExpiryDays (-1) and supportEndDays (180) must not be negative",
		`{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "DayTwoChecks", "storagePercent": 0}`:     "storagePercent (0) from 1 to 100",
		`{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "DayTwoChecks", "caExpiry": 3}`:           `unknown field "caExpiry"`,
		`{"apiVersion": "fn.paved.dev/v1beta1", "kind": "DayTwoChecks"}`:                           `apiVersion "fn.paved.dev/v1beta1"`,
		`{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "DayTwoChecks", "supportEndDays": "x"}`:   "cannot unmarshal",
		`{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "DayTwoChecks", "storagePercent": 101.0}`: "storagePercent (101) from 1 to 100",
	} {
		f := New(logging.NewNopLogger())
		rsp, err := f.RunFunction(context.Background(), operationRequest(in))
		if err != nil {
			t.Fatal(err)
		}
		rs := rsp.GetResults()
		if len(rs) != 1 || rs[0].GetSeverity() != fnv1.Severity_SEVERITY_FATAL || !strings.Contains(rs[0].GetMessage(), want) {
			t.Errorf("input %s: results %v, want one Fatal containing %q", in, rs, want)
		}
		if len(rsp.GetDesired().GetResources()) > 0 {
			t.Errorf("input %s: desired resources %v, want none", in, rsp.GetDesired().GetResources())
		}
	}
}

// TestDayTwoOperationNamespaced: a namespaced Database (no claim) gets its
// findings itself, the Event in its namespace with its uid; here the
// version drift of an instance autoMinorVersionUpgrade moved ahead.
func TestDayTwoOperationNamespaced(t *testing.T) {
	f := New(logging.NewNopLogger())
	f.now = func() time.Time { return aug2 }
	r := func(j string) *fnv1.Resource { return &fnv1.Resource{Resource: mustStructJSON(j)} }
	req := operationRequest(`{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "DayTwoChecks"}`)
	req.RequiredResources = map[string]*fnv1.Resources{
		RequirementInstances: {Items: []*fnv1.Resource{r(`{"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "Instance",
			"metadata": {"name": "reports-k2j4h-instance", "namespace": "team-b", "labels": {"crossplane.io/composite": "reports"}},
			"spec": {"forProvider": {"region": "eu-west-1", "engine": "mysql", "engineVersion": "8.0.39", "caCertIdentifier": "rds-ca-rsa2048-g1"}},
			"status": {"atProvider": {"engineVersionActual": "8.0.39", "allocatedStorage": 20}}}`)}},
		RequirementComposites: {Items: []*fnv1.Resource{r(`{"apiVersion": "paved.dev/v1alpha1", "kind": "Database",
			"metadata": {"name": "reports", "namespace": "team-b", "uid": "d-9"}, "spec": {"engine": "mysql", "version": "8.0.35"}}`)}},
	}
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	evs := rsp.GetDesired().GetResources()
	if len(evs) != 1 {
		t.Fatalf("desired %v, want one Event", evs)
	}
	for _, e := range evs {
		for path, want := range map[string]string{
			"kind": "Event", "metadata.namespace": "team-b", "reason": database.CheckVersionDrift,
			"involvedObject.kind": "Database", "involvedObject.name": "reports", "involvedObject.namespace": "team-b", "involvedObject.uid": "d-9",
		} {
			if got, _ := pb.String(e.GetResource(), strings.Split(path, ".")...); got != want {
				t.Errorf("Event %s = %q, want %q", path, got, want)
			}
		}
	}
}
