package fn

import (
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TestTTL: the response's TTL, core's requeue of the composite under
// realtime compositions: a minute once everything is ready, pendingTTL
// while something is not, openTTL while something is not and the
// composite's circuit breaker is open.
func TestTTL(t *testing.T) {
	const (
		closed = `{"status": {"conditions": [{"type": "Responsive", "status": "True", "reason": "WatchCircuitClosed"}]}}`
		open   = `{"status": {"conditions": [{"type": "Responsive", "status": "False", "reason": "WatchCircuitOpen", "message": "Too many watch events from XBucket/b. Allowing events periodically."}]}}`
	)
	cases := map[string]struct {
		xr    string
		ready bool
		want  time.Duration
	}{
		"ReadyClosed":     {xr: closed, ready: true, want: responseTTL},
		"ReadyOpen":       {xr: open, ready: true, want: responseTTL},
		"PendingClosed":   {xr: closed, want: pendingTTL},
		"PendingNoMark":   {xr: `{}`, want: pendingTTL},
		"PendingOpen":     {xr: open, want: openTTL},
		"PendingOpenOnly": {xr: `{"status": {"conditions": [{"type": "Responsive", "status": "False", "reason": "SomethingElse"}]}}`, want: pendingTTL},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := &fnv1.RunFunctionResponse{Meta: &fnv1.ResponseMeta{Ttl: durationpb.New(responseTTL)}}
			withTTL(rsp, tc.ready, circuitOpen(mustStructJSON(tc.xr)))
			if got := rsp.GetMeta().GetTtl().AsDuration(); got != tc.want {
				t.Errorf("TTL: got %s, want %s", got, tc.want)
			}
		})
	}
}
