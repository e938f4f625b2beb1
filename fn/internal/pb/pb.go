// Package pb reads and builds the protobuf Struct documents that carry
// Kubernetes objects through a RunFunctionRequest.
//
// The function works on these documents directly instead of round-tripping
// them through JSON and unstructured.Unstructured: composition is then a few
// map look-ups and allocations, close to free next to the gRPC call itself.
package pb

import (
	"sync"

	"google.golang.org/protobuf/types/known/structpb"
)

// Get returns the value at path in s, or nil if any step is missing or is
// not an object.
func Get(s *structpb.Struct, path ...string) *structpb.Value {
	var v *structpb.Value
	for i, p := range path {
		if s == nil {
			return nil
		}
		v = s.GetFields()[p]
		if v == nil {
			return nil
		}
		if i < len(path)-1 {
			s = v.GetStructValue()
		}
	}
	return v
}

// Struct returns the object at path in s, or nil.
func Struct(s *structpb.Struct, path ...string) *structpb.Struct {
	return Get(s, path...).GetStructValue()
}

// String returns the string at path in s and whether a string is there.
func String(s *structpb.Struct, path ...string) (string, bool) {
	v := Get(s, path...)
	if sv, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		return sv.StringValue, true
	}
	return "", false
}

// Number returns the number at path in s and whether a number is there.
func Number(s *structpb.Struct, path ...string) (float64, bool) {
	v := Get(s, path...)
	if nv, ok := v.GetKind().(*structpb.Value_NumberValue); ok {
		return nv.NumberValue, true
	}
	return 0, false
}

// Bool returns the boolean at path in s and whether a boolean is there.
func Bool(s *structpb.Struct, path ...string) (bool, bool) {
	v := Get(s, path...)
	if bv, ok := v.GetKind().(*structpb.Value_BoolValue); ok {
		return bv.BoolValue, true
	}
	return false, false
}

// Has reports whether path is set in s (to anything but null).
func Has(s *structpb.Struct, path ...string) bool {
	v := Get(s, path...)
	if v == nil {
		return false
	}
	_, null := v.GetKind().(*structpb.Value_NullValue)
	return !null
}

// Condition returns the status and reason of the condition of type t in
// the object's status.conditions, and whether it was found.
func Condition(obj *structpb.Struct, t string) (status, reason string, found bool) {
	c, found := ConditionOf(obj, t)
	return c.Status, c.Reason, found
}

// A Cond is a condition as a managed resource reports it.
type Cond struct {
	Status, Reason, Message string
}

// ConditionOf returns the condition of type t in the object's
// status.conditions, and whether it was found.
func ConditionOf(obj *structpb.Struct, t string) (Cond, bool) {
	for _, c := range Get(obj, "status", "conditions").GetListValue().GetValues() {
		cs := c.GetStructValue()
		if ct, _ := String(cs, "type"); ct != t {
			continue
		}
		var out Cond
		out.Status, _ = String(cs, "status")
		out.Reason, _ = String(cs, "reason")
		out.Message, _ = String(cs, "message")
		return out, true
	}
	return Cond{}, false
}

// Builders. They construct values directly, without reflection, each in
// one allocation: a Value, its oneof wrapper (and an object's Struct or a
// list's ListValue) are allocated together, as one struct, rather than
// one by one as structpb.New*Value does. Composing allocates mostly these,
// and the collector's work grows with the number of objects.

// Str is a string value.
func Str(s string) *structpb.Value {
	x := &struct {
		v structpb.Value
		k structpb.Value_StringValue
	}{}
	x.k.StringValue = s
	x.v.Kind = &x.k
	return &x.v
}

// Const is the string value of s, a constant of paved's code (an
// apiVersion, a kind): one value per string, made once and shared by every
// object, never modified. Never pass it a string from a request: the values
// are kept for the life of the process.
func Const(s string) *structpb.Value {
	if v, ok := consts.Load(s); ok {
		return v.(*structpb.Value) //nolint:forcetypeassert // consts holds only *structpb.Value
	}
	v, _ := consts.LoadOrStore(s, Str(s))
	return v.(*structpb.Value) //nolint:forcetypeassert // consts holds only *structpb.Value
}

var consts sync.Map

// Num is a number value.
func Num(n float64) *structpb.Value {
	x := &struct {
		v structpb.Value
		k structpb.Value_NumberValue
	}{}
	x.k.NumberValue = n
	x.v.Kind = &x.k
	return &x.v
}

// Int is a number value from an integer.
func Int(n int) *structpb.Value { return Num(float64(n)) }

// Boolean is a boolean value: one of two values shared by every object,
// which, like every value in a composed object, are never modified.
func Boolean(b bool) *structpb.Value {
	if b {
		return trueValue
	}
	return falseValue
}

var trueValue, falseValue = structpb.NewBoolValue(true), structpb.NewBoolValue(false)

// Fields is the content of an object.
type Fields map[string]*structpb.Value

// Obj is an object value.
func Obj(f Fields) *structpb.Value {
	x := &struct {
		v structpb.Value
		k structpb.Value_StructValue
		s structpb.Struct
	}{}
	x.s.Fields = f
	x.k.StructValue = &x.s
	x.v.Kind = &x.k
	return &x.v
}

// List is a list value.
func List(vs ...*structpb.Value) *structpb.Value {
	x := &struct {
		v structpb.Value
		k structpb.Value_ListValue
		l structpb.ListValue
	}{}
	x.l.Values = vs
	x.k.ListValue = &x.l
	x.v.Kind = &x.k
	return &x.v
}

// Strs is a list of strings.
func Strs(ss []string) *structpb.Value {
	vs := make([]*structpb.Value, len(ss))
	for i, s := range ss {
		vs[i] = Str(s)
	}
	return List(vs...)
}

// StrMap is an object whose values are all strings.
func StrMap(m map[string]string) *structpb.Value {
	f := make(Fields, len(m))
	for k, v := range m {
		f[k] = Str(v)
	}
	return Obj(f)
}

// Set sets path in s to v, creating intermediate objects as needed and
// replacing any non-object on the way.
func Set(s *structpb.Struct, v *structpb.Value, path ...string) {
	for _, p := range path[:len(path)-1] {
		if s.Fields == nil {
			s.Fields = map[string]*structpb.Value{}
		}
		next := s.GetFields()[p].GetStructValue()
		if next == nil {
			next = &structpb.Struct{Fields: map[string]*structpb.Value{}}
			s.Fields[p] = structpb.NewStructValue(next)
		}
		s = next
	}
	if s.Fields == nil {
		s.Fields = map[string]*structpb.Value{}
	}
	s.Fields[path[len(path)-1]] = v
}
