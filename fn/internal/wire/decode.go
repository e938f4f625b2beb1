package wire

import (
	"errors"
	"math"
	"unicode/utf8"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
)

// The decoder reads a RunFunctionRequest as google.golang.org/protobuf
// v1.36.12 reads it (internal/impl/decode.go, unmarshalPointerEager;
// codec_map.go, consumeMapOfMessage and consumeMap; codec_field.go,
// consumeMessageInfo and the oneof coder of initOneofFieldCoders;
// codec_gen.go, consumeStringValidateUTF8), so that a request means the
// same to paved whichever reads it, and fails to read where it fails:
//
//   - a field whose wire type is not its type's is an unknown field;
//   - an unknown field is kept with its tag written anew
//     (protowire.AppendTag), then its value as it came; inside a map entry
//     it is dropped;
//   - a message field that comes again is merged into the first: a oneof
//     member into the same member, a Struct's entries into its map;
//   - a map entry replaces an entry of the same key; a missing key is "",
//     a missing value an empty message (or no bytes);
//   - a string (a map key, a Value's string) that is not UTF-8 fails the
//     request (proto3);
//   - every message, and every entry of a map, counts against a depth of
//     protowire.DefaultRecursionLimit (10,000); an entry is counted before
//     its field's wire type is looked at.
//
// The fields of a message it does not read by hand (meta, credentials,
// required schemas, those a newer SDK adds, unknown ones, fields of
// another wire type) are collected as they came, in order, and read by
// google.golang.org/protobuf itself, merged into the message, with the
// depth that was left (message). TestDecodeMatchesProto, TestDecodeDepth,
// TestDecodeDepthMaps and FuzzCodec hold it to google.golang.org/protobuf,
// error for error and byte for byte.
const (
	reqObserved          protowire.Number = 2
	reqDesired           protowire.Number = 3
	reqInput             protowire.Number = 4
	reqContext           protowire.Number = 5
	reqExtraResources    protowire.Number = 6
	reqRequiredResources protowire.Number = 8

	resourcesItems protowire.Number = 1
)

// reads reports whether the fields read by hand are, by number, the
// fields of those names and types that function-sdk-go's messages have.
var reads = isField(&fnv1.RunFunctionRequest{}, reqObserved, "observed", "apiextensions.fn.proto.v1.State") &&
	isField(&fnv1.RunFunctionRequest{}, reqDesired, "desired", "apiextensions.fn.proto.v1.State") &&
	isField(&fnv1.RunFunctionRequest{}, reqInput, "input", "google.protobuf.Struct") &&
	isField(&fnv1.RunFunctionRequest{}, reqContext, "context", "google.protobuf.Struct") &&
	isField(&fnv1.RunFunctionRequest{}, reqExtraResources, "extra_resources", "map<string, apiextensions.fn.proto.v1.Resources>") &&
	isField(&fnv1.RunFunctionRequest{}, reqRequiredResources, "required_resources", "map<string, apiextensions.fn.proto.v1.Resources>") &&
	isField(&fnv1.Resources{}, resourcesItems, "items", "repeated apiextensions.fn.proto.v1.Resource") &&
	isField(&fnv1.State{}, stateComposite, "composite", "apiextensions.fn.proto.v1.Resource") &&
	isField(&fnv1.State{}, stateResources, "resources", "map<string, apiextensions.fn.proto.v1.Resource>") &&
	isField(&fnv1.Resource{}, resourceResource, "resource", "google.protobuf.Struct") &&
	isField(&fnv1.Resource{}, resourceConnectionDetails, "connection_details", "map<string, bytes>") &&
	isField(&fnv1.Resource{}, resourceReady, "ready", "apiextensions.fn.proto.v1.Ready")

// isField reports whether m's field num is called name, is of type typ,
// as typeOf writes it, and is in no oneof: the fields not read by hand are
// merged after those read (message), which would reorder two members of
// one oneof, whose last on the wire wins.
func isField(m proto.Message, num protowire.Number, name protoreflect.Name, typ string) bool {
	fd := m.ProtoReflect().Descriptor().Fields().ByNumber(num)
	if fd == nil || fd.Name() != name || typeOf(fd) != typ {
		return false
	}
	// proto3's optional is a oneof of that field alone (IsSynthetic).
	o := fd.ContainingOneof()
	return o == nil || o.IsSynthetic()
}

