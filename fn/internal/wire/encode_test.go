package wire

import (
	"bytes"
	"math"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
)

func doc(t testing.TB, j string) *structpb.Struct {
	t.Helper()
	s := &structpb.Struct{}
	if err := protojson.Unmarshal([]byte(j), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// marshal is rsp's bytes as Codec writes them.
func marshal(t *testing.T, rsp *fnv1.RunFunctionResponse) []byte {
	t.Helper()
	data, err := NewCodec().Marshal(rsp)
	if err != nil {
		t.Fatal(err)
	}
	defer data.Free()
	return data.Materialize()
}

// decodes checks that rsp's bytes as Codec writes them decode to rsp and
// are as many as google.golang.org/protobuf writes: the same fields,
// whatever their order.
func decodes(t *testing.T, rsp *fnv1.RunFunctionResponse) {
	t.Helper()
	b := marshal(t, rsp)
	got := &fnv1.RunFunctionResponse{}
	if err := proto.Unmarshal(b, got); err != nil {
		t.Fatalf("the bytes do not decode: %v", err)
	}
	if diff := cmp.Diff(rsp, got, protocmp.Transform()); diff != "" {
		t.Errorf("-written, +decoded:\n%s", diff)
	}
	if want := proto.Size(rsp); len(b) != want {
		t.Errorf("%d bytes, google.golang.org/protobuf writes %d", len(b), want)
	}
}

func answer(s *structpb.Struct) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{Desired: &fnv1.State{
		Composite: &fnv1.Resource{Resource: s},
		Resources: map[string]*fnv1.Resource{"a": {Resource: s, Ready: fnv1.Ready_READY_TRUE}},
	}}
}

func TestEncodeDecodes(t *testing.T) {
	docs := map[string]string{
		"empty":   `{}`,
		"scalars": `{"s": "x", "n": 1.5, "t": true, "null": null, "neg": -3, "big": 1e300}`,
		"zeros":   `{"s": "", "n": 0, "f": false, "": "empty key", "o": {}, "l": []}`,
		"nested":  `{"spec": {"forProvider": {"tags": {"a": "b"}, "ports": [5432, {"x": [[], [null, "y"]]}]}}}`,
		"unicode": `{"ключ": "значение ✓", "emoji": "🚀"}`,
		"long":    `{"s": "` + strings.Repeat("x", 300) + `"}`,
	}
	for name, j := range docs {
		t.Run(name, func(t *testing.T) { decodes(t, answer(doc(t, j))) })
	}

	t.Run("values protojson cannot write, nil messages", func(t *testing.T) {
		s := &structpb.Struct{Fields: map[string]*structpb.Value{
			"nan":           structpb.NewNumberValue(math.NaN()),
			"inf":           structpb.NewNumberValue(math.Inf(-1)),
			"no kind":       {},
			"nil value":     nil,
			"nil struct":    {Kind: &structpb.Value_StructValue{}},
			"nil list":      {Kind: &structpb.Value_ListValue{}},
			"list with nil": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{nil, {}}}),
		}}
		rsp := answer(s)
		rsp.Desired.Resources["nil"] = nil
		rsp.Results = []*fnv1.Result{nil}
		sameAsProto(t, rsp)
	})

	t.Run("connection details, readiness, empty resources", func(t *testing.T) {
		rsp := answer(doc(t, `{"a": "b"}`))
		rsp.Desired.Composite.ConnectionDetails = map[string][]byte{"": {}, "password": []byte("s3cr3t"), "empty": nil}
		rsp.Desired.Resources["b"] = &fnv1.Resource{Ready: fnv1.Ready_READY_FALSE, ConnectionDetails: map[string][]byte{"k": {0, 1, 2}}}
		rsp.Desired.Resources[""] = &fnv1.Resource{Resource: &structpb.Struct{}}
		decodes(t, rsp)
	})

	t.Run("unknown fields", func(t *testing.T) {
		s := doc(t, `{"a": {"b": ["c"]}}`)
		unknown := protowire.AppendTag(nil, 99, protowire.VarintType)
		unknown = protowire.AppendVarint(unknown, 7)
		s.ProtoReflect().SetUnknown(unknown)
		s.GetFields()["a"].ProtoReflect().SetUnknown(unknown)
		s.GetFields()["a"].GetStructValue().GetFields()["b"].GetListValue().ProtoReflect().SetUnknown(unknown)
		rsp := answer(s)
		rsp.ProtoReflect().SetUnknown(unknown)
		rsp.GetDesired().ProtoReflect().SetUnknown(unknown)
		decodes(t, rsp)
	})
}

