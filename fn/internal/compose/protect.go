package compose

import (
	"fmt"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// Crossplane's Usage API (crossplane/crossplane v2.4.0
// apis/protection/v1beta1). A ClusterUsage names cluster-scoped resources
// only (clusterusage_types.go: its refs have no namespace), which is what
// paved's provider-aws v1 managed resources and its own provider's kinds
// are. A namespaced user (an Argo CD Application) needs a namespaced Usage
// in its own namespace: a Usage's "by" is always looked up in the Usage's
// namespace (internal/controller/protection/usage/reconciler.go: "Will
// always be cluster scoped or in the same namespace as the Usage"), while
// its "of" may be cluster-scoped (usage_types.go, NamespacedResource).
const (
	UsageAPIVersion = "protection.crossplane.io/v1beta1"
	UsageKind       = "ClusterUsage"
	NamespacedUsage = "Usage"
)

// DeletionConditionType is the condition, on composite and claim, that says
// what a deletion of the claim waits for. Crossplane does not run the
// composition pipeline for a composite that is being deleted (v2.4.0
// internal/controller/apiextensions/composite/reconciler.go returns as soon
// as the composite has a deletion timestamp), and neither the composite nor
// the claim reconciler removes custom conditions while deleting: so the
// condition is written while the claim lives and stays on both until they
// are gone.
const DeletionConditionType = "DeletionProtected"

// Reasons of the DeletionConditionType condition.
const (
	// ReasonInUse: every Usage is in force.
	ReasonInUse = "InUse"
	// ReasonUsagePending: some Usage is not in force yet.
	ReasonUsagePending = "UsagePending"
)

// Kept is a composed resource a Usage keeps: Name is its name in the
// pipeline. Usage, if set, names the Usage instead ("protect-" +
// Usage): set it when Name changes during the life of a composite (e.g. a
// parameter group named after its engine family), so that the same
// Usage follows the resource, and when several users keep the same
// resource (one Usage each). A Usage that Crossplane deletes
// because it is no longer desired waits, as a composed Usage, until its
// "by" resource is gone, and keeps what it protects until then.
type Kept struct {
	Name, Usage string
}

// Keep returns Kept resources named after their pipeline names.
func Keep(names ...string) []Kept {
	k := make([]Kept, 0, len(names))
	for _, n := range names {
		k = append(k, Kept{Name: n})
	}
	return k
}

// protection is one composed resource that outlives a claim's deletion
// and the composed resources it keeps.
type protection struct {
	by        string   // name in the pipeline of the resource that is kept
	why       string   // why it is kept, and who lets it go
	of        []string // names in the pipeline of what it keeps
	uses      []string // names in the pipeline of the Usages
	usageKind string   // ClusterUsage, or Usage for a namespaced by
	blocked   Blocker  // what may keep by's deletion from finishing, or nil
}

// Blocker says, from the observed object of a resource that outlives a
// claim's deletion, what its controller reports that would keep that
// deletion from finishing (an Argo CD Application whose AppProject is
// missing), on one line; "" when nothing does, or when observed is nil.
type Blocker func(observed *structpb.Struct) string

// Protect keeps the composed resources named of from being deleted while
// the composed resource named by exists: it composes one Usage per
// resource in of, by exact reference to both objects (their names come
// from this composer, so no selector is needed). A cluster-scoped by gets
// ClusterUsages; a namespaced by (an Argo CD Application, or what a
// namespaced composite composes: see dialect.go) gets namespaced Usages in
// its own namespace, which may keep cluster-scoped resources. A namespaced
// composite cannot compose a ClusterUsage: Crossplane refuses its
// cluster-scoped composed resources (crossplane v2.4.0
// internal/controller/apiextensions/composite/composition_functions.go,
// errFmtNamespacedXRClusterResource).
// Crossplane labels each protected resource crossplane.io/in-use and its
// validating webhook denies deleting it while the Usage exists; a
// composed Usage that is deleted keeps its finalizer until by is gone,
// then replays the deletion that was denied (replayDeletion), so the
// garbage collector need not retry (crossplane v2.4.0
// internal/controller/protection/usage/reconciler.go and
// internal/webhook/protection/usage/handler.go).
//
// why says why by outlives a deletion and who lets it go; it becomes part
// of the DeletionProtected condition on composite and claim. Every name
// must have been added to s before.
func (s *Set) Protect(by, why string, of ...Kept) {
	p := protection{by: by, why: why, usageKind: UsageKind}
	user := s.ref(by, false)
	namespace, _ := pb.String(s.object(by), "metadata", "namespace")
	if namespace != "" {
		p.usageKind = NamespacedUsage
	}
	for _, k := range of {
		o, name := k.Name, "protect-"+k.Name
		if k.Usage != "" {
			name = "protect-" + k.Usage
		}
		p.of = append(p.of, o)
		meta := s.usageMeta(name, namespace)
		meta["annotations"] = pb.Obj(pb.Fields{usageDetailsAnnotation: pb.Str(s.usageDetails(by, o))})
		s.add(name, &structpb.Struct{Fields: pb.Fields{
			"apiVersion": pb.Const(UsageAPIVersion),
			"kind":       pb.Const(p.usageKind),
			"metadata":   pb.Obj(meta),
			"spec": pb.Obj(pb.Fields{
				"of": s.ref(o, namespace != ""),
				"by": user,
				// Delete of as soon as by is gone if its deletion was
				// refused meanwhile.
				"replayDeletion": pb.Boolean(true),
			}),
		}})
		p.uses = append(p.uses, name)
	}
	s.objects.protections = append(s.objects.protections, p)
}

// ProtectBlocked is Protect for a resource whose deletion waits on its
// own controller, which may be unable to finish it: blocked reads from
// its observed object what would keep it, and the DeletionProtected
// condition says so whenever it is written. Crossplane runs no function
// for a composite being deleted (see DeletionConditionType), so what the
// claim shows during a deletion is what was observed just before.
func (s *Set) ProtectBlocked(by, why string, blocked Blocker, of ...Kept) {
	s.Protect(by, why, of...)
	s.objects.protections[len(s.objects.protections)-1].blocked = blocked
}

// ReportNested names composed composites (a bundle's nested XDatabase and
// XBucket) whose own DeletionProtected condition the composite's repeats,
// so that the claim names what their deletion waits for too. Crossplane
// runs no function for a composite being deleted (see
// DeletionConditionType), so this is read from the observed nested
// composites while the claim lives. Every name must have been added to s
// before.
func (s *Set) ReportNested(names ...string) {
	for _, n := range names {
		if s.object(n) == nil {
			panic(fmt.Sprintf("compose: ReportNested names %q, which was not added before", n))
		}
	}
	s.objects.nested = append(s.objects.nested, names...)
}

// ProtectInStages says that the composer protects its parts in stages, as
// it composes them (a bundle's Applications once its repository exists, its
// registration once its file is committed), or repeats nested composites'
// protection (ReportNested), which come into force one by one: until every
// protection is in force, DeletionProtected then says so in the same words,
// naming only what may keep a deletion from finishing (ProtectBlocked), and
// names each protection once all are. Naming them as they were composed
// and came into force changed the composite's status, and the claim's, at
// each step, within seconds and for nothing a reader acts on; every such
// change is two updates of the composite (core applies the function's
// status, then updates its conditions) that Crossplane core's circuit
// breaker counts against it (see PartCondition).
func (s *Set) ProtectInStages() { s.objects.inStages = true }

// decommissionHint ends a DeletionProtected message.
const decommissionHint = " (see paved's README, Decommission)"

// notInForce starts a DeletionProtected message while some Usage, or some
// nested composite's own protection, is not in force yet. It does not
// name them: Crossplane puts a Usage in force within seconds, one after
// the other, and each would otherwise change the composite's and the
// claim's status (see OnItsWay); the Usages themselves say why, should
// one stay pending.
const notInForce = "not yet in force; once it is, "

// usageDetailsAnnotation is the annotation Crossplane core writes on a
// Usage to say what it is about (crossplane v2.4.0
// internal/controller/protection/usage/reconciler.go, detailsAnnotationKey).
const usageDetailsAnnotation = "crossplane.io/usage-details"

// usageDetails is the text core writes to usageDetailsAnnotation on a
// Usage of of by by: "<by kind>/<by name> uses <of kind>/<of name>"
// (detailsAnnotation in the same file; the "in namespace" suffix is for an
// of with a namespace, and paved's namespaced Usages keep cluster-scoped
// resources: ref). Composed with the Usage, it is already there when core
// reconciles the Usage, which then does not update it: one watch event
// fewer of the composite's, for each Usage.
func (s *Set) usageDetails(by, of string) string {
	kind := func(n string) string { k, _ := pb.String(s.object(n), "kind"); return k }
	name := func(n string) string { m, _ := pb.String(s.object(n), "metadata", "name"); return m }
	d := kind(by) + "/" + name(by) + " uses " + kind(of) + "/" + name(of)
	if ns, _ := pb.String(s.object(of), "metadata", "namespace"); ns != "" {
		d += " in namespace " + ns
	}
	return d
}

// usageMeta is the metadata of the Usage called name, in namespace unless
// it is a ClusterUsage ("").
func (s *Set) usageMeta(name, namespace string) pb.Fields {
	m := pb.Fields{"name": pb.Str(s.xr.Names().Object(name)), "labels": pb.Obj(s.labels(name))}
	if namespace != "" {
		m["namespace"] = pb.Str(namespace)
	}
	return m
}

// ref is a Usage's reference to the composed resource called name. With
// withNamespace (the "of" of a namespaced Usage) it always carries the
// resource's namespace, "" for a cluster-scoped one. Core v2.4.0 indexes a
// namespaced Usage under its of's namespace, defaulting a missing one to
// the Usage's own namespace, but looks up the usages of a resource being
// deleted under the resource's namespace, "" when it is cluster-scoped
// (internal/protection/usage/finder.go, NewFinder and FindUsageOf): without
// an explicit "", the webhook would not find the Usage and would allow
// deleting the cluster-scoped resource it keeps (test/e2e shows both).
//
// Upstream calls a namespaced Usage of a cluster-scoped resource
// unsupported (https://github.com/crossplane/crossplane/issues/7249, open
// against v2.2+) and an open pull request would reject it, explicit ""
// included, at admission and in the controller
// (https://github.com/crossplane/crossplane/pull/7640). paved relies on
// core v2.4.0's behaviour; test/e2e TestNamespacedUsageOfClusterScoped
// fails on a core that changes it, before any bundle breaks.
func (s *Set) ref(name string, withNamespace bool) *structpb.Value {
	o := s.object(name)
	if o == nil {
		panic(fmt.Sprintf("compose: Protect names %q, which was not added before", name))
	}
	r := pb.Fields{"name": pb.Get(o, "metadata", "name")}
	if withNamespace {
		ns, _ := pb.String(o, "metadata", "namespace")
		r["namespace"] = pb.Str(ns)
	}
	return pb.Obj(pb.Fields{
		"apiVersion":  pb.Get(o, "apiVersion"),
		"kind":        pb.Get(o, "kind"),
		"resourceRef": pb.Obj(r),
	})
}

func (s *Set) object(name string) *structpb.Struct {
	for i, n := range s.objects.names {
		if n == name {
			return s.objects.objs[i]
		}
	}
	return nil
}

// describeObject is "Kind name" of the composed resource called name.
func (s *Set) describeObject(name string) string {
	o := s.object(name)
	kind, _ := pb.String(o, "kind")
	n, _ := pb.String(o, "metadata", "name")
	return kind + " " + n
}

// deletionCondition says what deleting the claim waits for: True with
// reason InUse when every Usage is in force and every nested composite
// (ReportNested) says True, False with reason UsagePending naming those
// that are not. Nil if nothing is protected or reported.
func (s *Set) deletionCondition() *fnv1.Condition {
	if len(s.objects.protections) == 0 && len(s.objects.nested) == 0 {
		return nil
	}
	// What the user deletes: the claim, or a namespaced composite itself.
	deleting := "deleting this claim"
	if s.xr.Namespaced() {
		deleting = "deleting this " + s.xr.Kind
	}
	var held, pending, blocked []string
	for _, p := range s.objects.protections {
		kept := make([]string, 0, len(p.of))
		for _, o := range p.of {
			kept = append(kept, s.describeObject(o))
		}
		why, stuck := p.why, ""
		if p.blocked != nil {
			stuck = p.blocked(s.observed[p.by].GetResource())
			if stuck != "" {
				why += " (now " + stuck + ")"
			}
		}
		h := fmt.Sprintf("%s waits for %s, which %s; until it is gone, %ss keep %s",
			deleting, s.describeObject(p.by), why, p.usageKind, strings.Join(kept, ", "))
		held = append(held, h)
		if stuck != "" {
			blocked = append(blocked, h)
		}
		for _, u := range p.uses {
			if status, _, ok := s.condition(u); !ok || status != "True" {
				pending = append(pending, u)
			}
		}
	}
	for _, n := range s.objects.nested {
		d := s.describeObject(n)
		c, ok := pb.ConditionOf(s.observed[n].GetResource(), DeletionConditionType)
		if !ok {
			held = append(held, deleting+" waits for "+d)
			pending = append(pending, d)
			continue
		}
		says := strings.TrimSuffix(strings.TrimPrefix(c.Message, notInForce), decommissionHint)
		held = append(held, fmt.Sprintf("%s waits for %s, whose %s says: %s", deleting, d, DeletionConditionType, says))
		if c.Status != "True" {
			pending = append(pending, d)
		}
	}
	c := &fnv1.Condition{
		Type:   DeletionConditionType,
		Status: fnv1.Status_STATUS_CONDITION_TRUE,
		Reason: ReasonInUse,
		Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}
	head, parts := "", held
	if len(pending) > 0 {
		c.Status = fnv1.Status_STATUS_CONDITION_FALSE
		c.Reason = ReasonUsagePending
		head = notInForce
		if s.objects.inStages {
			// The same words whatever is composed and in force so far;
			// what may keep a deletion from finishing is said at once.
			parts = append([]string{deleting + " waits for what its Usages keep, named here once they are all in force"}, blocked...)
		}
	}
	msg := head + strings.Join(parts, "; ") + decommissionHint
	c.Message = &msg
	return c
}
