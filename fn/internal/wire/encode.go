// Package wire writes the function's answers to gRPC's wire, and reads its
// requests from it (decode.go).
//
// grpc-go's proto codec marshals a RunFunctionResponse with
// google.golang.org/protobuf, which sizes every message in one pass and
// writes it in a second, and ranges over every map through reflection: a
// google.protobuf.Struct is a map<string, Value>, and an answer is almost
// all Structs (the composite and every composed resource). For a
// DatabaseClaim's first answer that was ~600 allocations and ~10 KB of
// garbage per call, and 3–5 times the time this package takes
// (BenchmarkMarshalAnswer, fn/wire_test.go). Codec writes the same fields
// in one pass, from the end of a buffer towards its start, so that a
// message's length is known when it is written, before the message: the
// Structs and the answer's own messages by hand, the other messages in it
// with google.golang.org/protobuf itself.
//
// The bytes decode to the same message (TestEncodeDecodes, FuzzCodec,
// fn's TestAnswersOverTheWire): the same fields in another order, which
// protobuf parsers accept ("protocol buffer parsers must be able to parse
// fields in any order",
// https://protobuf.dev/programming-guides/encoding/#order).
package wire

import (
	"math"
	"slices"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// An encoder writes a message from the end of buf towards its start: the
// bytes written are buf[i:]. A message's content is written first, then its
// length and tag, which land before it.
type encoder struct {
	buf []byte
	i   int
	// scratch holds a message google.golang.org/protobuf writes
	// (encoder.message).
	scratch []byte
}

// written is how many bytes were written.
func (e *encoder) written() int { return len(e.buf) - e.i }

// bytes are the bytes written, in order.
func (e *encoder) bytes() []byte { return e.buf[e.i:] }

func (e *encoder) reset() { e.i = len(e.buf) }

// room makes room for n more bytes before those written.
func (e *encoder) room(n int) {
	if e.i >= n {
		return
	}
	used := e.written()
	c := max(2*len(e.buf), used+n, 4096)
	b := make([]byte, c)
	copy(b[c-used:], e.bytes())
	e.buf, e.i = b, c-used
}

func (e *encoder) raw(p []byte) {
	e.room(len(p))
	e.i -= len(p)
	copy(e.buf[e.i:], p)
}

func (e *encoder) varint(v uint64) {
	n := protowire.SizeVarint(v)
	e.room(n)
	e.i -= n
	protowire.AppendVarint(e.buf[e.i:e.i], v)
}

func (e *encoder) tag(num protowire.Number, t protowire.Type) {
	e.varint(protowire.EncodeTag(num, t))
}

// lengthPrefixed writes the length and tag of field num, whose content is
// what was written since written() was from.
func (e *encoder) lengthPrefixed(num protowire.Number, from int) {
	e.varint(uint64(e.written() - from)) //nolint:gosec // a length, never negative
	e.tag(num, protowire.BytesType)
}

// str writes string field num.
func (e *encoder) str(num protowire.Number, s string) {
	e.room(len(s))
	e.i -= len(s)
	copy(e.buf[e.i:], s)
	e.varint(uint64(len(s)))
	e.tag(num, protowire.BytesType)
}

// The messages of google.protobuf.Struct (struct.proto): Struct is
// map<string, Value> fields = 1; a map entry is {string key = 1; Value
// value = 2}; Value is oneof kind {NullValue null_value = 1; double
// number_value = 2; string string_value = 3; bool bool_value = 4; Struct
// struct_value = 5; ListValue list_value = 6}; ListValue is repeated Value
// values = 1.
// https://github.com/protocolbuffers/protobuf/blob/main/src/google/protobuf/struct.proto
const (
	structFields     protowire.Number = 1
	entryKey         protowire.Number = 1
	entryValue       protowire.Number = 2
	valueNull        protowire.Number = 1
	valueNumber      protowire.Number = 2
	valueString      protowire.Number = 3
	valueBool        protowire.Number = 4
	valueStruct      protowire.Number = 5
	valueList        protowire.Number = 6
	listValuesNumber protowire.Number = 1
)

// structContent writes s's fields, without its own tag and length. Unknown
// fields come last, as google.golang.org/protobuf writes them.
func (e *encoder) structContent(s *structpb.Struct) {
	e.raw(s.ProtoReflect().GetUnknown())
	for k, v := range s.GetFields() {
		entry := e.written()
		value := e.written()
		e.valueContent(v)
		e.lengthPrefixed(entryValue, value)
		e.str(entryKey, k)
		e.lengthPrefixed(structFields, entry)
	}
}

func (e *encoder) valueContent(v *structpb.Value) {
	if v == nil {
		return
	}
	e.raw(v.ProtoReflect().GetUnknown())
	// A oneof member is written even when it is its type's zero value: it
	// is set (google.golang.org/protobuf internal/impl/codec_field.go,
	// initOneofFieldCoders).
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		e.varint(uint64(int64(k.NullValue))) //nolint:gosec // an enum is its int32 sign-extended (resource below)
		e.tag(valueNull, protowire.VarintType)
	case *structpb.Value_NumberValue:
		e.room(8)
		e.i -= 8
		protowire.AppendFixed64(e.buf[e.i:e.i], math.Float64bits(k.NumberValue))
		e.tag(valueNumber, protowire.Fixed64Type)
	case *structpb.Value_StringValue:
		e.str(valueString, k.StringValue)
	case *structpb.Value_BoolValue:
		e.varint(protowire.EncodeBool(k.BoolValue))
		e.tag(valueBool, protowire.VarintType)
	case *structpb.Value_StructValue:
		from := e.written()
		if k.StructValue != nil {
			e.structContent(k.StructValue)
		}
		e.lengthPrefixed(valueStruct, from)
	case *structpb.Value_ListValue:
		from := e.written()
		if k.ListValue != nil {
			e.listContent(k.ListValue)
		}
		e.lengthPrefixed(valueList, from)
	}
}

