package fn

import (
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// The response is built on function-sdk-go's proto types directly, as its
// response package would (function-sdk-go v0.7.1 response/response.go,
// result.go, condition.go). That package is not imported: through
// function-sdk-go/resource it links crossplane-runtime, controller-runtime's
// client and client-go's scheme of 57 API groups, whose code and start-up
// are most of the function's resident memory (docs/design.md, "Composed
// objects are structured maps"; figures in docs/performance.md).

// responseTTL is how long Crossplane may cache the response, function-sdk-go's
// response.DefaultTTL, and, under realtime compositions (Crossplane v2's
// default), when it reconciles a composite whose resources are all ready
// again: core requeues the composite after the TTL of the response
// (crossplane v2.4.0 internal/controller/apiextensions/composite/reconciler.go,
// "The composer ... explicitly returned a TTL for the composition result.
// Requeue after the TTL expires"), and otherwise only when a watch event
// of the composite or of what it composes gets through its circuit
// breaker.
const responseTTL = time.Minute

// pendingTTL is the TTL while a composed resource is not ready (see
// withTTL). The composite's circuit breaker (internal/circuit: 100 events
// per composite, refilled at one a second) drops the events of a
// composite whose resources change often; the requeue is then the
// composite's only way to see that its last resource became ready, and the
// claim would report it up to responseTTL late. A composite that waits is
// reconciled this often: the TTL bounds how late its claim says what
// changed, at the cost of a function call that, while nothing changed,
// writes nothing.
const pendingTTL = 10 * time.Second

// openTTL is the TTL while a composed resource is not ready and the
// composite's circuit breaker is open. Open, the breaker drops the
// composite's watch events and lets one through every 30 s, for the
// breaker's cooldown (core's defaults, internal/circuit/token_bucket.go):
// the requeue is then how the composite sees each of its parts become
// ready, and with pendingTTL every step of its creation waited up to that
// long. The composite is reconciled this often only while it waits and
// the breaker is open; a reconcile that finds nothing changed writes
// nothing, and so feeds no breaker.
const openTTL = 3 * time.Second

// withTTL sets the response's TTL: pendingTTL while something the
// composite composes is not ready (openTTL while the composite's circuit
// breaker is open, circuitOpen), responseTTL once everything is.
func withTTL(rsp *fnv1.RunFunctionResponse, ready, circuitOpen bool) {
	switch {
	case ready:
	case circuitOpen:
		rsp.Meta.Ttl = durationpb.New(openTTL)
	default:
		rsp.Meta.Ttl = durationpb.New(pendingTTL)
	}
}

// circuitOpen reports whether the composite's circuit breaker was open
// when core began the reconcile: core marks its Responsive condition False
// with reason WatchCircuitOpen on the composite it sends the function, True
// (WatchCircuitClosed) otherwise (crossplane v2.4.0
// internal/controller/apiextensions/composite/reconciler.go, Reconcile;
// apis/apiextensions/v1/conditions.go).
func circuitOpen(xr *structpb.Struct) bool {
	c, ok := pb.ConditionOf(xr, "Responsive")
	return ok && c.Status == "False" && c.Reason == "WatchCircuitOpen"
}

// newResponse is the response to req that passes on its desired state and
// context unchanged, as function-sdk-go's response.To does.
func newResponse(req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta:    &fnv1.ResponseMeta{Tag: req.GetMeta().GetTag(), Ttl: durationpb.New(responseTTL)},
		Desired: req.GetDesired(),
		Context: req.GetContext(),
	}
}

// fatalResult adds a Fatal result: Crossplane stops the pipeline and applies
// nothing of this reconcile.
func fatalResult(rsp *fnv1.RunFunctionResponse, err error) {
	rsp.Results = append(rsp.Results, &fnv1.Result{
		Severity: fnv1.Severity_SEVERITY_FATAL,
		Message:  err.Error(),
		Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
	})
}

// warningResult adds a Warning result with reason, which Crossplane emits as an
// event on the composite and the claim.
func warningResult(rsp *fnv1.RunFunctionResponse, err error, reason string) {
	rsp.Results = append(rsp.Results, &fnv1.Result{
		Severity: fnv1.Severity_SEVERITY_WARNING,
		Message:  err.Error(),
		Reason:   &reason,
		Target:   fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	})
}

// falseCondition sets condition t False with reason and message on the
// composite and the claim.
func falseCondition(rsp *fnv1.RunFunctionResponse, t, reason, message string) {
	rsp.Conditions = append(rsp.Conditions, &fnv1.Condition{
		Type:    t,
		Status:  fnv1.Status_STATUS_CONDITION_FALSE,
		Reason:  reason,
		Message: &message,
		Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	})
}
