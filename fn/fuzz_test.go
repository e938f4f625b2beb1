package fn

import (
	"context"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// FuzzRunFunction feeds arbitrary composite resources to the function and
// checks what must hold for every input: it never fails or panics, it either
// rejects the input with a Fatal result and composes nothing, or composes
// resources that are private, encrypted and protected.
func FuzzRunFunction(f *testing.F) {
	for _, seed := range []string{
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "a"}, "spec": {"engine": "postgresql", "size": "small"}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "b-x"}, "spec": {"engine": "mysql", "size": "large", "version": "8.4", "storageGB": 4096, "publiclyAccessible": false}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "c"}, "spec": {"engine": "postgresql", "size": "small", "publiclyAccessible": true, "storageEncrypted": false}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "9.Bucket..Name"}, "spec": {"noncurrentVersionExpirationDays": 30}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "x"}, "spec": {"publicAccess": true}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "y", "labels": {"crossplane.io/claim-name": "c"}}, "spec": {"claimRef": 7}}`,
		`{"kind": 3, "spec": null}`,
	} {
		f.Add(seed)
	}
	fn := New(logging.NewNopLogger())
	in := runReq(input, nil).GetInput()

	f.Fuzz(func(t *testing.T, xrJSON string) {
		xr := &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(xrJSON), xr); err != nil {
			return // Not an object; Crossplane never sends one.
		}
		req := &fnv1.RunFunctionRequest{Input: in, Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}}}
		rsp, err := fn.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatalf("RunFunction returned an error instead of a result: %v", err)
		}
		fatal := false
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				fatal = true
				if r.GetMessage() == "" {
					t.Error("Fatal result without a message")
				}
			}
		}
		if fatal && len(rsp.GetDesired().GetResources()) > 0 {
			t.Fatalf("rejected input composed %d resources", len(rsp.GetDesired().GetResources()))
		}
		for name, r := range rsp.GetDesired().GetResources() {
			o := r.GetResource()
			kind, _ := pb.String(o, "kind")
			must := map[string]map[string]bool{
				"Instance":                {"storageEncrypted": true, "publiclyAccessible": false, "deletionProtection": true, "skipFinalSnapshot": false, "multiAz": true},
				"BucketPublicAccessBlock": {"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true},
				"Bucket":                  {"forceDestroy": false},
			}[kind]
			for field, want := range must {
				if got, ok := pb.Bool(o, "spec", "forProvider", field); !ok || got != want {
					t.Errorf("%s (%s): spec.forProvider.%s = %v (set: %v), want %v", name, kind, field, got, ok, want)
				}
			}
			if kind == "Instance" {
				if d, _ := pb.Number(o, "spec", "forProvider", "backupRetentionPeriod"); d < 7 {
					t.Errorf("%s: backupRetentionPeriod %v < 7", name, d)
				}
			}
		}
	})
}
