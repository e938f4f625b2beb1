package dialect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParameters: a legacy parameter set reads in the namespaced kind with
// its lists of one as objects and its secret references local.
func TestParameters(t *testing.T) {
	for _, tc := range []struct {
		apiVersion, kind string
		in, want         map[string]any
	}{
		{"s3.aws.upbound.io/v1beta1", "BucketServerSideEncryptionConfiguration",
			map[string]any{"bucket": "b", "rule": []any{map[string]any{"applyServerSideEncryptionByDefault": []any{map[string]any{"sseAlgorithm": "aws:kms"}}}}},
			map[string]any{"bucket": "b", "rule": []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms"}}}}},
		{"rds.aws.upbound.io/v1beta2", "Instance",
			map[string]any{"identifier": "i", "passwordSecretRef": map[string]any{"namespace": "crossplane-system", "name": "m", "key": "password"}},
			map[string]any{"identifier": "i", "passwordSecretRef": map[string]any{"name": "m", "key": "password"}}},
	} {
		got, err := Parameters(tc.apiVersion, tc.kind, tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s: -want +got\n%s", tc.kind, d)
		}
		if v, ok := NamespacedKind(tc.apiVersion, tc.kind); !ok || v == tc.apiVersion {
			t.Errorf("%s: no namespaced kind: %q", tc.kind, v)
		}
	}
	if _, err := Parameters("v1", "ConfigMap", map[string]any{}); err == nil {
		t.Error("a kind paved does not compose translated")
	}
}
