package compose

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// A Required object is one a composer must see before it composes: an
// object by name that may exist without this composite, such as an Argo
// CD Application in Argo CD's shared namespace. Crossplane applies a
// composed resource with server-side apply and ForceOwnership, which takes
// over an existing object that has no controller reference: it becomes
// the composite's, its fields rewritten (crossplane v2.4.0
// internal/controller/apiextensions/composite/composition_functions.go,
// FunctionComposer.Compose: "will fail if we try to add a controller
// reference to a resource that already has a different one", and only
// then). So the composer requires the object by name (the function's
// requirements, RunFunctionResponse.requirements.resources), Crossplane
// fetches it and calls the function again with it
// (internal/xfn/required_resources.go, FetchingFunctionRunner: an object
// that does not exist is fetched as none), and the composer refuses to
// compose over an object this composite does not control.
type Required struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

// Selector is the requirement's selector in a function response: the
// selector, its match and its namespace in one allocation, as package pb
// builds values, since every request makes one per required object.
func (r Required) Selector() *fnv1.ResourceSelector {
	x := &struct {
		s         fnv1.ResourceSelector
		m         fnv1.ResourceSelector_MatchName
		namespace string
	}{}
	x.namespace, x.m.MatchName = r.Namespace, r.Name
	x.s.ApiVersion, x.s.Kind, x.s.Namespace, x.s.Match = r.APIVersion, r.Kind, &x.namespace, &x.m
	return &x.s
}