// typeOf writes fd's type as a .proto file does: a message's or enum's
// full name, a scalar's kind, "map<K, V>", "repeated T".
func typeOf(fd protoreflect.FieldDescriptor) string {
	if fd.IsMap() {
		return "map<" + typeOf(fd.MapKey()) + ", " + typeOf(fd.MapValue()) + ">"
	}
	t := fd.Kind().String()
	switch fd.Kind() { //nolint:exhaustive // every scalar kind is its name
	case protoreflect.MessageKind:
		t = string(fd.Message().FullName())
	case protoreflect.EnumKind:
		t = string(fd.Enum().FullName())
	}
	if fd.IsList() {
		return "repeated " + t
	}
	return t
}

var (
	errDecode = errors.New("cannot parse invalid wire-format data")
	errDepth  = errors.New("exceeded maximum recursion depth")
	errUTF8   = errors.New("string field contains invalid UTF-8")
)

// decodeRequest reads b into req, which is empty, with a depth limit of
// limit, as proto.UnmarshalOptions with that RecursionLimit reads it
// (Codec: protowire.DefaultRecursionLimit, proto.Unmarshal's).
func decodeRequest(b []byte, req *fnv1.RunFunctionRequest, limit int) error {
	return message(b, req, limit, func(num protowire.Number, typ protowire.Type, b []byte, depth int) (int, error) {
		if num == reqExtraResources || num == reqRequiredResources {
			// Crossplane answers each resource a function requires with
			// an entry, empty when it found none.
			m := &req.ExtraResources //nolint:staticcheck // deprecated, still sent by Crossplane v1
			if num == reqRequiredResources {
				m = &req.RequiredResources
			}
			rs := &fnv1.Resources{}
			return mapEntry(b, typ, depth, m, &rs, func(v []byte) error { return decodeResources(v, rs, depth-1) })
		}
		if typ != protowire.BytesType {
			return notRead, nil
		}
		switch num {
		case reqObserved:
			return sub(b, func(v []byte) error { return decodeState(v, ensure(&req.Observed), depth) })
		case reqDesired:
			return sub(b, func(v []byte) error { return decodeState(v, ensure(&req.Desired), depth) })
		case reqInput:
			return sub(b, func(v []byte) error { return decodeStruct(v, ensure(&req.Input), depth) })
		case reqContext:
			return sub(b, func(v []byte) error { return decodeStruct(v, ensure(&req.Context), depth) })
		}
		return notRead, nil
	})
}

func decodeResources(b []byte, rs *fnv1.Resources, depth int) error {
	return message(b, rs, depth, func(num protowire.Number, typ protowire.Type, b []byte, depth int) (int, error) {
		if num != resourcesItems || typ != protowire.BytesType {
			return notRead, nil
		}
		return sub(b, func(v []byte) error {
			r := &fnv1.Resource{}
			rs.Items = append(rs.Items, r)
			return decodeResource(v, r, depth)
		})
	})
}

func decodeState(b []byte, s *fnv1.State, depth int) error {
	return message(b, s, depth, func(num protowire.Number, typ protowire.Type, b []byte, depth int) (int, error) {
		switch {
		case num == stateComposite && typ == protowire.BytesType:
			return sub(b, func(v []byte) error { return decodeResource(v, ensure(&s.Composite), depth) })
		case num == stateResources:
			r := &fnv1.Resource{}
			return mapEntry(b, typ, depth, &s.Resources, &r, func(v []byte) error { return decodeResource(v, r, depth-1) })
		}
		return notRead, nil
	})
}

