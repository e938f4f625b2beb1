package queue

import (
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
)

func TestARN(t *testing.T) {
	cases := map[string]struct{ region, want string }{
		"Commercial": {"eu-west-1", "arn:aws:sqs:eu-west-1:111122223333:q"},
		"China":      {"cn-northwest-1", "arn:aws-cn:sqs:cn-northwest-1:111122223333:q"},
		"GovCloud":   {"us-gov-east-1", "arn:aws-us-gov:sqs:us-gov-east-1:111122223333:q"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := ARN(tc.region, "111122223333", "q"); got != tc.want {
				t.Errorf("ARN(%q) = %q, want %q", tc.region, got, tc.want)
			}
		})
	}
}

// TestAccountOf: the account is read from an observed queue's ARN only
// when it is one; anything else leaves the queue's dependents unmade.
func TestAccountOf(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:sqs:eu-west-1:111122223333:orders-dlq":          "111122223333",
		"arn:aws-cn:sqs:cn-north-1:111122223333:orders-dlq.fifo": "111122223333",
		"arn:aws:sqs:eu-west-1:11112222333:orders":               "",
		"arn:aws:s3:::orders":                                    "",
		"":                                                       "",
	} {
		o := resource.MustStructJSON(`{"status": {"atProvider": {"arn": "` + arn + `"}}}`)
		got, ok := accountOf(o)
		if got != want || ok != (want != "") {
			t.Errorf("accountOf(%q) = %q, %t, want %q", arn, got, ok, want)
		}
	}
	if _, ok := accountOf(nil); ok {
		t.Error("accountOf(nil) found an account")
	}
}
