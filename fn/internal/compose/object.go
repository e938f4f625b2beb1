package compose

import (
	"slices"
	"strconv"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// A Readiness decides from the observed object of a composed resource
// whether it is ready and, if not, says why (e.g. "health Progressing").
// It is for kinds whose readiness is not a Ready condition, such as Argo
// CD's Application.
type Readiness func(observed *structpb.Struct) (ready bool, why string)

// AddObject composes obj, a complete object (apiVersion, kind, metadata
// with at least a name), as the resource called name. The composite's
// labels are added to the object's own. Its readiness follows ready, or
// its observed Ready condition when ready is nil. obj must not be modified
// afterwards.
func (s *Set) AddObject(name string, obj *structpb.Struct, ready Readiness) {
	md := pb.Struct(obj, "metadata")
	if md == nil {
		md = &structpb.Struct{Fields: pb.Fields{}}
		obj.Fields["metadata"] = structpb.NewStructValue(md)
	}
	if labels := pb.Struct(md, "labels"); labels != nil {
		for k, v := range s.labels(name) {
			if _, ok := labels.GetFields()[k]; !ok {
				labels.Fields[k] = v
			}
		}
	} else {
		md.Fields["labels"] = pb.Obj(s.labels(name))
	}
	s.addReady(name, obj, ready)
}

// IsReady reports whether the composed resource called name was added and
// its observed state is ready.
func (s *Set) IsReady(name string) bool {
	return s.desired[name].GetReady() == fnv1.Ready_READY_TRUE
}

// Condition is a condition of type t about the composed resources called
// names only (those that were not added are left out), with the precedence
// of WriteStatus: SyncFailed, Creating, Available.
func (s *Set) Condition(t string, names ...string) *fnv1.Condition {
	return s.rollup(t, names, false)
}

// ConditionWithDrifts is Condition with the environment drifts (see Pin
// and KeepPlacement), as WriteStatus adds them to the composer's own
// condition: for a composer whose placement is kept by one part.
func (s *Set) ConditionWithDrifts(t string, names ...string) *fnv1.Condition {
	return s.rollup(t, names, true)
}

// rollup is the condition of type t about the composed resources called
// names; withDrifts adds the environment drifts (see Pin).
//
// A resource whose provider cannot resolve a reference yet
// (waitsForReference) is pending, not failing, while another resource of
// the composite is not ready: it waits for that one.
func (s *Set) rollup(t string, names []string, withDrifts bool) *fnv1.Condition {
	var pending, unsynced []string
	for i, n := range s.pendingOf {
		if slices.Contains(names, n) {
			pending = append(pending, s.pending[i])
		}
	}
	for i, n := range s.unsyncedOf {
		if !slices.Contains(names, n) {
			continue
		}
		if s.refWait[i] && slices.ContainsFunc(s.pendingOf, func(p string) bool { return p != n }) {
			if !slices.Contains(s.pendingOf, n) {
				pending = append(pending, n)
			}
			continue
		}
		unsynced = append(unsynced, s.unsynced[i])
	}
	added := 0
	for _, n := range names {
		if _, ok := s.desired[n]; ok {
			added++
		}
	}
	c := &fnv1.Condition{
		Type:   t,
		Status: fnv1.Status_STATUS_CONDITION_TRUE,
		Reason: "Available",
		Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}
	var msg string
	drifts := withDrifts && len(s.drifts) > 0
	switch {
	case len(unsynced) > 0:
		c.Status = fnv1.Status_STATUS_CONDITION_FALSE
		c.Reason = "SyncFailed"
		msg = "the provider cannot apply " + strings.Join(unsynced, "; ")
	case len(pending) > 0:
		c.Status = fnv1.Status_STATUS_CONDITION_FALSE
		c.Reason = "Creating"
		msg = "waiting for " + strings.Join(s.reported(pending, names), ", ")
	default:
		if drifts {
			c.Reason = ReasonEnvironmentChanged
		}
		msg = "all " + strconv.Itoa(added) + " composed resources are ready"
		if added == 1 {
			msg = "the composed resource is ready"
		}
	}
	if drifts {
		msg += "; " + DescribeDrifts(s.drifts)
	}
	c.Message = &msg
	return c
}

// reported is what a condition about the composed resources called names
// says of those pending describes. A nested composite (Composite.Nested)
// names only those whose provider says something (a description that is
// more than the name, see OnItsWay), and otherwise that it waits for its
// composed resources: nobody reads it but through the composite that
// composed it, which names it as waiting, or repeats what it says when it
// fails; and each name it dropped as a resource became ready would change
// its status, an event that Crossplane core's circuit breaker counts
// against that composite too.
func (s *Set) reported(pending, names []string) []string {
	if s.xr.Nested == "" {
		return pending
	}
	var said []string
	for _, d := range pending {
		if !slices.Contains(names, d) {
			said = append(said, d)
		}
	}
	if len(said) == 0 {
		return []string{"its composed resources"}
	}
	return said
}

// Names are the names of the objects in the order they were added.
func (o Objects) Names() []string { return o.names }