// Subject names the required object in a message, e.g.
// "Application argocd/orders-api-staging".
func (r Required) Subject() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Controller describes the controller reference of obj (metadata.ownerReferences
// with controller: true): its kind, name and uid, or "" if it has none.
func Controller(obj *structpb.Struct) (desc, uid string) {
	for _, v := range pb.Get(obj, "metadata", "ownerReferences").GetListValue().GetValues() {
		ref := v.GetStructValue()
		if c, _ := pb.Bool(ref, "controller"); !c {
			continue
		}
		kind, _ := pb.String(ref, "kind")
		name, _ := pb.String(ref, "name")
		uid, _ = pb.String(ref, "uid")
		return fmt.Sprintf("%s %s (uid %s)", kind, name, uid), uid
	}
	return "", ""
}

// ControlledBy reports whether obj's controller reference is the composite
// with uid, as Crossplane sets it on every resource it composes.
func ControlledBy(obj *structpb.Struct, uid string) bool {
	_, c := Controller(obj)
	return c != "" && c == uid
}

// A ConflictError refuses to compose over an object the composite does not
// control: paved never takes over or rewrites what it did not create.
type ConflictError struct{ Err error }

func (e *ConflictError) Error() string { return e.Err.Error() }
func (e *ConflictError) Unwrap() error { return e.Err }

// Creates are the objects this request would create, with their names in the
// pipeline: every desired composed resource that is not observed yet (and
// a namespaced composite's connection Secret, ComposeConnectionSecret), as
// a requirement on the name it will have. Crossplane applies a composed
// resource with server-side apply and ForceOwnership, and takes over an
// object of that name that has no controller reference (see Required): a
// Repository, a nested composite or a managed resource someone made by
// hand, or left behind with --cascade=orphan, would become this
// composite's and be rewritten. Its names are predictable (a claim's
// spec.resourceRef even chooses the composite's), so the function requires
// each object it is about to create and refuses one this composite does
// not control (Conflicts). An object that is observed is this composite's
// already: Crossplane observes only what it composed.
func (s *Set) Creates() []Requirement {
	out := make([]Requirement, 0, len(s.objects.names)+1)
	for _, name := range s.objects.names {
		if s.listed[name] != nil {
			continue
		}
		obj := s.desired[name].GetResource()
		var r Required
		r.Name, _ = pb.String(obj, "metadata", "name")
		r.APIVersion, _ = pb.String(obj, "apiVersion")
		r.Kind, _ = pb.String(obj, "kind")
		r.Namespace, _ = pb.String(obj, "metadata", "namespace")
		if r.Namespace == "" && s.xr.Namespaced() {
			// A namespaced composite's resources are all in its namespace
			// (Crossplane v2 composes nothing cluster-scoped for it).
			r.Namespace = s.xr.Namespace
		}
		out = append(out, Requirement{name, r})
	}
	if s.connectionSecret != "" && s.listed[ConnectionSecret] == nil {
		out = append(out, Requirement{ConnectionSecret, Required{APIVersion: "v1", Kind: "Secret", Namespace: s.xr.Namespace, Name: s.connectionSecret}})
	}
	return out
}

// A Requirement is an object required under the name of a composed
// resource in the pipeline (Name): one a request would create (Creates),
// or one a composer must see (Requirements). They come as slices, in the
// order they were added, rather than maps by name: they are made on every
// request, and a request requires a few objects or none.
type Requirement struct {
	Name string
	Required
}

// Conflicts refuses, as a *ConflictError naming each, the objects of
// creates (Creates) that exist and that this composite does not control.
// Objects Crossplane has not fetched yet are not judged.
func (s *Set) Conflicts(creates []Requirement) error {
	var conflicts []Requirement
	for _, c := range creates {
		if obj, _ := s.Required(c.Name); obj != nil && !ControlledBy(obj, s.xr.UID) {
			conflicts = append(conflicts, c)
		}
	}
	if len(conflicts) == 0 {
		return nil
	}
	// Named in the order of their names in the pipeline, whatever order
	// the composer added them in.
	sort.Slice(conflicts, func(i, j int) bool { return conflicts[i].Name < conflicts[j].Name })
	errs := make([]string, len(conflicts))
	for i, c := range conflicts {
		obj, _ := s.Required(c.Name)
		controller, _ := Controller(obj)
		if controller == "" {
			controller = "none"
		}
		errs[i] = fmt.Sprintf("%s, the %s this %s composes, exists and was not created by it (its controller: %s): paved never takes over or rewrites an object it did not create; the platform team can delete or rename that %s",
			c.Subject(), c.Name, s.xr.Kind, controller, c.Kind)
	}
	return &ConflictError{Err: errors.New(strings.Join(errs, "; "))}
}

// adopt reads, for a namespaced composite, a namespaced managed resource
// that the composite controls but Crossplane has not observed yet as
// observed: its names and placement are kept (Keep, KeepExternalName,
// Pin) as those of any existing composed resource are. This is how `paved
// migrate` (cmd/paved/internal/migrate) moves a claim's cloud resources to
// a namespaced composite without creating or replacing any: it creates
// the composite paused, then its managed resources, controlled by it,
// named as the composers name them and carrying the legacy resources'
// external names and parameters, and only then lets Crossplane compose.
//
// Crossplane observes only what the composite's spec.crossplane.resourceRefs
// lists (crossplane v2.4.0
// internal/controller/apiextensions/composite/composition_functions.go,
// ExistingComposedResourceObserver), which only Crossplane may write
// (apis/admission/policy.yaml). The function sees such an object only
// because it requires, by name, every object it would create (Creates),
// and Crossplane applies the desired resource over it (the same controller
// reference: server-side apply merges it) and lists it from then on.
//
// Who can make such an object: only who may create namespaced managed
// resources in the composite's namespace, with the composite's uid as
// controller. That is the platform team (docs/security.md: a tenant is
// granted paved's kinds, never managed resources; a tenant who could
// create managed resources could adopt any cloud object by external name
// without paved). A tenant's own composite never adopts anything else: a
// hand-made object without this composite's controller reference is
// refused as before (Conflicts), and objects of other kinds (a Secret, a
// Usage, which a tenant may be able to create) are never adopted; an
// Application only by a composite that may only adopt (adoptable).
// Creates still requires an adopted object, so that the requirements are
// the same on every request until Crossplane lists it.
func (s *Set) adopt() {
	if !s.xr.Namespaced() {
		return
	}
	copied := false
	for _, rs := range []map[string]*fnv1.Resources{s.required, s.extra} {
		for name, r := range rs {
			if s.observed[name] != nil || len(r.GetItems()) != 1 {
				continue
			}
			obj := r.GetItems()[0].GetResource()
			apiVersion, _ := pb.String(obj, "apiVersion")
			kind, _ := pb.String(obj, "kind")
			ns, _ := pb.String(obj, "metadata", "namespace")
			if !s.adoptable(apiVersion, kind) || ns != s.xr.Namespace || !ControlledBy(obj, s.xr.UID) {
				continue
			}
			if !copied {
				s.observed, copied = maps.Clone(s.listed), true
				if s.observed == nil {
					s.observed = map[string]*fnv1.Resource{}
				}
			}
			s.observed[name] = &fnv1.Resource{Resource: obj}
		}
	}
}

// adoptable reports whether the composite may adopt an object of kind
// (Set.adopt): a namespaced managed resource, provider-aws's or
// provider-paved's (a ServiceBundle's repository, its files and branch,
// its catalog registration: managed resources too, which no tenant is
// granted either), and, only while the composite may adopt nothing else
// (AnnotationAdoptOnly), an Argo CD Application: paved migrate moves a
// bundle's Applications to its namespace, and the composite must keep
// their names, sources and destinations (KeepPlacement) rather than point
// them at another namespace, which would make Argo CD deploy anew there
// and prune the old one. A tenant who can create an Application in its
// namespace gains nothing by having it adopted: what it may deploy, from
// where and to where, is its AppProject's to say, and the function sets
// the project.
func (s *Set) adoptable(apiVersion, kind string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	switch {
	case strings.HasSuffix(group, namespacedManagedSuffix), pavedServed[apiVersion+" "+kind]:
		return true
	case apiVersion == applicationAPIVersion && kind == applicationKind:
		return s.xr.AdoptOnly
	}
	return false
}

// AnnotationAdoptOnly restricts a namespaced composite on which it is
// "true" to adopting: paved migrate sets it while it moves a claim's cloud objects
// to the composite (cmd/paved/internal/migrate), so that the composite
// composes nothing that would create a cloud object, whatever the
// function would otherwise add. Anyone who may edit the composite may set
// it: it only ever makes the function refuse more.
const AnnotationAdoptOnly = "paved.dev/adopt-only"

// WouldCreateManaged returns the names in the pipeline of the managed
// resources among creates (Creates), provider-aws's and provider-paved's,
// that do not exist: for a composite
// that may only adopt (Composite.AdoptOnly), each would be a new cloud
// object. Objects Crossplane has not fetched yet count as not existing.
func (s *Set) WouldCreateManaged(creates []Requirement) []string {
	var out []string
	for _, r := range creates {
		group, _, _ := strings.Cut(r.APIVersion, "/")
		if !strings.HasSuffix(group, namespacedManagedSuffix) && !pavedServed[r.APIVersion+" "+r.Kind] {
			continue
		}
		if obj, _ := s.Required(r.Name); obj == nil {
			out = append(out, r.Subject())
		}
	}
	sort.Strings(out)
	return out
}
