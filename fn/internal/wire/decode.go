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
//     a missing value an empty message;
//   - a string (a map key, a Value's string) that is not UTF-8 fails the
//     request (proto3);
//   - every message, and every entry of a map, counts against a depth of
//     protowire.DefaultRecursionLimit (10,000); an entry is counted before
//     its field's wire type is looked at.
//
// The fields of the request, a State, a Resources and a Resource it does
// not read by hand (meta, credentials, required schemas, those a newer SDK
// adds, unknown ones) are collected as they came, in order, and read by
// google.golang.org/protobuf itself, merged into the message, with the
// depth that was left. TestDecodeMatchesProto, TestDecodeDepth and FuzzCodec hold
// it to google.golang.org/protobuf, error for error and byte for byte.
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

// isField reports whether m's field num is called name and is of type typ,
// as typeOf writes it.
func isField(m proto.Message, num protowire.Number, name protoreflect.Name, typ string) bool {
	fd := m.ProtoReflect().Descriptor().Fields().ByNumber(num)
	return fd != nil && fd.Name() == name && typeOf(fd) == typ
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
// limit (protowire.DefaultRecursionLimit, as proto.Unmarshal's).
func decodeRequest(b []byte, req *fnv1.RunFunctionRequest, limit int) error {
	depth := limit
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
		if typ == protowire.BytesType {
			switch num {
			case reqObserved, reqDesired:
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return errDecode
				}
				s := &req.Observed
				if num == reqDesired {
					s = &req.Desired
				}
				if *s == nil {
					*s = &fnv1.State{}
				}
				if err := decodeState(v, *s, depth); err != nil {
					return err
				}
				b = b[n:]
				continue
			case reqInput, reqContext:
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return errDecode
				}
				s := &req.Input
				if num == reqContext {
					s = &req.Context
				}
				if *s == nil {
					*s = &structpb.Struct{}
				}
				if err := decodeStruct(v, *s, depth); err != nil {
					return err
				}
				b = b[n:]
				continue
			case reqExtraResources, reqRequiredResources:
				// Crossplane answers each resource a function requires with
				// an entry, empty when it found none: a map entry, as a
				// State's resources.
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return errDecode
				}
				name, rs := "", &fnv1.Resources{}
				if err := entries(v, &name, func(v []byte) error { return decodeResources(v, rs, depth-1) }); err != nil {
					return err
				}
				m := &req.ExtraResources //nolint:staticcheck // deprecated, still sent by Crossplane v1
				if num == reqRequiredResources {
					m = &req.RequiredResources
				}
				if *m == nil {
					*m = make(map[string]*fnv1.Resources)
				}
				(*m)[name] = rs
				b = b[n:]
				continue
			}
		}
		if rest, b, err = keep(rest, field, b, num, typ); err != nil {
			return err
		}
	}
	return merge(rest, req, limit)
}

func decodeResources(b []byte, rs *fnv1.Resources, depth int) error {
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
		if num == resourcesItems && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errDecode
			}
			r := &fnv1.Resource{}
			if err := decodeResource(v, r, depth); err != nil {
				return err
			}
			rs.Items = append(rs.Items, r)
			b = b[n:]
			continue
		}
		if rest, b, err = keep(rest, field, b, num, typ); err != nil {
			return err
		}
	}
	return merge(rest, rs, limit)
}

func decodeState(b []byte, s *fnv1.State, depth int) error {
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
		switch {
		case num == stateComposite && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errDecode
			}
			if s.GetComposite() == nil {
				s.Composite = &fnv1.Resource{}
			}
			if err := decodeResource(v, s.GetComposite(), depth); err != nil {
				return err
			}
			b = b[n:]
			continue
		case num == stateResources && typ == protowire.BytesType:
			// The entry counts against the depth, as does the resource in
			// it (consumeMapOfMessage). A State is never deep enough for
			// the entry alone to reach the limit: only a Struct can be.
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errDecode
			}
			name, r := "", &fnv1.Resource{}
			if err := entries(v, &name, func(v []byte) error { return decodeResource(v, r, depth-1) }); err != nil {
				return err
			}
			if s.Resources == nil {
				s.Resources = make(map[string]*fnv1.Resource)
			}
			s.Resources[name] = r
			b = b[n:]
			continue
		}
		if rest, b, err = keep(rest, field, b, num, typ); err != nil {
			return err
		}
	}
	return merge(rest, s, limit)
}

func decodeResource(b []byte, r *fnv1.Resource, depth int) error {
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
		switch {
		case num == resourceResource && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errDecode
			}
			if r.GetResource() == nil {
				r.Resource = &structpb.Struct{}
			}
			if err := decodeStruct(v, r.GetResource(), depth); err != nil {
				return err
			}
			b = b[n:]
			continue
		case num == resourceConnectionDetails && typ == protowire.BytesType:
			// The entry counts against the depth (consumeMap), as above.
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errDecode
			}
			var key string
			var value []byte
			if err := entries(v, &key, func(v []byte) error {
				value = append([]byte{}, v...)
				return nil
			}); err != nil {
				return err
			}
			if r.ConnectionDetails == nil {
				r.ConnectionDetails = make(map[string][]byte)
			}
			r.ConnectionDetails[key] = value
			b = b[n:]
			continue
		case num == resourceReady && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return errDecode
			}
			r.Ready = fnv1.Ready(int32(v)) //nolint:gosec // an enum's varint is its int32, truncated as google.golang.org/protobuf does
			b = b[n:]
			continue
		}
		if rest, b, err = keep(rest, field, b, num, typ); err != nil {
			return err
		}
	}
	return merge(rest, r, limit)
}

