package compose

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// Report is what a composite's conditions say of its composed resources:
// those not ready and those whose provider could not apply them, each
// with what its provider says, and the placement settings the existing
// resources keep against the environment (Drift). A Set records it as it
// builds; the composite's conditions and status (Condition, WriteStatus)
// are written from it.
type Report struct {
	pending  []string
	unsynced []string
	// pendingOf and unsyncedOf name the resources pending and unsynced
	// describe, in the same order; refWait says, in the same order as
	// unsynced, which only wait for a reference (see waitsForReference).
	pendingOf  []string
	unsyncedOf []string
	refWait    []bool
	drifts     []Drift
	// awaited name the resources a composer does not compose yet (Await).
	awaited []string
}

// Ready reports whether every composed resource exists and is ready.
func (r *Report) Ready() bool { return len(r.pending) == 0 }

// Pending describes the composed resources that are not ready, in the order
// they were added.
func (r *Report) Pending() []string { return r.pending }

// Unsynced describes the composed resources whose last change the provider
// could not apply (Synced=False), with the provider's message.
func (r *Report) Unsynced() []string { return r.unsynced }

// Drifts are the environment changes not applied so far (Pin, KeepPlacement).
func (r *Report) Drifts() []Drift { return r.drifts }

func (r *Report) addPending(name, desc string) {
	if r.pending == nil {
		// Room for what a composite usually composes, made at once: until
		// it is ready most of it is pending.
		r.pending, r.pendingOf = make([]string, 0, composedHint), make([]string, 0, composedHint)
	}
	r.pending = append(r.pending, desc)
	r.pendingOf = append(r.pendingOf, name)
}

// Await records that the composed resource called name is not composed
// yet: it needs a value only another composed resource, once it exists,
// can give (an SQS queue's redrive policy names its dead-letter queue's
// ARN, which AWS assigns). Until it is composed the composite is not
// ready, and its condition names it, with why when why is set.
func (r *Report) Await(name, why string) {
	desc := name
	if why != "" {
		desc += " (" + why + ")"
	}
	r.addPending(name, desc)
	r.awaited = append(r.awaited, name)
}

// addUnsynced records the composed resource called name, whose provider
// could not apply it (its Synced=False condition c).
func (r *Report) addUnsynced(name string, c pb.Cond) {
	r.unsynced = append(r.unsynced, describeUnsynced(name, c))
	r.unsyncedOf = append(r.unsyncedOf, name)
	r.refWait = append(r.refWait, waitsForReference(c))
}

// describe says why a composed resource is not ready: its provider's Ready
// condition, with the provider's reason and message (see ProviderMessage),
// or its name alone while it is only on its way (OnItsWay).
func describe(name string, ready pb.Cond, found, exists bool) string {
	if !exists || !found || OnItsWay(ready) {
		return name
	}
	return describeCondition(name, "Ready", ready)
}

// OnItsWay reports whether a Ready condition says no more than that the
// resource is being created: False (or Unknown) with reason Creating, or
// no reason, and no message, as crossplane-runtime's Creating() writes it
// (crossplane-runtime v2.4.0 apis/common/condition.go). A resource that
// does not exist yet, or has no Ready condition yet, is on its way too.
//
// A condition names such a resource, not the step it is at: the steps
// follow one another within seconds, and each would change the
// composite's status, and the claim's, for nothing a reader acts on; every
// change of the composite is also a watch event that Crossplane core's
// circuit breaker counts against it (crossplane v2.4.0 internal/circuit:
// 100 events per composite, refilled at one a second), and once it opens
// the composite waits for its requeue to see what happened. What a
// provider does say (a reason other than Creating, a message) is carried
// in its own words.
func OnItsWay(ready pb.Cond) bool {
	return ready.Status != "True" && ready.Message == "" && (ready.Reason == "" || ready.Reason == reasonCreating)
}

// reasonCreating is crossplane-runtime's reason of a Ready condition while
// a resource is being created (apis/common/condition.go, ReasonCreating),
// and Crossplane core's on a composite.
const reasonCreating = "Creating"

// waitsForReference reports whether a Synced=False condition only says
// that the provider cannot resolve a reference yet: the selected resource
// does not exist or has not the referenced field yet (crossplane-runtime
// v2.4.0 pkg/reconciler/managed/api.go "cannot resolve references",
// pkg/reference/reference.go "no resources matched selector" and
// "referenced field was empty (referenced resource may not yet be
// ready)"). While a sibling is not ready, that is what it waits for, not a
// failure (see rollup).
func waitsForReference(c pb.Cond) bool {
	return strings.HasPrefix(c.Message, "cannot resolve references: ") &&
		(strings.HasSuffix(c.Message, ": no resources matched selector") ||
			strings.HasSuffix(c.Message, ": referenced field was empty (referenced resource may not yet be ready)"))
}

