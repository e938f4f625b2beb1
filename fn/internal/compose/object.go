package compose

import (
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

// Names are the names of the objects in the order they were added.
func (o Objects) Names() []string { return o.names }
