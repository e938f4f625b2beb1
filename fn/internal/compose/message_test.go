package compose

import (
	"strings"
	"testing"
	"unicode/utf8"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/pb"
)

func TestProviderMessage(t *testing.T) {
	// 16 bytes, then two-byte characters: the cut at 509 bytes falls inside
	// one and moves back to 508.
	long := "GitHub answered:" + strings.Repeat("é", 600)
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"Plain": {
			reason: "A provider's message without credentials is carried as it is.",
			in:     "observe failed: cannot get repository from GitHub: GET http://127.0.0.1:41234/repos/acme/orders-api: 503 Service Unavailable []",
			want:   "observe failed: cannot get repository from GitHub: GET http://127.0.0.1:41234/repos/acme/orders-api: 503 Service Unavailable []",
		},
		"OneLine": {
			reason: "Line breaks and tabs (an error body, a stack) become spaces; the provider's own spaces stay (AWS quotes character sets).",
			in:     "cannot apply:\nfield a\tfield b; from the following set:  a-zA-Z0-9. _-\n",
			want:   "cannot apply: field a field b; from the following set:  a-zA-Z0-9. _-",
		},
		"URLUserinfo": {
			reason: "User information in a URL is a credential.",
			in:     `Get "https://platform:s3cr3t-pass@backstage.example.com/api/catalog/locations": EOF`,
			want:   `Get "https://[redacted]@backstage.example.com/api/catalog/locations": EOF`,
		},
		"BearerToken": {
			reason: "An Authorization header value is a credential.",
			in:     "request Authorization: Bearer 3f9a0c1d2e4b5a6978 refused",
			want:   "request Authorization: Bearer [redacted] refused",
		},
		"TokenProse": {
			reason: "The word token followed by prose is not a credential.",
			in:     "GitHub rejected the credentials: token expired, regenerate the token credentials",
			want:   "GitHub rejected the credentials: token expired, regenerate the token credentials",
		},
		"GitHubTokens": {
			reason: "GitHub's token formats are recognised by their prefixes wherever they appear.",
			in:     "bad token ghp_16C7e42F292c6912E7710c838347Ae178B4a and github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv, ghs_abcdefghijklmnopqrstuvwxyz0123",
			want:   "bad token [redacted] and [redacted], [redacted]",
		},
		"Bounded": {
			reason: "A long message is cut at a character boundary, with an ellipsis, within MaxProviderMessage bytes.",
			in:     long,
			want:   "GitHub answered:" + strings.Repeat("é", 246) + "…",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ProviderMessage(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nProviderMessage(...): -want, +got:\n%s", tc.reason, diff)
			}
			if len(got) > MaxProviderMessage || !utf8.ValidString(got) {
				t.Errorf("%s\nProviderMessage(...) is %d bytes (at most %d), valid UTF-8: %t", tc.reason, len(got), MaxProviderMessage, utf8.ValidString(got))
			}
		})
	}
}

// The conditions a composer reports carry each composed resource's own
// Ready and Synced reason and message, through ProviderMessage.
func TestConditionCarriesProviderWords(t *testing.T) {
	secret := "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
	cases := map[string]struct {
		reason   string
		observed string
		want     string
	}{
		"ReadyMessage": {
			reason:   "A Ready=False condition's message is told after its reason.",
			observed: `{"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Unavailable", "message": "the location is registered; waiting for the catalog to read entities from it"}]}}`,
			want:     "waiting for a (Ready=False: Unavailable): the location is registered; waiting for the catalog to read entities from it",
		},
		"SyncedMessageRedactedAndBounded": {
			reason:   "A Synced=False message reaches the claim redacted and bounded.",
			observed: `{"status": {"conditions": [{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "observe failed: token ` + secret + ` ` + strings.Repeat("x", 1000) + `"}]}}`,
			want:     "the provider cannot apply a (Synced=False: ReconcileError): " + ProviderMessage("observe failed: token "+secret+" "+strings.Repeat("x", 1000)),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{
				"a": {Resource: resource.MustStructJSON(tc.observed)},
			}}}, &Composite{APIVersion: "v", Kind: "XServiceBundle", Name: "x"}, "service")
			s.Add("a", "v1", "A", "x-a", pb.Fields{})
			got := s.Condition("PartReady", "a").GetMessage()
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nCondition(...).Message: -want, +got:\n%s", tc.reason, diff)
			}
			if strings.Contains(got, secret) {
				t.Errorf("%s\nthe condition carries a token: %q", tc.reason, got)
			}
		})
	}
}