// describeUnsynced says why the provider could not apply a composed
// resource, in its own words: a resource can stay Ready while a change to it
// is refused, and a provider that cannot reach its API reports it here
// (crossplane-runtime sets Synced=False with reason ReconcileError and the
// error as message).
func describeUnsynced(name string, c pb.Cond) string {
	return describeCondition(name, "Synced", c)
}

// describeCondition is "name (Type=Status: Reason): message", leaving out
// what the provider did not say.
func describeCondition(name, t string, c pb.Cond) string {
	d := name + " (" + t + "=" + c.Status
	if c.Reason != "" {
		d += ": " + c.Reason
	}
	d += ")"
	if m := ProviderMessage(c.Message); m != "" {
		d += ": " + m
	}
	return d
}

// Status is what a composer writes back to the composite.
type Status struct {
	// Fields of the composite's status (only those that are known).
	Fields pb.Fields
	// ConnectionDetails for the composite's connection secret.
	ConnectionDetails map[string][]byte
	// ConditionType is the composer's own condition, e.g. DatabaseReady,
	// about all composed resources (see WriteStatus). Empty: none.
	ConditionType string
	// Conditions are further conditions of the composer, e.g. one per part
	// of what it composes (see Set.Condition).
	Conditions []*fnv1.Condition
	// Now is the function's clock, which tells whether the composite is
	// being created (CreationWindow). Zero: every step is said as it
	// happens.
	Now time.Time
}

// WriteStatus writes status fields, connection details (for a namespaced
// composite, as the Secret of ComposeConnectionSecret, if any) and the
// composer's condition to rsp. The condition is, in this order of precedence:
//   - False with reason SyncFailed when the provider could not apply a
//     composed resource (Synced=False), with the provider's message: what is
//     in the cloud is not what was asked for, even if it is Ready;
//   - False with reason Creating, naming the resources it waits for, when a
//     composed resource is not ready;
//   - True with reason EnvironmentChanged when everything is ready but the
//     environment asks for a placement the existing resources cannot follow
//     (see Pin), naming each field, its pinned and its new value;
//   - True with reason Available otherwise.
//
// It never carries connection details. If the composer protected
// resources (Protect), the DeletionProtected condition follows it.
func (s *Set) WriteStatus(rsp *fnv1.RunFunctionResponse, st Status) {
	if rsp.GetDesired() == nil {
		rsp.Desired = &fnv1.State{}
	}
	if rsp.GetDesired().GetComposite() == nil {
		rsp.Desired.Composite = &fnv1.Resource{}
	}
	dc := rsp.GetDesired().GetComposite()
	if dc.GetResource() == nil {
		dc.Resource = &structpb.Struct{Fields: pb.Fields{}}
	}
	pb.Set(dc.GetResource(), s.xr.value("apiVersion", s.xr.APIVersion), "apiVersion")
	pb.Set(dc.GetResource(), s.xr.value("kind", s.xr.Kind), "kind")
	held := s.holdsOutputs(st)
	settling := s.settling(st.Now)
	fieldsChange := false
	if !held {
		keys := make([]string, 0, len(st.Fields))
		for k := range st.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := st.Fields[k]
			if settling {
				if v = s.settledField(k); v == nil {
					continue
				}
			}
			if !fieldsChange && !proto.Equal(v, pb.Get(s.xr.Object, "status", k)) {
				fieldsChange = true
			}
			pb.Set(dc.GetResource(), v, "status", k)
		}
	}
	// A nested or young composite whose fields change once everything
	// is ready says so a reconcile later (see publishesFirst).
	first := s.publishesFirst(fieldsChange, st.Now)
	switch {
	case s.xr.Namespaced():
		// Crossplane ignores a namespaced composite's connection details:
		// they are composed as a Secret, if at all (dialect.go).
		if s.connectionSecret != "" {
			s.writeConnectionSecret(rsp, st.ConnectionDetails)
		}
	case len(st.ConnectionDetails) > 0 && !held && !first:
		// Published with Ready when its fields go first: core records
		// the publication in status.connectionDetails.lastPublishedTime,
		// with the conditions' update (see publishesFirst).
		if dc.ConnectionDetails == nil {
			dc.ConnectionDetails = make(map[string][]byte, len(st.ConnectionDetails))
		}
		maps.Copy(dc.GetConnectionDetails(), st.ConnectionDetails)
	}

	// The composite's readiness, said explicitly: Crossplane core then
	// writes its Ready condition without naming the composed resources it
	// waits for (crossplane v2.4.0
	// internal/controller/apiextensions/composite/reconciler.go: a
	// readiness the composer specified supersedes the one derived from the
	// composed resources, "Unready resources: a, b, and 3 more"), which
	// changed each time one of them became ready; the composer's
	// conditions say what it waits for.
	dc.Ready = fnv1.Ready_READY_FALSE
	if s.Ready() && !first {
		dc.Ready = fnv1.Ready_READY_TRUE
	}
	from := len(rsp.GetConditions())
	if st.ConditionType != "" {
		rsp.Conditions = append(rsp.Conditions, s.rollup(st.ConditionType, append(slices.Clip(s.objects.names), s.awaited...), true))
	}
	rsp.Conditions = append(rsp.Conditions, st.Conditions...)
	if d := s.deletionCondition(); d != nil {
		rsp.Conditions = append(rsp.Conditions, d)
	}
	if settling || first {
		s.settle(rsp.GetConditions()[from:])
	}
}