func decodeResource(b []byte, r *fnv1.Resource, depth int) error {
	return message(b, r, depth, func(num protowire.Number, typ protowire.Type, b []byte, depth int) (int, error) {
		switch {
		case num == resourceResource && typ == protowire.BytesType:
			return sub(b, func(v []byte) error { return decodeStruct(v, ensure(&r.Resource), depth) })
		case num == resourceConnectionDetails:
			var value []byte
			return mapEntry(b, typ, depth, &r.ConnectionDetails, &value, func(v []byte) error {
				value = append([]byte{}, v...)
				return nil
			})
		case num == resourceReady && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			r.Ready = fnv1.Ready(int32(v)) //nolint:gosec // an enum's varint is its int32, truncated as google.golang.org/protobuf does
			return consumed(n)
		}
		return notRead, nil
	})
}

func decodeStruct(b []byte, s *structpb.Struct, depth int) error {
	return message(b, s, depth, func(num protowire.Number, typ protowire.Type, b []byte, depth int) (int, error) {
		if num != structFields {
			return notRead, nil
		}
		value := &structpb.Value{}
		return mapEntry(b, typ, depth, &s.Fields, &value, func(v []byte) error { return decodeValue(v, value, depth-1) })
	})
}

func decodeValue(b []byte, v *structpb.Value, depth int) error {
	return message(b, v, depth, func(num protowire.Number, typ protowire.Type, b []byte, depth int) (int, error) {
		switch {
		case num == valueNull && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			v.Kind = &structpb.Value_NullValue{NullValue: structpb.NullValue(int32(x))} //nolint:gosec // an enum, as a Resource's ready
			return consumed(n)
		case num == valueNumber && typ == protowire.Fixed64Type:
			x, n := protowire.ConsumeFixed64(b)
			v.Kind = &structpb.Value_NumberValue{NumberValue: math.Float64frombits(x)}
			return consumed(n)
		case num == valueString && typ == protowire.BytesType:
			x, n := protowire.ConsumeBytes(b)
			if n >= 0 && !utf8.Valid(x) {
				return 0, errUTF8
			}
			v.Kind = &structpb.Value_StringValue{StringValue: string(x)}
			return consumed(n)
		case num == valueBool && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(b)
			v.Kind = &structpb.Value_BoolValue{BoolValue: protowire.DecodeBool(x)}
			return consumed(n)
		case num == valueStruct && typ == protowire.BytesType:
			// The same member again is merged into it; another member's
			// value is replaced.
			k, ok := v.GetKind().(*structpb.Value_StructValue)
			if !ok {
				k = &structpb.Value_StructValue{}
				v.Kind = k
			}
			return sub(b, func(x []byte) error { return decodeStruct(x, ensure(&k.StructValue), depth) })
		case num == valueList && typ == protowire.BytesType:
			k, ok := v.GetKind().(*structpb.Value_ListValue)
			if !ok {
				k = &structpb.Value_ListValue{}
				v.Kind = k
			}
			return sub(b, func(x []byte) error { return decodeList(x, ensure(&k.ListValue), depth) })
		}
		return notRead, nil
	})
}

func decodeList(b []byte, l *structpb.ListValue, depth int) error {
	return message(b, l, depth, func(num protowire.Number, typ protowire.Type, b []byte, depth int) (int, error) {
		if num != listValuesNumber || typ != protowire.BytesType {
			return notRead, nil
		}
		return sub(b, func(x []byte) error {
			v := &structpb.Value{}
			l.Values = append(l.Values, v)
			return decodeValue(x, v, depth)
		})
	})
}

// notRead is what a message's read returns for a field it does not read.
const notRead = -1

// message reads the fields of m at b, at depth (what is left of the
// limit before m, which counts against it): read reads a field it knows,
// given its number, wire type, the bytes from its value on and the depth
// left inside m, and returns how many bytes its value took, or notRead.
// Every field it does not read is kept as it came, in order, and read into
// m by google.golang.org/protobuf at the end (keep, merge): an unknown
// field, a field of another wire type, a field of the SDK's not read by
// hand.
func message(b []byte, m proto.Message, depth int, read func(num protowire.Number, typ protowire.Type, b []byte, depth int) (int, error)) error {
	limit := depth
	if depth--; depth < 0 {
		return errDepth
	}
	var rest []byte
	for len(b) > 0 {
		num, typ, n, err := tag(b)
		if err != nil {
			return err
		}
		field := b
		b = b[n:]
		if n, err = read(num, typ, b, depth); err != nil {
			return err
		}
		if n == notRead {
			if rest, b, err = keep(rest, field, b, num, typ); err != nil {
				return err
			}
			continue
		}
		b = b[n:]
	}
	return merge(rest, m, limit)
}