func (e *encoder) listContent(l *structpb.ListValue) {
	e.raw(l.ProtoReflect().GetUnknown())
	for _, v := range slices.Backward(l.GetValues()) {
		from := e.written()
		e.valueContent(v)
		e.lengthPrefixed(listValuesNumber, from)
	}
}

// The fields of function-sdk-go's messages that carry Structs, as
// run_function.proto numbers them (function-sdk-go v0.7.1,
// proto/v1/run_function.proto): the answer, its desired state and each
// desired resource. Every other message in an answer (its meta, results,
// requirements and conditions) is written by google.golang.org/protobuf
// (encoder.message), so that a field the SDK adds to one of them is
// written as it would be. A field added to these three is not: Codec then
// writes every answer with its base codec (encodes), and
// TestEncodesSDKMessages and TestEveryFieldWritten fail.
const (
	rspMeta         protowire.Number = 1
	rspDesired      protowire.Number = 2
	rspResults      protowire.Number = 3
	rspContext      protowire.Number = 4
	rspRequirements protowire.Number = 5
	rspConditions   protowire.Number = 6
	rspOutput       protowire.Number = 7

	stateComposite protowire.Number = 1
	stateResources protowire.Number = 2

	resourceResource          protowire.Number = 1
	resourceConnectionDetails protowire.Number = 2
	resourceReady             protowire.Number = 3
)

// encodes reports whether function-sdk-go's messages have the fields the
// encoder writes, by number, and no other.
var encodes = hasFields(&fnv1.RunFunctionResponse{}, rspMeta, rspDesired, rspResults, rspContext, rspRequirements, rspConditions, rspOutput) &&
	hasFields(&fnv1.State{}, stateComposite, stateResources) &&
	hasFields(&fnv1.Resource{}, resourceResource, resourceConnectionDetails, resourceReady)