// holdsOutputs reports whether WriteStatus leaves out a nested composite's
// status fields and connection details (Composite.Nested): until it is
// ready, and as long as it reported none of the fields. What it reports
// (a bucket's name and ARN, a database's endpoint, the Secret they are
// written to) is known a reconcile or more before the composite is ready,
// and written then it is one more change of the composite's status, two
// updates in fact: Crossplane core applies the function's status fields,
// then updates the conditions and, when the connection details changed,
// status.connectionDetails.lastPublishedTime (crossplane v2.4.0
// internal/controller/apiextensions/composite/reconciler.go; the two
// writes are crossplane/crossplane#7062). Each is a watch event that
// core's circuit breaker counts against the composite that composed it
// (100 events per composite, refilled at one a second, internal/circuit),
// and the composing composite reads the fields too (a bundle's
// database.endpoint, bucket.bucketName), so its status changed once more.
// Held until ready, they come with the Ready condition. Nobody reads a
// nested composite but through the composite that composed it, which
// waits for its Ready condition. Once reported they are always written:
// core applies the function's status with server-side apply, so a field
// left out would be removed while the composite is not ready, e.g. during
// an update. A namespaced composite's connection Secret is composed as
// before: it is a composed resource, not its status.
func (s *Set) holdsOutputs(st Status) bool {
	if s.xr.Nested == "" || s.Ready() {
		return false
	}
	for k := range st.Fields {
		if pb.Has(s.xr.Object, "status", k) {
			return false
		}
	}
	return true
}

