package compose

import (
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// TestAwait: a resource not composed yet keeps the composite unready and
// is named, with why, in the composer's condition.
func TestAwait(t *testing.T) {
	s := set(nil)
	s.Await("queue", "needs the dead-letter queue's ARN")
	if s.Ready() {
		t.Error("Ready with a resource awaited")
	}
	rsp := &fnv1.RunFunctionResponse{}
	s.WriteStatus(rsp, Status{ConditionType: "QueueReady"})
	if rsp.GetDesired().GetComposite().GetReady() != fnv1.Ready_READY_FALSE {
		t.Error("the composite is ready while a resource is awaited")
	}
	c := rsp.GetConditions()[0]
	if c.GetReason() != "Creating" || !strings.Contains(c.GetMessage(), "waiting for queue (needs the dead-letter queue's ARN)") {
		t.Errorf("condition %v, want Creating naming the awaited queue", c)
	}
}