func hasFields(m proto.Message, nums ...protowire.Number) bool {
	fields := m.ProtoReflect().Descriptor().Fields()
	if fields.Len() != len(nums) {
		return false
	}
	for _, n := range nums {
		if fields.ByNumber(n) == nil {
			return false
		}
	}
	return true
}

// response writes rsp's fields, without a tag and length of its own.
func (e *encoder) response(rsp *fnv1.RunFunctionResponse) error {
	e.raw(rsp.ProtoReflect().GetUnknown())
	if o := rsp.GetOutput(); o != nil {
		e.structField(rspOutput, o)
	}
	if err := messages(e, rspConditions, rsp.GetConditions()); err != nil {
		return err
	}
	if r := rsp.GetRequirements(); r != nil {
		if err := e.message(rspRequirements, r); err != nil {
			return err
		}
	}
	if c := rsp.GetContext(); c != nil {
		e.structField(rspContext, c)
	}
	if err := messages(e, rspResults, rsp.GetResults()); err != nil {
		return err
	}
	if d := rsp.GetDesired(); d != nil {
		from := e.written()
		e.state(d)
		e.lengthPrefixed(rspDesired, from)
	}
	if m := rsp.GetMeta(); m != nil {
		return e.message(rspMeta, m)
	}
	return nil
}

func (e *encoder) state(s *fnv1.State) {
	e.raw(s.ProtoReflect().GetUnknown())
	for name, r := range s.GetResources() {
		// A map entry is {key = 1; value = 2}, as a Struct's, both
		// written even when empty, as google.golang.org/protobuf writes
		// them (internal/impl/codec_map.go, appendMapItem).
		entry := e.written()
		value := e.written()
		if r != nil {
			e.resource(r)
		}
		e.lengthPrefixed(entryValue, value)
		e.str(entryKey, name)
		e.lengthPrefixed(stateResources, entry)
	}
	if c := s.GetComposite(); c != nil {
		from := e.written()
		e.resource(c)
		e.lengthPrefixed(stateComposite, from)
	}
}

func (e *encoder) resource(r *fnv1.Resource) {
	e.raw(r.ProtoReflect().GetUnknown())
	if r.GetReady() != fnv1.Ready_READY_UNSPECIFIED {
		// An enum is written as the varint of its int32 value sign-extended
		// (https://protobuf.dev/programming-guides/encoding/#signed-ints).
		e.varint(uint64(int64(r.GetReady()))) //nolint:gosec // sign extension is the encoding
		e.tag(resourceReady, protowire.VarintType)
	}
	for k, v := range r.GetConnectionDetails() {
		entry := e.written()
		e.room(len(v))
		e.i -= len(v)
		copy(e.buf[e.i:], v)
		e.varint(uint64(len(v)))
		e.tag(entryValue, protowire.BytesType)
		e.str(entryKey, k)
		e.lengthPrefixed(resourceConnectionDetails, entry)
	}
	if s := r.GetResource(); s != nil {
		e.structField(resourceResource, s)
	}
}

// structField writes s as field num.
func (e *encoder) structField(num protowire.Number, s *structpb.Struct) {
	from := e.written()
	e.structContent(s)
	e.lengthPrefixed(num, from)
}

// messages writes ms as repeated field num, in their order.
func messages[M proto.Message](e *encoder, num protowire.Number, ms []M) error {
	for _, m := range slices.Backward(ms) {
		if err := e.message(num, m); err != nil {
			return err
		}
	}
	return nil
}

// message writes m as field num, as google.golang.org/protobuf writes it.
func (e *encoder) message(num protowire.Number, m proto.Message) error {
	b, err := proto.MarshalOptions{}.MarshalAppend(e.scratch[:0], m)
	if err != nil {
		return err
	}
	e.raw(b)
	e.scratch = b[:0]
	e.varint(uint64(len(b)))
	e.tag(num, protowire.BytesType)
	return nil
}