// sub reads the length-delimited value at b with read, and returns how
// many bytes it took with its length.
func sub(b []byte, read func(v []byte) error) (int, error) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return 0, errDecode
	}
	return n, read(v)
}

// mapEntry reads the map entry at b, of wire type typ, into *m: its key,
// and its value as read reads each value field into *value (merged, if it
// comes twice). The entry counts against depth, the depth left in the
// map's message, before its wire type is looked at (consumeMap,
// consumeMapOfMessage); of another wire type, it is not read.
func mapEntry[V any](b []byte, typ protowire.Type, depth int, m *map[string]V, value *V, read func(v []byte) error) (int, error) {
	if depth-1 < 0 {
		return 0, errDepth
	}
	if typ != protowire.BytesType {
		return notRead, nil
	}
	return sub(b, func(v []byte) error {
		var key string
		if err := entries(v, &key, read); err != nil {
			return err
		}
		if *m == nil {
			*m = make(map[string]V)
		}
		(*m)[key] = *value
		return nil
	})
}

// ensure returns *p, made first if nil: a message field read is merged
// into what an earlier one made.
func ensure[T any](p **T) *T {
	if *p == nil {
		*p = new(T)
	}
	return *p
}

// consumed is n, the bytes a value took, or errDecode if it could not be
// read.
func consumed(n int) (int, error) {
	if n < 0 {
		return 0, errDecode
	}
	return n, nil
}

// tag reads a field's tag: a field number from 1 to
// protowire.MaxValidNumber, and a wire type that is not an end of group
// (a message read here is never a group).
func tag(b []byte) (protowire.Number, protowire.Type, int, error) {
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, 0, errDecode
	}
	num, typ := v>>3, protowire.Type(v&7)
	if num < uint64(protowire.MinValidNumber) || num > uint64(protowire.MaxValidNumber) || typ == protowire.EndGroupType {
		return 0, 0, 0, errDecode
	}
	return protowire.Number(num), typ, n, nil
}

// entries reads the fields of a map entry: its string key into key, each
// value field's bytes to value; any other field is dropped.
func entries(b []byte, key *string, value func([]byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num > protowire.MaxValidNumber {
			return errDecode
		}
		b = b[n:]
		switch {
		case num == entryKey && typ == protowire.BytesType:
			k, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errDecode
			}
			if !utf8.Valid(k) {
				return errUTF8
			}
			*key = string(k)
			b = b[n:]
		case num == entryValue && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errDecode
			}
			if err := value(v); err != nil {
				return err
			}
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return errDecode
			}
			b = b[n:]
		}
	}
	return nil
}

// keep appends the field that starts at field, its value at b, to rest as
// it came, and returns what follows it. The first field kept is not
// copied: rest is then the input's own bytes, capped at its length, so
// that a second field appended copies it (google.golang.org/protobuf
// copies what it reads from it, merge).
func keep(rest, field, b []byte, num protowire.Number, typ protowire.Type) ([]byte, []byte, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return nil, nil, errDecode
	}
	end := len(field) - len(b) + n
	if rest == nil {
		return field[:end:end], b[n:], nil
	}
	return append(rest, field[:end]...), b[n:], nil
}

// merge reads the fields kept by keep into m with google.golang.org/protobuf,
// which counts m against the depth again: limit is the depth before m.
func merge(rest []byte, m proto.Message, limit int) error {
	if len(rest) == 0 {
		return nil
	}
	return proto.UnmarshalOptions{Merge: true, RecursionLimit: limit}.Unmarshal(rest, m)
}
