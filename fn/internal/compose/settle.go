package compose

import (
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// CreationWindow is how long after its creation a composite that is not
// ready yet reports its parts' progress in one step (settling): what
// becomes ready within it is said when everything is.
//
// A composite's creation is a burst: within seconds each part is created,
// observed and becomes ready, one after the other (a ServiceBundle's
// database at +2.7 s, repository at +4.1 s, bucket at +3.9 s, catalog
// registration and Ready at +10.5 s on test/e2e's control plane). Said as
// it happened, each step changed the composite's status: its status fields
// (a database's endpoint, a bucket's name, the repository's URL) and a part
// condition turning True, two writes that Crossplane core makes one after
// the other (it applies the function's status fields, then updates the
// conditions: crossplane v2.4.0
// internal/controller/apiextensions/composite/reconciler.go,
// crossplane/crossplane#7062), each a watch event that core's circuit
// breaker counts against the composite, two tokens for an update (100 per
// composite, refilled at one a second: internal/circuit/token_bucket.go
// and mapfunc.go; controller-runtime v0.23 pkg/handler/enqueue_mapped.go
// maps an update's old and new object). A burst of about 110 tokens in
// its first seconds opened the breaker once for almost every bundle
// (docs/performance.md), and while it is open core drops the composite's
// events: its claim then waited for the function's requeue to say that
// the last part was ready. A reconcile that writes twice can also race the
// next one, which writes old conditions back and new ones again
// (docs/performance.md, core's two-write race). Thirty seconds cover the
// burst with room for a loaded control plane (ten bundles created at
// once are Ready within 41–101 s, each of their bursts within its first
// ten seconds); after it, steps come seconds apart at most as fast as the
// breaker refills, and each is said as it happens. The function's
// requeue while the composite waits (pendingTTL, 10 s) bounds how late a
// step held at the window's end is said.
//
// Nothing a reader must act on is held: a condition that turns False, or
// says why in a provider's words (a refusal, GitHub answering 503, a
// registration waiting for Backstage), is said at once; only good news
// waits, at most the window and a requeue.
const CreationWindow = 30 * time.Second

// settling reports whether the composite is being created: not ready,
// and young.
func (s *Set) settling(now time.Time) bool { return !s.Ready() && s.young(now) }

// young reports whether the composite was created less than
// CreationWindow before now. A zero now (a caller without a clock) or a
// composite without metadata.creationTimestamp (an XR file given to
// `crossplane render`) is never young: every step is said as it happens.
func (s *Set) young(now time.Time) bool {
	if now.IsZero() || s.xr.Created.IsZero() {
		return false
	}
	return now.Sub(s.xr.Created) < CreationWindow
}

// settledField is what WriteStatus writes to the status field k while the
// composite is settling: its observed value, nil (left out) while it has
// none. Written as observed, the field does not change; left out before
// it was ever written, it is not removed, since nothing owns it yet (core
// applies the function's status with server-side apply: a field the
// function once wrote and then left out would be removed).
func (s *Set) settledField(k string) *structpb.Value {
	return pb.Get(s.xr.Object, "status", k)
}

// settle holds back the good news among conds while the composite is
// settling: a condition that would turn True stays as observed while the
// observed one only says the part is on its way (False with reason
// Creating). Anything else a condition says, it says at once, and a
// composite of its own says DeletionProtected at once too: that its
// Usages are in force is what a team deleting a claim right after it is
// Ready must read, and a reconcile that races core's two writes (see
// publishesFirst) could leave the claim saying they are not (test/e2e
// TestDatabaseClaim). A nested composite's DeletionProtected (observed
// UsagePending) waits with the rest: only the composite that composed it
// reads it, and repeats it (ReportNested) in its own, which it says at
// once; said apart, it made the reconcile that writes the nested
// composite's fields write its conditions too.
func (s *Set) settle(conds []*fnv1.Condition) {
	for i, c := range conds {
		if c.GetStatus() != fnv1.Status_STATUS_CONDITION_TRUE {
			continue
		}
		o, ok := pb.ConditionOf(s.xr.Object, c.GetType())
		if !ok || o.Status != "False" || (o.Reason != reasonCreating && (o.Reason != ReasonUsagePending || s.xr.Nested == "")) {
			continue
		}
		held := &fnv1.Condition{
			Type:   c.GetType(),
			Status: fnv1.Status_STATUS_CONDITION_FALSE,
			Reason: o.Reason,
			Target: c.Target,
		}
		if o.Message != "" {
			held.Message = &o.Message
		}
		conds[i] = held
	}
}
