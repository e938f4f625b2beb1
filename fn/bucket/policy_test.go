package bucket

import (
	"strings"
	"testing"
)

func TestTLSOnlyPolicy(t *testing.T) {
	// The document filled in is the document encoded for that ARN, even
	// for an ARN JSON must escape.
	for _, arn := range []string{"arn:aws:s3:::orders-7c62fa74a484", "arn:aws-cn:s3:::b", `arn:aws:s3:::a"<b>&\` + "é\u2028"} {
		if got, want := TLSOnlyPolicy(arn), tlsOnlyPolicy(arn); got != want {
			t.Errorf("TLSOnlyPolicy(%q):\n got %s\nwant %s", arn, got, want)
		}
	}
	if n := len(tlsOnlyPolicyParts) - 1; n != 4 || strings.Count(tlsOnlyPolicy("x"), "\"x") != 4 {
		t.Errorf("the policy names the bucket %d times, want 4 (bucket and objects, in each of two statements)", n)
	}
}
