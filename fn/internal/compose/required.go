package compose

import (
	"fmt"

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

// Selector is the requirement's selector in a function response.
func (r Required) Selector() *fnv1.ResourceSelector {
	return &fnv1.ResourceSelector{
		ApiVersion: r.APIVersion,
		Kind:       r.Kind,
		Namespace:  &r.Namespace,
		Match:      &fnv1.ResourceSelector_MatchName{MatchName: r.Name},
	}
}

// Subject names the required object in a message, e.g.
// "Application argocd/orders-api-staging".
func (r Required) Subject() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Required returns what Crossplane fetched for the requirement called name:
// the object (nil when it does not exist), and whether Crossplane has
// fetched it at all (false until it has been asked to).
func (s *Set) Required(name string) (*structpb.Struct, bool) {
	rs, ok := s.required[name]
	if !ok {
		rs, ok = s.extra[name]
	}
	if !ok {
		return nil, false
	}
	for _, item := range rs.GetItems() {
		return item.GetResource(), true
	}
	return nil, true
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
