package naming

import (
	"regexp"
	"strings"
	"testing"
)

var (
	reRDS = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	reS3  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
)

func TestNames(t *testing.T) {
	long := strings.Repeat("orders-", 40) + "x7k2p"
	cases := map[string]struct {
		got, want string
	}{
		"ObjectShort":      {Object("orders-db-x7k2p", "instance"), "orders-db-x7k2p-instance"},
		"LabelShort":       {LabelValue("orders-db"), "orders-db"},
		"RDSShort":         {RDSIdentifier("orders-db-x7k2p", ""), "orders-db-x7k2p"},
		"RDSLeadingDigit":  {RDSIdentifier("9lives.db", ""), "db-9lives-db"},
		"RDSDots":          {RDSIdentifier("a..b", "final"), "a-b-final"},
		"S3Short":          {S3Bucket("orders-assets-x7k2p"), "orders-assets-x7k2p"},
		"S3Dots":           {S3Bucket("Team.Assets"), "team-assets"},
		"S3TooShort":       {S3Bucket("a"), "a00"},
		"ObjectLongSuffix": {Object(long, "db")[len(Object(long, "db"))-3:], "-db"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestLongNamesStayValidAndDistinct(t *testing.T) {
	a := strings.Repeat("a", 300) + "-one"
	b := strings.Repeat("a", 300) + "-two"
	for _, f := range []struct {
		name string
		fn   func(string) string
		max  int
		re   *regexp.Regexp
	}{
		{"Object", func(s string) string { return Object(s, "instance") }, 253, nil},
		{"LabelValue", LabelValue, 63, nil},
		{"RDSIdentifier", func(s string) string { return RDSIdentifier(s, "final") }, 63, reRDS},
		{"S3Bucket", S3Bucket, 63, reS3},
	} {
		na, nb := f.fn(a), f.fn(b)
		if len(na) > f.max || len(nb) > f.max {
			t.Errorf("%s: too long: %d, %d > %d", f.name, len(na), len(nb), f.max)
		}
		if na == nb {
			t.Errorf("%s: %q and %q collide", f.name, a, b)
		}
		if f.re != nil && (!f.re.MatchString(na) || strings.Contains(na, "--")) {
			t.Errorf("%s: %q is not valid", f.name, na)
		}
		if again := f.fn(a); again != na {
			t.Errorf("%s: not deterministic: %q then %q", f.name, na, again)
		}
	}
}