// publishesFirst reports whether a composite that is ready writes its
// changed status fields (fieldsChange) without saying so: Ready, and each
// condition that turns True with it (see settle), wait for the next
// reconcile, which the fields' own write starts. Written in one
// reconcile, the fields and the conditions are two writes: Crossplane
// core applies the function's status fields, then updates the conditions
// (crossplane v2.4.0
// internal/controller/apiextensions/composite/reconciler.go,
// crossplane/crossplane#7062). The first write's watch event queues the
// composite again while the reconcile still runs; the next reconcile then
// often starts from an informer copy without the second write, and core
// applies the status with the conditions as read (composition_functions.go,
// xr.SetConditions(cs...) before the apply, with ForceOwnership): the old
// conditions came back (Ready False, DatabaseReady Creating) and that
// reconcile's update set the new ones again, two more watch events the
// composing composite's circuit breaker counts, two tokens each, in most
// test/e2e runs of a ServiceBundle (docs/performance.md). Apart, each
// reconcile writes once, and a reconcile that starts from its own write's
// event sees that write.
//
// It applies to a nested composite (Composite.Nested), whose Ready only
// the composite that composed it reads, and to a composite still young
// (CreationWindow), which says its good news in this one step (settle):
// the Ready a claim first shows comes with every condition as it is. A
// composite of its own whose fields change later, and one rendered
// without a clock, says fields and Ready at once as before. A field its
// XRD did not declare would be pruned by the API server, differ from the
// observed status at every reconcile and hold Ready for good: make
// validate checks every golden render's composite status, the ready ones
// of each kind included, against the XRDs.
func (s *Set) publishesFirst(fieldsChange bool, now time.Time) bool {
	return fieldsChange && s.Ready() && (s.xr.Nested != "" || s.young(now))
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

// PartCondition is Condition for a part of the composite made of several
// composed resources, called parts whether they are composed yet or not (a
// ServiceBundle's RepositoryReady: its repository, its catalog file, its
// release branch): while none of them says anything (each that is not
// ready is only on its way, see OnItsWay, or not composed yet), it is
// False with reason Creating and the message creating, the same until the
// part is ready. Naming the resources still pending instead changed the
// composite's status, and the claim's, each time one of them was composed
// or became ready, within seconds of each other and for nothing a reader
// acts on; every such change is a watch event, two updates of the
// composite in fact (core applies the function's status, then updates its
// conditions), that Crossplane core's circuit breaker counts against it.
// What a provider says is reported as Condition reports it.
func (s *Set) PartCondition(t, creating string, parts ...string) *fnv1.Condition {
	return s.part(t, creating, parts, false)
}

// PartConditionWithDrifts is PartCondition with the environment drifts, as
// ConditionWithDrifts.
func (s *Set) PartConditionWithDrifts(t, creating string, parts ...string) *fnv1.Condition {
	return s.part(t, creating, parts, true)
}

func (s *Set) part(t, creating string, parts []string, withDrifts bool) *fnv1.Condition {
	c := s.rollup(t, parts, withDrifts)
	composed := !slices.ContainsFunc(parts, func(n string) bool { _, ok := s.desired[n]; return !ok })
	if (c.GetStatus() == fnv1.Status_STATUS_CONDITION_TRUE && composed) || c.GetReason() == "SyncFailed" {
		return c
	}
	for i, n := range s.pendingOf {
		if slices.Contains(parts, n) && s.pending[i] != n {
			// Its provider says something: named with its words.
			return c
		}
	}
	msg := creating
	if withDrifts && len(s.drifts) > 0 {
		msg += "; " + DescribeDrifts(s.drifts)
	}
	c.Status = fnv1.Status_STATUS_CONDITION_FALSE
	c.Reason = reasonCreating
	c.Message = &msg
	return c
}

// rollup is the condition of type t about the composed resources called
// names; withDrifts adds the environment drifts (see Pin).
//
// A resource whose provider cannot resolve a reference yet
// (waitsForReference) is pending, not failing, while another resource of
// the composite is not ready: it waits for that one.
func (s *Set) rollup(t string, names []string, withDrifts bool) *fnv1.Condition {
	var pending, unsynced []string
	// Counted first, and made at once: a condition about many parts is
	// written on every request.
	if n := countIn(s.pendingOf, names); n > 0 {
		pending = make([]string, 0, n)
		for i, p := range s.pendingOf {
			if slices.Contains(names, p) {
				pending = append(pending, s.pending[i])
			}
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
	c, msg := newCondition(t)
	drifts := withDrifts && len(s.drifts) > 0
	switch {
	case len(unsynced) > 0:
		c.Status = fnv1.Status_STATUS_CONDITION_FALSE
		c.Reason = "SyncFailed"
		*msg = "the provider cannot apply " + strings.Join(unsynced, "; ")
	case len(pending) > 0:
		c.Status = fnv1.Status_STATUS_CONDITION_FALSE
		c.Reason = "Creating"
		*msg = "waiting for " + strings.Join(s.reported(pending, names), ", ")
	default:
		if drifts {
			c.Reason = ReasonEnvironmentChanged
		}
		*msg = "all " + strconv.Itoa(added) + " composed resources are ready"
		if added == 1 {
			*msg = "the composed resource is ready"
		}
	}
	if drifts {
		*msg += "; " + DescribeDrifts(s.drifts)
	}
	return c
}

// countIn is how many of ss are in names.
func countIn(ss, names []string) int {
	n := 0
	for _, s := range ss {
		if slices.Contains(names, s) {
			n++
		}
	}
	return n
}

// newCondition is a condition of type t, True with reason Available, for
// composite and claim, and its message, which it points to: the
// condition, its message and its target in one allocation (see package
// pb), as every request reports a condition per part.
func newCondition(t string) (*fnv1.Condition, *string) {
	x := &struct {
		c      fnv1.Condition
		msg    string
		target fnv1.Target
	}{target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM}
	x.c.Type, x.c.Status, x.c.Reason = t, fnv1.Status_STATUS_CONDITION_TRUE, "Available"
	x.c.Target, x.c.Message = &x.target, &x.msg
	return &x.c, &x.msg
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
