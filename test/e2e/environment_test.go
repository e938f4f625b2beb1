//go:build e2e

package e2e

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestEnvironmentConfig: the shipped Compositions name the EnvironmentConfig
// "paved-environment". Crossplane core fetches it as a required resource
// for the function, and what its data.paved sets wins over the function
// input, field by field: here the region and the KMS key of a bucket.
func TestEnvironmentConfig(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns, name = "team-env", "reports"
	const region, key = "us-east-2", "arn:aws:kms:us-east-2:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"
	createNamespace(ctx, t, ns)

	ec := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.crossplane.io/v1beta1",
		"kind":       "EnvironmentConfig",
		"metadata":   map[string]any{"name": "paved-environment"},
		"data":       map[string]any{"paved": map[string]any{"region": region, "kmsKeyId": key}},
	}}
	createAll(ctx, t, ec)
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), ec); err != nil {
			t.Errorf("delete EnvironmentConfig: %v", err)
		}
	})

	r := &claimRun{kind: "BucketClaim", namespace: ns, name: name, want: []string{
		"Bucket", "BucketVersioning", "BucketServerSideEncryptionConfiguration", "BucketPublicAccessBlock",
		"BucketOwnershipControls", "BucketPolicy", "BucketLifecycleConfiguration",
	}, usages: 6}
	r.create(ctx, t, newClaim(r.kind, ns, name, map[string]any{}))

	for _, k := range r.want {
		expect(t, k+" region (from the EnvironmentConfig, not the input's eu-west-1)",
			field(r.composedResource(ctx, t, k), "spec", "forProvider", "region"), region)
	}
	sse := r.composedResource(ctx, t, "BucketServerSideEncryptionConfiguration")
	rules, _ := field(sse, "spec", "forProvider", "rule").([]any)
	kms := ""
	if len(rules) > 0 {
		if byDefault, _ := rules[0].(map[string]any)["applyServerSideEncryptionByDefault"].([]any); len(byDefault) > 0 {
			kms, _ = byDefault[0].(map[string]any)["kmsMasterKeyId"].(string)
		}
	}
	expect(t, "BucketServerSideEncryptionConfiguration kmsMasterKeyId", kms, key)

	r.delete(ctx, t, "")
}
