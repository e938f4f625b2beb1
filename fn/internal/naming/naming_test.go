package naming

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/paved-dev/paved/fn/internal/awsrules"
)

func TestNames(t *testing.T) {
	n := Names{Composite: "orders-db-x7k2p", ID: ID("9b2f3c1e-6d7a-4e8b-9c0d-1e2f3a4b5c6d")}
	cases := map[string]struct {
		got, want string
	}{
		"ID":          {n.ID, "7c62fa74a484"},
		"Object":      {n.Object("instance"), "orders-db-x7k2p-instance"},
		"Secret":      {n.Secret("instance-master"), "orders-db-x7k2p-instance-master-" + n.ID},
		"Cloud":       {n.Cloud(awsrules.DBInstanceIdentifier, ""), "orders-db-x7k2p-" + n.ID},
		"CloudSuffix": {n.Cloud(awsrules.DBSnapshotIdentifier, "final"), "orders-db-x7k2p-" + n.ID + "-final"},
		"LabelShort":  {LabelValue("orders-db"), "orders-db"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// The composite name that would make a shortened name if it were not
// shortened must not exist: shortened names have a length no unshortened
// name has.
func TestShortenedNamesCannotBeChosen(t *testing.T) {
	long := strings.Repeat("a", 250)
	short := Object(long, "security-group")
	if len(short) != 253 {
		t.Fatalf("shortened name %q has length %d, want 253", short, len(short))
	}
	// A composite named like the shortened name minus its suffix.
	chosen := strings.TrimSuffix(short, "-security-group")
	if got := Object(chosen, "security-group"); got == short {
		t.Errorf("composite %q yields the shortened name of %q", chosen, long)
	}
}

func TestObjectNamesAreValidAndDistinct(t *testing.T) {
	bases := []string{
		"x", "x-security", "x-security-group", "a.b-x", "a-b-x", "a." + strings.Repeat("b", 240),
		strings.Repeat("a", 235), strings.Repeat("a", 236), strings.Repeat("a", 253),
		strings.Repeat("a", 252) + "b", strings.Repeat("a.", 126) + "a",
	}
	// The suffixes composed with each kind: names of one kind must never
	// collide, also not across composites whose names extend each other.
	kinds := map[string][]string{
		"SubnetGroup": {"subnet-group"}, "SecurityGroup": {"security-group"}, "SecurityGroupRule": {"security-group-rule"},
		"Instance": {"instance"}, "Bucket": {"bucket"}, "Secret": {"instance-connection-" + ID("u"), "instance-master-" + ID("u")},
	}
	for kind, suffixes := range kinds {
		seen := map[string]string{}
		for _, b := range bases {
			for _, s := range suffixes {
				o := Object(b, s)
				if errs := validation.IsDNS1123Subdomain(o); len(errs) > 0 {
					t.Errorf("Object(%q, %q) = %q: %v", b, s, o, errs)
				}
				if other, ok := seen[o]; ok {
					t.Errorf("%s: %q collides with %q", kind, b+"/"+s, other)
				}
				seen[o] = b + "/" + s
				if again := Object(b, s); again != o {
					t.Errorf("not deterministic: %q then %q", o, again)
				}
			}
		}
	}
	for _, b := range bases {
		if v := LabelValue(b); len(validation.IsValidLabelValue(v)) > 0 {
			t.Errorf("LabelValue(%q) = %q is not a label value", b, v)
		}
	}
}

func TestCloudNamesDifferByUID(t *testing.T) {
	a := Names{Composite: "a.b-x", ID: ID("uid-1")}
	b := Names{Composite: "a-b-x", ID: ID("uid-2")}
	for _, r := range []*awsrules.Rule{awsrules.S3BucketName, awsrules.DBInstanceIdentifier, awsrules.SecurityGroupName, awsrules.DBSubnetGroupName} {
		if a.Cloud(r, "") == b.Cloud(r, "") {
			t.Errorf("%s: %q and %q sanitise alike into %q", r.What, a.Composite, b.Composite, a.Cloud(r, ""))
		}
	}
}