func decodeStruct(b []byte, s *structpb.Struct, depth int) error {
	if depth--; depth < 0 {
		return errDepth
	}
	for len(b) > 0 {
		num, typ, n, err := tag(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == structFields {
			// A map entry counts against the depth before its wire type
			// is looked at (consumeMapOfMessage).
			if depth-1 < 0 {
				return errDepth
			}
			if typ == protowire.BytesType {
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return errDecode
				}
				key, value := "", &structpb.Value{}
				if err := entries(v, &key, func(v []byte) error { return decodeValue(v, value, depth-1) }); err != nil {
					return err
				}
				if s.Fields == nil {
					s.Fields = make(map[string]*structpb.Value)
				}
				s.Fields[key] = value
				b = b[n:]
				continue
			}
		}
		if b, err = unknown(s, b, num, typ); err != nil {
			return err
		}
	}
	return nil
}

func decodeValue(b []byte, v *structpb.Value, depth int) error {
	if depth--; depth < 0 {
		return errDepth
	}
	for len(b) > 0 {
		num, typ, n, err := tag(b)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == valueNull && typ == protowire.VarintType:
			var x uint64
			if x, n = protowire.ConsumeVarint(b); n >= 0 {
				v.Kind = &structpb.Value_NullValue{NullValue: structpb.NullValue(int32(x))} //nolint:gosec // an enum, as resourceReady
			}
		case num == valueNumber && typ == protowire.Fixed64Type:
			var x uint64
			if x, n = protowire.ConsumeFixed64(b); n >= 0 {
				v.Kind = &structpb.Value_NumberValue{NumberValue: math.Float64frombits(x)}
			}
		case num == valueString && typ == protowire.BytesType:
			var x []byte
			if x, n = protowire.ConsumeBytes(b); n >= 0 {
				if !utf8.Valid(x) {
					return errUTF8
				}
				v.Kind = &structpb.Value_StringValue{StringValue: string(x)}
			}
		case num == valueBool && typ == protowire.VarintType:
			var x uint64
			if x, n = protowire.ConsumeVarint(b); n >= 0 {
				v.Kind = &structpb.Value_BoolValue{BoolValue: protowire.DecodeBool(x)}
			}
		case num == valueStruct && typ == protowire.BytesType:
			var x []byte
			if x, n = protowire.ConsumeBytes(b); n >= 0 {
				// The same member again is merged into it; another
				// member's value is replaced.
				k, ok := v.GetKind().(*structpb.Value_StructValue)
				if !ok {
					k = &structpb.Value_StructValue{}
				}
				if k.StructValue == nil {
					k.StructValue = &structpb.Struct{}
				}
				if err := decodeStruct(x, k.StructValue, depth); err != nil {
					return err
				}
				v.Kind = k
			}
		case num == valueList && typ == protowire.BytesType:
			var x []byte
			if x, n = protowire.ConsumeBytes(b); n >= 0 {
				k, ok := v.GetKind().(*structpb.Value_ListValue)
				if !ok {
					k = &structpb.Value_ListValue{}
				}
				if k.ListValue == nil {
					k.ListValue = &structpb.ListValue{}
				}
				if err := decodeList(x, k.ListValue, depth); err != nil {
					return err
				}
				v.Kind = k
			}
		default:
			if b, err = unknown(v, b, num, typ); err != nil {
				return err
			}
			continue
		}
		if n < 0 {
			return errDecode
		}
		b = b[n:]
	}
	return nil
}

func decodeList(b []byte, l *structpb.ListValue, depth int) error {
	if depth--; depth < 0 {
		return errDepth
	}
	for len(b) > 0 {
		num, typ, n, err := tag(b)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == listValuesNumber && typ == protowire.BytesType {
			x, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errDecode
			}
			v := &structpb.Value{}
			if err := decodeValue(x, v, depth); err != nil {
				return err
			}
			l.Values = append(l.Values, v)
			b = b[n:]
			continue
		}
		if b, err = unknown(l, b, num, typ); err != nil {
			return err
		}
	}
	return nil
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

// unknown keeps the field whose value starts b in m's unknown fields, its
// tag written anew, and returns what follows it.
func unknown(m proto.Message, b []byte, num protowire.Number, typ protowire.Type) ([]byte, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return nil, errDecode
	}
	r := m.ProtoReflect()
	r.SetUnknown(append(protowire.AppendTag(r.GetUnknown(), num, typ), b[:n]...))
	return b[n:], nil
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
