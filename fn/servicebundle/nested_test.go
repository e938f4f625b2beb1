package servicebundle

import (
	"os"
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/fn/internal/compose"
)

// TestNestedOwner checks the spec.claimRef of the nested XDatabase and
// XBucket: always set, always the bundle's own claim (or composite; a
// claimRef in spec.database or spec.bucket is refused by parse), so that no other tenant's DatabaseClaim or
// BucketClaim can bind them (see owner).
func TestNestedOwner(t *testing.T) {
	const spec = `{"description": "Orders API", "owner": "orders", "template": "node-service", "database": {"engine": "postgresql", "size": "small"}, "bucket": {}}`
	claimRef := func(apiVersion, kind, name, namespace string) map[string]any {
		return map[string]any{"apiVersion": apiVersion, "kind": kind, "name": name, "namespace": namespace}
	}
	cases := map[string]struct {
		reason string
		xr     *compose.Composite
		want   map[string]any
	}{
		"Claim": {
			reason: "A claim's bundle binds its nested composites to that claim, as Crossplane recorded it in the bundle's claimRef.",
			xr: &compose.Composite{Object: resource.MustStructJSON(`{"spec": ` + spec + `}`),
				APIVersion: "platform.paved.dev/v1alpha1", Kind: Kind, Name: "orders-api-x7k2p",
				ClaimAPIVersion: "platform.paved.dev/v1beta1", ClaimKind: ClaimKind, ClaimName: "orders-api", ClaimNamespace: "team-orders"},
			want: claimRef("platform.paved.dev/v1beta1", "ServiceBundle", "orders-api", "team-orders"),
		},
		"ClaimFromLabels": {
			reason: "A composite that names its claim only in Crossplane's labels binds them to a ServiceBundle of its own group and version.",
			xr: &compose.Composite{Object: resource.MustStructJSON(`{"spec": ` + spec + `}`),
				APIVersion: "platform.paved.dev/v1alpha1", Kind: Kind, Name: "orders-api-x7k2p",
				ClaimName: "orders-api", ClaimNamespace: "team-orders"},
			want: claimRef("platform.paved.dev/v1alpha1", "ServiceBundle", "orders-api", "team-orders"),
		},
		"NoClaim": {
			reason: "A bundle a platform engineer made without a claim binds them to the bundle's composite: still no claim can bind them.",
			xr: &compose.Composite{Object: resource.MustStructJSON(`{"spec": ` + spec + `}`),
				APIVersion: "platform.paved.dev/v1alpha1", Kind: Kind, Name: "orders-api"},
			want: claimRef("platform.paved.dev/v1alpha1", "XServiceBundle", "orders-api", ""),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := parse(tc.xr)
			if err != nil {
				t.Fatal(err)
			}
			for what, o := range map[string]map[string]any{Database: nestedDatabase(tc.xr, s, nestedClaimRef(tc.xr)).AsMap(), Bucket: nestedBucket(tc.xr, s, nestedClaimRef(tc.xr)).AsMap()} {
				spec, _ := o["spec"].(map[string]any)
				if diff := cmp.Diff(tc.want, spec["claimRef"]); diff != "" {
					t.Errorf("%s\nnested %s spec.claimRef: -want, +got:\n%s", tc.reason, what, diff)
				}
				if _, ok := spec["resourceRef"]; ok {
					t.Errorf("%s\nnested %s has spec.resourceRef", tc.reason, what)
				}
			}
		})
	}
}

// TestNestedCompositions: the Composition the bundle names on its nested
// XDatabase and XBucket is the one their XRDs enforce.
func TestNestedCompositions(t *testing.T) {
	for file, want := range map[string]string{
		"../../apis/database/definition.yaml": databaseComposition,
		"../../apis/bucket/definition.yaml":   bucketComposition,
		"../../apis/queue/definition.yaml":    queueComposition,
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var xrd struct {
			Spec struct {
				EnforcedCompositionRef struct{ Name string } `json:"enforcedCompositionRef"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &xrd); err != nil {
			t.Fatal(err)
		}
		if got := xrd.Spec.EnforcedCompositionRef.Name; got != want {
			t.Errorf("%s enforces %q, the bundle names %q", file, got, want)
		}
	}
}
