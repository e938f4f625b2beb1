package pb

import (
	"math/bits"

	"google.golang.org/protobuf/types/known/structpb"
)

// Size is proto.Size(s): how many bytes s takes marshalled. proto.Size
// walks a Struct's map by reflection, allocating for every field; this
// walks it directly and allocates nothing. The sizes follow the protobuf
// encoding (https://protobuf.dev/programming-guides/encoding/) of
// google/protobuf/struct.proto: a Struct is field 1, map<string, Value>,
// each entry a message of key (1) and value (2); a Value is one of
// null_value (1, enum), number_value (2, double), string_value (3),
// bool_value (4), struct_value (5) and list_value (6); a ListValue is
// field 1, repeated Value. TestSize holds it to proto.Size.
func Size(s *structpb.Struct) int {
	n := 0
	for k, v := range s.GetFields() {
		entry := field(len(k)) + field(valueSize(v))
		n += field(entry)
	}
	return n
}

// valueSize is the marshalled size of a Value.
func valueSize(v *structpb.Value) int {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		return 1 + varintSize(uint64(k.NullValue))
	case *structpb.Value_NumberValue:
		return 1 + 8
	case *structpb.Value_StringValue:
		return field(len(k.StringValue))
	case *structpb.Value_BoolValue:
		return 1 + 1
	case *structpb.Value_StructValue:
		if k.StructValue == nil {
			return field(0)
		}
		return field(Size(k.StructValue))
	case *structpb.Value_ListValue:
		if k.ListValue == nil {
			return field(0)
		}
		n := 0
		for _, e := range k.ListValue.GetValues() {
			n += field(valueSize(e))
		}
		return field(n)
	}
	return 0
}

// field is the size of a length-delimited field of n bytes with a
// one-byte tag (field numbers below 16).
func field(n int) int { return 1 + varintSize(uint64(n)) + n }

func varintSize(u uint64) int { return (bits.Len64(u|1) + 6) / 7 }
