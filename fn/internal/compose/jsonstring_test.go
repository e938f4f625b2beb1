package compose

import (
	"encoding/json"
	"testing"
)

// TestJSONString: whatever a string holds, JSONString writes it as
// json.Marshal does.
func TestJSONString(t *testing.T) {
	for _, v := range []string{
		"arn:aws:sqs:eu-west-1:111122223333:orders-dlq",
		"arn:aws-us-gov:s3:::orders-assets",
		"111122223333",
		"",
		`quote" backslash\ slash/`,
		"<html> & </html>",
		"tab\tnewline\ncontrol\x01del\x7f",
		"ünïcødé \u2028 \u2029",
		"invalid \xff utf-8",
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := JSONString(v); got != string(want) {
			t.Errorf("JSONString(%q) = %s, want %s", v, got, want)
		}
	}
}
