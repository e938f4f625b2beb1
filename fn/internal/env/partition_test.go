package env

import "testing"

func TestPartition(t *testing.T) {
	cases := map[string]struct {
		region string
		want   string
		ok     bool
	}{
		"Commercial":        {"eu-west-1", "aws", true},
		"CommercialUS":      {"us-east-1", "aws", true},
		"Israel":            {"il-central-1", "aws", true},
		"China":             {"cn-north-1", "aws-cn", true},
		"GovCloud":          {"us-gov-west-1", "aws-us-gov", true},
		"ISO":               {"us-iso-east-1", "aws-iso", true},
		"ISOB":              {"us-isob-east-1", "aws-iso-b", true},
		"ISOE":              {"eu-isoe-west-1", "aws-iso-e", true},
		"ISOF":              {"us-isof-south-1", "aws-iso-f", true},
		"EuropeanSovereign": {"eusc-de-east-1", "aws-eusc", true},
		"Unknown":           {"xx-west-1", "", false},
		"NotARegion":        {"Europe", "", false},
		"Empty":             {"", "", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Partition(tc.region)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Partition(%q) = %q, %v; want %q, %v", tc.region, got, ok, tc.want, tc.ok)
			}
		})
	}
}
