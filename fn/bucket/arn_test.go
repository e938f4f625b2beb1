package bucket

import "testing"

func TestARN(t *testing.T) {
	cases := map[string]struct{ region, want string }{
		"Commercial": {"eu-west-1", "arn:aws:s3:::b"},
		"China":      {"cn-northwest-1", "arn:aws-cn:s3:::b"},
		"GovCloud":   {"us-gov-east-1", "arn:aws-us-gov:s3:::b"},
		"ISO":        {"us-iso-east-1", "arn:aws-iso:s3:::b"},
		"ISOB":       {"us-isob-east-1", "arn:aws-iso-b:s3:::b"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := ARN(tc.region, "b"); got != tc.want {
				t.Errorf("ARN(%q, \"b\") = %q, want %q", tc.region, got, tc.want)
			}
		})
	}
}
