package compose

import (
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// ObservedState is what Crossplane observed for one composite: its
// composed resources as they are, and what it fetched for the function's
// requirements. Composers read observed state through it alone.
type ObservedState struct {
	// observed are the composed resources as the set reads them: those
	// Crossplane observed, and those it adopts (Set.adopt). listed are
	// those Crossplane observed, which alone it does not create.
	observed map[string]*fnv1.Resource
	listed   map[string]*fnv1.Resource
	// required and extra are what Crossplane fetched for the function's
	// requirements (Crossplane v2 and v1; see Required).
	required map[string]*fnv1.Resources
	extra    map[string]*fnv1.Resources
}

// NewObservedState reads what req says Crossplane observed.
func NewObservedState(req *fnv1.RunFunctionRequest) ObservedState {
	return ObservedState{
		observed: req.GetObserved().GetResources(),
		listed:   req.GetObserved().GetResources(),
		required: req.GetRequiredResources(),
		extra:    req.GetExtraResources(), //nolint:staticcheck // Crossplane v1 support.
	}
}

// Observed returns the observed object of the composed resource called
// name, or nil if it does not exist yet.
func (o *ObservedState) Observed(name string) *structpb.Struct {
	return o.observed[name].GetResource()
}

// ObservedConnectionDetails returns the connection details Crossplane read
// from the composed resource's connection secret.
func (o *ObservedState) ObservedConnectionDetails(name string) map[string][]byte {
	return o.observed[name].GetConnectionDetails()
}

// Required returns what Crossplane fetched for the requirement called name:
// the object (nil when it does not exist), and whether Crossplane has
// fetched it at all (false until it has been asked to).
func (o *ObservedState) Required(name string) (*structpb.Struct, bool) {
	rs, ok := o.required[name]
	if !ok {
		rs, ok = o.extra[name]
	}
	if !ok {
		return nil, false
	}
	for _, item := range rs.GetItems() {
		return item.GetResource(), true
	}
	return nil, true
}

// condition is the observed Ready condition of the composed resource
// called name: its status and reason, and whether the resource exists.
func (o *ObservedState) condition(name string) (status, reason string, ok bool) {
	r := o.observed[name]
	if r == nil {
		return "", "", false
	}
	return pb.Condition(r.GetResource(), "Ready")
}
