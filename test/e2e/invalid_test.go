//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// invalidWaitLimit bounds the wait for a refusal, which function-paved
// gives on its first call.
const invalidWaitLimit = 90 * time.Second

// TestInvalidClaims: a claim the platform cannot honour (a size or engine
// that does not exist) is accepted by the API server, and then shows the
// reason on its own conditions or events, naming the field, and composes
// nothing.
func TestInvalidClaims(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns = "team-invalid"
	createNamespace(ctx, t, ns)

	cases := []struct {
		name, field, value string
		spec               map[string]any
	}{
		{"bad-size", "spec.size", "huge", map[string]any{"engine": "postgresql", "size": "huge"}},
		{"bad-engine", "spec.engine", "oracle", map[string]any{"engine": "oracle", "size": "small"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := cp.Client.Create(ctx, newClaim("DatabaseClaim", ns, tc.name, tc.spec)); err != nil {
				t.Fatalf("the API server refused the claim (function-paved, not the schema, is meant to judge it): %v", err)
			}
			var xrName, seen string
			d := eventually(ctx, t, invalidWaitLimit, fmt.Sprintf("DatabaseClaim %s/%s shows why %s %q is refused", ns, tc.name, tc.field, tc.value), func(ctx context.Context) error {
				c, err := get(ctx, claimVersion, "DatabaseClaim", ns, tc.name)
				if err != nil {
					return err
				}
				xrName, _, _ = unstructured.NestedString(c.Object, "spec", "resourceRef", "name")
				if s, _, _ := condition(c, "Ready"); s == "True" {
					return fmt.Errorf("claim is Ready")
				}
				conds, _, _ := unstructured.NestedSlice(c.Object, "status", "conditions")
				for _, cd := range conds {
					m, _ := cd.(map[string]any)
					msg, _ := m["message"].(string)
					if strings.Contains(msg, tc.field) && strings.Contains(msg, tc.value) {
						seen = fmt.Sprintf("condition %v=%v (%v): %s", m["type"], m["status"], m["reason"], msg)
						return nil
					}
				}
				evs, err := events(ctx, ns, "DatabaseClaim", tc.name)
				if err != nil {
					return err
				}
				for _, e := range evs {
					if strings.HasPrefix(e, "Warning") && strings.Contains(e, tc.field) && strings.Contains(e, tc.value) {
						seen = "event " + e
						return nil
					}
				}
				return fmt.Errorf("no condition or warning event on the claim names %s %q; conditions: %s; events: %q", tc.field, tc.value, conditionsString(c), evs)
			})
			t.Logf("figure: DatabaseClaim %s/%s: refusal shown %.2fs after creation: %s", ns, tc.name, d.Seconds(), seen)

			// Nothing composed: the composite lists nothing and no managed
			// resource of any composed kind belongs to the claim.
			if xrName != "" {
				xr, err := get(ctx, claimVersion, "XDatabase", "", xrName)
				if err != nil {
					t.Fatal(err)
				}
				if refs := resourceRefs(xr); len(refs) > 0 {
					t.Errorf("composite %s of an invalid claim composed %v", xrName, refs)
				}
			}
			for _, gvk := range composedKinds {
				l := &unstructured.UnstructuredList{}
				l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
				if err := cp.Client.List(ctx, l, client.MatchingLabels{"crossplane.io/claim-name": tc.name, "crossplane.io/claim-namespace": ns}); err != nil {
					t.Fatal(err)
				}
				for _, o := range l.Items {
					t.Errorf("invalid claim %s composed %s %s", tc.name, o.GetKind(), o.GetName())
				}
			}

			c, err := get(ctx, claimVersion, "DatabaseClaim", ns, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if err := cp.Client.Delete(ctx, c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// composedKinds are every kind paved composes, at the version it composes.
var composedKinds = []schema.GroupVersionKind{
	{Group: "rds.aws.upbound.io", Version: "v1beta1", Kind: "SubnetGroup"},
	{Group: "rds.aws.upbound.io", Version: "v1beta2", Kind: "Instance"},
	{Group: "ec2.aws.upbound.io", Version: "v1beta1", Kind: "SecurityGroup"},
	{Group: "ec2.aws.upbound.io", Version: "v1beta1", Kind: "SecurityGroupRule"},
	{Group: "s3.aws.upbound.io", Version: "v1beta1", Kind: "Bucket"},
	{Group: "s3.aws.upbound.io", Version: "v1beta1", Kind: "BucketVersioning"},
	{Group: "s3.aws.upbound.io", Version: "v1beta1", Kind: "BucketServerSideEncryptionConfiguration"},
	{Group: "s3.aws.upbound.io", Version: "v1beta1", Kind: "BucketPublicAccessBlock"},
	{Group: "s3.aws.upbound.io", Version: "v1beta1", Kind: "BucketOwnershipControls"},
	{Group: "s3.aws.upbound.io", Version: "v1beta1", Kind: "BucketPolicy"},
	{Group: "s3.aws.upbound.io", Version: "v1beta1", Kind: "BucketLifecycleConfiguration"},
}
