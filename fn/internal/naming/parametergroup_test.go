package naming

import (
	"strings"
	"testing"
)

func TestRDSParameterGroup(t *testing.T) {
	for _, composite := range []string{
		"orders-db-x7k2p", "9lives", "a.b--c", strings.Repeat("long-name.", 25) + "x", "-", "ÄÖÜ",
	} {
		for _, family := range []string{"postgres15", "mysql8-0"} {
			got := RDSParameterGroup(composite, family)
			if err := ValidRDSParameterGroup(got); err != nil {
				t.Errorf("RDSParameterGroup(%q, %q) = %q: %v", composite, family, got, err)
			}
		}
	}
}

func TestValidRDSParameterGroup(t *testing.T) {
	cases := map[string]bool{
		"orders-db-postgres15":   true,
		"a":                      true,
		"":                       false,
		"9lives":                 false,
		"a--b":                   false,
		"a-":                     false,
		"mysql8.0":               false,
		strings.Repeat("a", 255): true,
		strings.Repeat("a", 256): false,
	}
	for name, ok := range cases {
		if err := ValidRDSParameterGroup(name); (err == nil) != ok {
			t.Errorf("ValidRDSParameterGroup(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}