// sameAsProto checks that rsp's bytes as Codec writes them decode to what
// google.golang.org/protobuf's decode to, in as many bytes, for messages
// that do not equal what they decode to (NaN differs from itself; a nil
// message decodes as an empty one).
func sameAsProto(t *testing.T, rsp *fnv1.RunFunctionResponse) {
	t.Helper()
	b := marshal(t, rsp)
	want, err := proto.Marshal(rsp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(decodeAndRemarshal(t, b), decodeAndRemarshal(t, want)) {
		t.Error("the bytes decode to another message than google.golang.org/protobuf's")
	}
	if len(b) != len(want) {
		t.Errorf("%d bytes, google.golang.org/protobuf writes %d", len(b), len(want))
	}
}

func decodeAndRemarshal(t *testing.T, b []byte) []byte {
	t.Helper()
	m := &fnv1.RunFunctionResponse{}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEncodesSDKMessages: the encoder writes every field function-sdk-go's
// RunFunctionResponse, State and Resource have. A field a new SDK adds to
// one of them makes Codec write every answer with its base codec; this
// test then fails, so that the encoder learns the field.
func TestEncodesSDKMessages(t *testing.T) {
	if !encodes {
		t.Fatal("function-sdk-go's RunFunctionResponse, State or Resource has fields encode.go does not write: Codec writes every answer with its base codec")
	}
	if hasFields(&fnv1.State{}, stateComposite) || hasFields(&fnv1.State{}, stateComposite, resourceReady) {
		t.Error("hasFields accepts a message whose fields differ")
	}
}

// TestEveryFieldWritten sets every field of a RunFunctionResponse, and of
// every message in it, to a value that is not its zero value: a field a
// new function-sdk-go adds is set too, so the test fails if the encoder
// drops or mangles it.
func TestEveryFieldWritten(t *testing.T) {
	rsp := &fnv1.RunFunctionResponse{}
	populate(rsp.ProtoReflect(), 0)
	if n := countSet(rsp.ProtoReflect()); n < 30 {
		t.Fatalf("only %d fields set: populate missed some", n)
	}
	decodes(t, rsp)
}

// populate sets every field of m (to depth 4, then the messages stay
// empty) to a value that is not its kind's zero value.
func populate(m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && m.WhichOneof(od) != nil {
			continue // one member of a oneof at a time
		}
		switch {
		case fd.IsMap():
			mv := m.Mutable(fd).Map()
			k := scalar(fd.MapKey()).MapKey()
			if fd.MapValue().Message() != nil {
				v := mv.NewValue()
				if depth < 4 {
					populate(v.Message(), depth+1)
				}
				mv.Set(k, v)
			} else {
				mv.Set(k, scalar(fd.MapValue()))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			if fd.Message() != nil {
				v := l.NewElement()
				if depth < 4 {
					populate(v.Message(), depth+1)
				}
				l.Append(v)
			} else {
				l.Append(scalar(fd))
			}
		case fd.Message() != nil:
			if fd.Message().FullName() == (&structpb.Struct{}).ProtoReflect().Descriptor().FullName() {
				m.Set(fd, protoreflect.ValueOfMessage((&structpb.Struct{Fields: map[string]*structpb.Value{"k": structpb.NewStringValue("v")}}).ProtoReflect()))
				continue
			}
			if depth < 4 {
				populate(m.Mutable(fd).Message(), depth+1)
			}
		default:
			m.Set(fd, scalar(fd))
		}
	}
}

// scalar is a value of fd's kind that is not the zero value.
func scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		if vs := fd.Enum().Values(); vs.Len() > 1 {
			return protoreflect.ValueOfEnum(vs.Get(1).Number())
		}
		return protoreflect.ValueOfEnum(1)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(-7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(-7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(7)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1.5)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(1.5)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("s")
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte("b"))
	}
	panic("no scalar of kind " + fd.Kind().String())
}

func countSet(m protoreflect.Message) int {
	n := 0
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		n++
		switch {
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Message() != nil {
					n += countSet(mv.Message())
				}
				return true
			})
		case fd.IsList():
			for i := range v.List().Len() {
				if fd.Message() != nil {
					n += countSet(v.List().Get(i).Message())
				}
			}
		case fd.Message() != nil:
			n += countSet(v.Message())
		}
		return true
	})
	return n
}

func TestCodec(t *testing.T) {
	c := NewCodec()
	if c.Name() != grpcproto.Name {
		t.Errorf("Name() = %q, want %q", c.Name(), grpcproto.Name)
	}
	base := encoding.GetCodecV2(grpcproto.Name)

	// Any other message: the base codec's bytes.
	req := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "t"}, Input: doc(t, `{"a": "b"}`)}
	got, err := c.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	want, err := base.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Materialize(), want.Materialize()) {
		t.Error("a RunFunctionRequest is not written as the base codec writes it")
	}

	// A response: decodes, through the codec, to itself; small and large
	// (grpc-go's pooled buffer).
	for _, n := range []int{1, 200} {
		rsp := &fnv1.RunFunctionResponse{
			Meta:    &fnv1.ResponseMeta{Tag: "t", Ttl: durationpb.New(60e9)},
			Desired: &fnv1.State{Resources: map[string]*fnv1.Resource{}},
		}
		for i := range n {
			rsp.Desired.Resources[string(rune('a'+i%26))+string(rune('0'+i/26))] = &fnv1.Resource{Resource: doc(t, `{"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}`)}
		}
		data, err := c.Marshal(rsp)
		if err != nil {
			t.Fatal(err)
		}
		if large := !mem.IsBelowBufferPoolingThreshold(data.Len()); large != (n > 1) {
			t.Fatalf("%d resources: %d bytes", n, data.Len())
		}
		decoded := &fnv1.RunFunctionResponse{}
		if err := c.Unmarshal(data, decoded); err != nil {
			t.Fatal(err)
		}
		data.Free()
		if diff := cmp.Diff(rsp, decoded, protocmp.Transform()); diff != "" {
			t.Errorf("%d resources: -written, +decoded:\n%s", n, diff)
		}
	}

	if over(c).base != c.base {
		t.Error("a Codec made over a Codec does not use its base")
	}
}
