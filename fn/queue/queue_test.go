package queue

import (
	"encoding/json"
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

// TestDocumentsAsEncodingJSON: the redrive policies and the queue policy
// are written directly, byte for byte as json.Marshal writes the documents
// they stand for (keys sorted, HTML characters escaped), whatever the ARN
// and account hold.
func TestDocumentsAsEncodingJSON(t *testing.T) {
	marshal := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// ARNs, and strings that need escaping (compose.JSONString's own test
	// has the rest).
	values := []string{
		"arn:aws:sqs:eu-west-1:111122223333:orders-dlq",
		"arn:aws-us-gov:sqs:us-gov-east-1:111122223333:orders.fifo",
		`quote" backslash\ <html> & </html>`,
		"tab\tcontrol\x01 ünïcødé \u2028 invalid \xff",
	}
	for _, v := range values {
		if got, want := redriveAllowPolicy(v), marshal(map[string]any{
			"redrivePermission": "byQueue",
			"sourceQueueArns":   []string{v},
		}); got != want {
			t.Errorf("redriveAllowPolicy(%q):\n got %s\nwant %s", v, got, want)
		}
		for _, n := range []int{MinMaxReceiveCount, DefaultMaxReceiveCount, MaxMaxReceiveCount, 0, -1} {
			if got, want := redrivePolicy(v, n), marshal(map[string]any{
				"deadLetterTargetArn": v,
				"maxReceiveCount":     n,
			}); got != want {
				t.Errorf("redrivePolicy(%q, %d):\n got %s\nwant %s", v, n, got, want)
			}
		}
		for _, account := range []string{"111122223333", v} {
			deny := func(sid string, cond map[string]map[string]string) map[string]any {
				return map[string]any{"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": v, "Condition": cond}
			}
			want := marshal(map[string]any{
				"Version": "2012-10-17",
				"Statement": []any{
					deny("DenyInsecureTransport", map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}}),
					deny("DenyOtherAccounts", map[string]map[string]string{"StringNotEquals": {"aws:PrincipalAccount": account}}),
				},
			})
			if got := Policy(v, account); got != want {
				t.Errorf("Policy(%q, %q):\n got %s\nwant %s", v, account, got, want)
			}
		}
	}
}

// BenchmarkDocuments: the three documents of a queue whose dead-letter
// queue is observed (every reconcile after the first), written directly
// and, for comparison, by json.Marshal from the maps they stand for.
func BenchmarkDocuments(b *testing.B) {
	arn, dlq, account := "arn:aws:sqs:eu-west-1:111122223333:orders", "arn:aws:sqs:eu-west-1:111122223333:orders-dlq", "111122223333"
	b.Run("Direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = redriveAllowPolicy(arn) + redrivePolicy(dlq, DefaultMaxReceiveCount) + Policy(arn, account) + Policy(dlq, account)
		}
	})
	b.Run("EncodingJSON", func(b *testing.B) {
		b.ReportAllocs()
		m := func(v any) string { j, _ := json.Marshal(v); return string(j) }
		policy := func(arn string) string {
			deny := func(sid string, cond map[string]map[string]string) map[string]any {
				return map[string]any{"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": arn, "Condition": cond}
			}
			return m(map[string]any{"Version": "2012-10-17", "Statement": []any{
				deny("DenyInsecureTransport", map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}}),
				deny("DenyOtherAccounts", map[string]map[string]string{"StringNotEquals": {"aws:PrincipalAccount": account}}),
			}})
		}
		for b.Loop() {
			_ = m(map[string]any{"redrivePermission": "byQueue", "sourceQueueArns": []string{arn}}) +
				m(map[string]any{"deadLetterTargetArn": dlq, "maxReceiveCount": DefaultMaxReceiveCount}) + policy(arn) + policy(dlq)
		}
	})
}
