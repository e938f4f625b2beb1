package compose

import (
	"errors"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/pb"
)

func set(observed map[string]string) *Set {
	req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{}}}
	for n, o := range observed {
		req.Observed.Resources[n] = &fnv1.Resource{Resource: resource.MustStructJSON(o)}
	}
	return NewSet(req, &Composite{Name: "x", UID: "u"}, "test")
}

func TestKeep(t *testing.T) {
	s := set(map[string]string{
		"db":     `{"metadata": {"name": "x-db"}, "spec": {"forProvider": {"identifier": "old-name", "finalSnapshotIdentifier": "Bad--Name"}}}`,
		"bucket": `{"metadata": {"name": "old-bucket"}}`,
		"named":  `{"metadata": {"name": "x-named", "annotations": {"crossplane.io/external-name": "kept-bucket"}}}`,
	})
	cases := map[string]struct{ got, want string }{
		"ObservedKept":       {s.Keep("db", awsrules.DBInstanceIdentifier.Valid, "fresh", "spec", "forProvider", "identifier"), "old-name"},
		"ObservedInvalid":    {s.Keep("db", awsrules.DBSnapshotIdentifier.Valid, "fresh", "spec", "forProvider", "finalSnapshotIdentifier"), "fresh"},
		"FieldUnset":         {s.Keep("db", awsrules.DBInstanceIdentifier.Valid, "fresh", "spec", "forProvider", "name"), "fresh"},
		"NotObserved":        {s.Keep("sg", awsrules.SecurityGroupName.Valid, "fresh", "spec", "forProvider", "name"), "fresh"},
		"AnyValidValue":      {s.Keep("db", func(string) bool { return true }, "fresh", "spec", "forProvider", "finalSnapshotIdentifier"), "Bad--Name"},
		"ExternalName":       {s.KeepExternalName("named", awsrules.S3BucketName.Valid, "fresh"), "kept-bucket"},
		"ExternalNameIsName": {s.KeepExternalName("bucket", awsrules.S3BucketName.Valid, "fresh"), "old-bucket"},
		"ExternalNameAbsent": {s.KeepExternalName("other", awsrules.S3BucketName.Valid, "fresh"), "fresh"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestKeepReadsOnlySpec(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Keep read outside spec: the memo key would not cover it")
		}
	}()
	set(nil).Keep("db", func(string) bool { return true }, "fresh", "status", "atProvider", "id")
}

// Tags derived from the longest claim Kubernetes allows obey AWS's tag
// rules, and two such claims keep distinct tags.
func TestTagsOfLongClaims(t *testing.T) {
	ns := strings.Repeat("n", 63)
	seen := map[string]bool{}
	for _, claim := range []string{strings.Repeat("a", 253), strings.Repeat("a", 252) + "b"} {
		s := NewSet(&fnv1.RunFunctionRequest{}, &Composite{Name: claim, UID: "u", ClaimName: claim, ClaimNamespace: ns}, "database")
		tags := s.Tags().GetStructValue()
		for k, v := range tags.GetFields() {
			if err := awsrules.TagKey.Validate("tags", k); err != nil {
				t.Error(err)
			}
			if err := awsrules.TagValue.Validate("tags["+k+"]", v.GetStringValue()); err != nil {
				t.Error(err)
			}
		}
		c, _ := pb.String(tags, "paved.dev/claim")
		if seen[c] {
			t.Errorf("two claims share the claim tag %q", c)
		}
		seen[c] = true
	}
}

func TestSelector(t *testing.T) {
	got := Selector("bucket").GetStructValue()
	if c, _ := pb.Bool(got, "matchControllerRef"); !c {
		t.Error("selector does not match the controller")
	}
	if l, _ := pb.String(got, "matchLabels", LabelName); l != "bucket" {
		t.Errorf("selector matches %s=%q, want the composed resource's name label", LabelName, l)
	}
	// The label is one every composed resource carries.
	if l := set(nil).Labels("bucket")[LabelName]; l != "bucket" {
		t.Errorf("composed resources carry %s=%q", LabelName, l)
	}
}

func TestParsed(t *testing.T) {
	xr := &Composite{Name: "x"}
	calls := 0
	parse := func(c *Composite) (string, error) {
		calls++
		return "parsed " + c.Name, errors.New("bad claim")
	}
	for range 3 {
		v, err := Parsed(xr, parse)
		if v != "parsed x" || err == nil || err.Error() != "bad claim" {
			t.Errorf("Parsed: got %q, %v; want what parse returned", v, err)
		}
	}
	if calls != 1 {
		t.Errorf("parse ran %d times for one composite, want once", calls)
	}
	if v, _ := Parsed(&Composite{Name: "y"}, parse); v != "parsed y" || calls != 2 {
		t.Errorf("another composite: got %q after %d parses, want its own parse", v, calls)
	}
}

// TestObservedCompositeClaim reads the claim a composite names: all of
// spec.claimRef (its apiVersion and kind included, which a nested
// composite's claim reference repeats), or Crossplane's labels; and whether
// a claim could bind it (no spec.claimRef).
func TestObservedCompositeClaim(t *testing.T) {
	type claim struct{ APIVersion, Kind, Name, Namespace string }
	cases := map[string]struct {
		reason   string
		xr       string
		want     claim
		bindable bool
	}{
		"ClaimRef": {
			reason: "Crossplane records a claim's composite's claim in spec.claimRef.",
			xr: `{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XServiceBundle", "metadata": {"name": "orders-api-x7k2p", "uid": "u"},
				"spec": {"claimRef": {"apiVersion": "platform.paved.dev/v1beta1", "kind": "ServiceBundle", "name": "orders-api", "namespace": "team-orders"}}}`,
			want: claim{"platform.paved.dev/v1beta1", "ServiceBundle", "orders-api", "team-orders"},
		},
		"Labels": {
			reason: "Without spec.claimRef, Crossplane's claim labels name it; its apiVersion and kind are unknown.",
			xr: `{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "orders-db-x7k2p", "uid": "u",
				"labels": {"crossplane.io/claim-name": "orders-db", "crossplane.io/claim-namespace": "orders"}}, "spec": {}}`,
			want:     claim{Name: "orders-db", Namespace: "orders"},
			bindable: true,
		},
		"None": {
			reason:   "A composite made without a claim names none, and any claim could bind it.",
			xr:       `{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "orders-db", "uid": "u"}, "spec": {}}`,
			bindable: true,
		},
		"Platform": {
			reason: "A composite made without a claim and bound to itself (PlatformClaimRef) names no claim, and no claim can bind it.",
			xr: `{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "orders-db", "uid": "u",
				"labels": {"crossplane.io/claim-name": "orders-db", "crossplane.io/claim-namespace": "orders"}},
				"spec": {"claimRef": ` + PlatformClaimRef("platform.paved.dev/v1alpha1", "XDatabase", "orders-db") + `}}`,
		},
		"NamespacedNone": {
			reason: "A namespaced composite has no claim, and no claim can bind it.",
			xr:     `{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket", "metadata": {"name": "orders", "namespace": "team-orders", "uid": "u"}, "spec": {}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := ObservedComposite(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(tc.xr)}}})
			if err != nil {
				t.Fatal(err)
			}
			got := claim{c.ClaimAPIVersion, c.ClaimKind, c.ClaimName, c.ClaimNamespace}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nObservedComposite(...) claim: -want, +got:\n%s", tc.reason, diff)
			}
			if c.Bindable() != tc.bindable {
				t.Errorf("%s\nObservedComposite(...).Bindable() = %v, want %v", tc.reason, c.Bindable(), tc.bindable)
			}
		})
	}
}

func TestObservedCompositeNested(t *testing.T) {
	cases := map[string]struct {
		reason string
		refs   string
		want   string
	}{
		"OwnComposite": {reason: "A claim's composite has no controller reference: not nested.", refs: `[]`},
		"NotController": {
			reason: "An owner that is not the controller does not make it nested.",
			refs:   `[{"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "uid": "c1"}]`,
		},
		"Composed": {
			reason: "Crossplane's controller reference to the composite that composed it: nested.",
			refs:   `[{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XServiceBundle", "name": "orders-api-x7k2p", "uid": "b1", "controller": true}]`,
			want:   "XServiceBundle orders-api-x7k2p (uid b1)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr := `{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "orders-api-x7k2p-database", "uid": "u", "ownerReferences": ` + tc.refs + `}, "spec": {}}`
			c, err := ObservedComposite(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}}})
			if err != nil {
				t.Fatal(err)
			}
			if c.Nested != tc.want {
				t.Errorf("%s\nObservedComposite(...).Nested = %q, want %q", tc.reason, c.Nested, tc.want)
			}
		})
	}
}
