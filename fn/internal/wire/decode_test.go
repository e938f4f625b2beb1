package wire

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// readsAsProto checks that b reads, with decodeRequest, as
// google.golang.org/protobuf reads it: both fail, or both read the same
// request, unknown fields byte for byte in the same order.
func readsAsProto(t *testing.T, b []byte) {
	t.Helper()
	readsAsProtoWithin(t, b, protowire.DefaultRecursionLimit)
}

// readsAsProtoWithin is readsAsProto with a depth limit of limit on both.
func readsAsProtoWithin(t *testing.T, b []byte, limit int) {
	t.Helper()
	want := &fnv1.RunFunctionRequest{}
	werr := proto.UnmarshalOptions{RecursionLimit: limit}.Unmarshal(b, want)
	// Read from a copy, cleared after: nothing read may refer to the
	// bytes, which grpc-go reuses; nor may they change (ReadOnlyData).
	c := bytes.Clone(b)
	got := &fnv1.RunFunctionRequest{}
	gerr := decodeRequest(c, got, limit)
	if !bytes.Equal(c, b) {
		t.Fatalf("decodeRequest wrote to the bytes it read (input %x)", b)
	}
	clear(c)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("decodeRequest: %v; google.golang.org/protobuf: %v (input %x)", gerr, werr, b)
	}
	if werr != nil {
		return
	}
	if !proto.Equal(got, want) {
		t.Fatalf("decodeRequest read\n%v\ngoogle.golang.org/protobuf read\n%v\n(input %x)", got, want, b)
	}
	// proto.Equal compares unknown fields by number; written
	// deterministically, their order shows too.
	det := proto.MarshalOptions{Deterministic: true}
	gb, err := det.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := det.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gb, wb) {
		t.Fatalf("the requests read write other bytes:\n%x\n%x\n(input %x)", gb, wb, b)
	}
}

// Builders of raw wire bytes, so that a test can write what no proto
// library writes: a field twice, a wrong wire type, a broken string.
func field(num protowire.Number, parts ...[]byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, bytes.Join(parts, nil))
}

func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

// head is the tag and length of a field num of n bytes.
func head(num protowire.Number, n int) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.BytesType), uint64(n))
}

// nest wraps leaf n times; prefix returns what goes before a level of
// inner bytes.
func nest(leaf []byte, n int, prefix func(inner int) []byte) []byte {
	prefixes := make([][]byte, n)
	size := len(leaf)
	for i := range prefixes {
		prefixes[i] = prefix(size)
		size += len(prefixes[i])
	}
	b := make([]byte, 0, size)
	for _, p := range slices.Backward(prefixes) {
		b = append(b, p...)
	}
	return append(b, leaf...)
}

func str(num protowire.Number, s string) []byte { return field(num, []byte(s)) }

// entry is a map entry of key and value fields (either may be nil).
func entry(num protowire.Number, key, value []byte) []byte { return field(num, key, value) }

func structEntry(key string, value ...[]byte) []byte {
	return entry(structFields, str(entryKey, key), field(entryValue, value...))
}

func stringValue(s string) []byte { return str(valueString, s) }

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// request is a RunFunctionRequest with every field set, as
// google.golang.org/protobuf writes it.
func request(t testing.TB) []byte {
	t.Helper()
	s := doc(t, `{"apiVersion": "v1", "kind": "K", "metadata": {"name": "n", "labels": {"a": "b"}},
		"spec": {"n": 1.5, "t": true, "z": null, "l": [1, "x", [], {}], "o": {}}}`)
	r := &fnv1.Resource{Resource: s, ConnectionDetails: map[string][]byte{"password": []byte("secret"), "": nil}, Ready: fnv1.Ready_READY_TRUE}
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Observed: &fnv1.State{Composite: r, Resources: map[string]*fnv1.Resource{"a": r, "b": {}}},
		Desired:  &fnv1.State{Composite: &fnv1.Resource{Resource: s}},
		Input:    s,
		Context:  doc(t, `{"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}}`),
		Credentials: map[string]*fnv1.Credentials{"c": {Source: &fnv1.Credentials_CredentialData{
			CredentialData: &fnv1.CredentialData{Data: map[string][]byte{"k": []byte("v")}},
		}}},
		RequiredResources: map[string]*fnv1.Resources{"r": {Items: []*fnv1.Resource{r, {}}}, "none": {}},
		ExtraResources:    map[string]*fnv1.Resources{"e": {Items: []*fnv1.Resource{{Ready: fnv1.Ready_READY_FALSE}}}, "none": {}}, //nolint:staticcheck // deprecated, still read: Crossplane v1 sends it
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadsSDKMessages(t *testing.T) {
	for _, c := range []struct {
		m    proto.Message
		num  protowire.Number
		want string
	}{
		{&fnv1.RunFunctionRequest{}, reqInput, "google.protobuf.Struct"},
		{&fnv1.State{}, stateResources, "map<string, apiextensions.fn.proto.v1.Resource>"},
		{&fnv1.Resource{}, resourceConnectionDetails, "map<string, bytes>"},
		{&fnv1.Resource{}, resourceReady, "apiextensions.fn.proto.v1.Ready"},
		{&fnv1.Resources{}, resourcesItems, "repeated apiextensions.fn.proto.v1.Resource"},
		{&structpb.Value{}, valueBool, "bool"},
	} {
		if got := typeOf(c.m.ProtoReflect().Descriptor().Fields().ByNumber(c.num)); got != c.want {
			t.Errorf("typeOf(%T field %d) = %q, want %q", c.m, c.num, got, c.want)
		}
	}
	// A member of a oneof is refused; proto3's optional, a oneof of one
	// field, is not.
	if isField(&structpb.Value{}, valueBool, "bool_value", "bool") {
		t.Error("isField took a member of Value's oneof kind")
	}
	if !isField(&fnv1.RunFunctionRequest{}, reqInput, "input", "google.protobuf.Struct") {
		t.Error("isField refused the request's optional input")
	}
	if !reads {
		t.Fatal("function-sdk-go's messages no longer have the fields decodeRequest reads by hand, by number, name and type")
	}
}

func TestDecodeMatchesProto(t *testing.T) {
	unknownVarint := varintField(99, 7)
	unknownGroup := join(protowire.AppendTag(nil, 98, protowire.StartGroupType), varintField(1, 1), protowire.AppendTag(nil, 98, protowire.EndGroupType))
	// Field 99, varint, its tag written in two bytes where one would do:
	// google.golang.org/protobuf keeps it with its tag written anew.
	longTag := []byte{0x98, 0x86, 0x00, 0x07}
	value := stringValue("v")
	// A varint field numbered one past the largest, with its value.
	tooLarge := append(protowire.AppendVarint(nil, uint64(protowire.MaxValidNumber+1)<<3), 1)
	res := field(resourceResource, structEntry("a", value))

	cases := map[string][]byte{
		"empty":       nil,
		"every field": request(t),
		"unknown, everywhere": join(unknownVarint, unknownGroup,
			field(reqObserved, unknownVarint, field(stateComposite, unknownGroup, field(resourceResource, unknownVarint, structEntry("a", unknownVarint, field(valueList, unknownVarint, field(listValuesNumber, unknownVarint, value))))))),
		"a tag written long": join(longTag, field(reqInput, longTag, structEntry("a", longTag, value))),
		// Each field read by hand, with another wire type: an unknown field.
		"wrong wire types": join(
			varintField(reqObserved, 1), varintField(reqDesired, 1), varintField(reqInput, 1), varintField(reqContext, 1),
			varintField(reqExtraResources, 1), varintField(reqRequiredResources, 1),
			entry(reqRequiredResources, str(entryKey, "r"), field(entryValue, varintField(resourcesItems, 1), unknownVarint, field(resourcesItems, res))),
			field(reqObserved, varintField(stateComposite, 1), varintField(stateResources, 1),
				field(stateComposite, varintField(resourceResource, 1), varintField(resourceConnectionDetails, 1), str(resourceReady, "x"))),
			field(reqInput, varintField(structFields, 1), structEntry("a",
				str(valueNull, "x"), str(valueNumber, "x"), str(valueString+100, "x"), str(valueBool, "x"),
				varintField(valueStruct, 1), varintField(valueList, 1), varintField(valueString, 1))),
			field(reqContext, structEntry("l", field(valueList, varintField(listValuesNumber, 1))))),
		"a message field twice is merged": join(
			field(reqInput, structEntry("a", value), structEntry("b", value)),
			field(reqInput, structEntry("b", stringValue("replaced")), structEntry("c", value)),
			field(reqObserved, field(stateComposite, res)),
			field(reqObserved, field(stateComposite, varintField(resourceReady, 1), field(resourceResource, structEntry("b", value))))),
		"a oneof member again": join(field(reqInput,
			structEntry("struct twice", field(valueStruct, structEntry("a", value)), field(valueStruct, structEntry("b", value))),
			structEntry("list twice", field(valueList, field(listValuesNumber, value)), field(valueList, field(listValuesNumber, value))),
			structEntry("another member", field(valueStruct, structEntry("a", value)), stringValue("s"), varintField(valueBool, 1)),
			structEntry("number", protowire.AppendFixed64(protowire.AppendTag(nil, valueNumber, protowire.Fixed64Type), math.Float64bits(math.NaN()))),
			structEntry("enum out of range", varintField(valueNull, 1<<40)))),
		"map entries": join(field(reqObserved,
			entry(stateResources, str(entryKey, "same"), field(entryValue, res)),
			entry(stateResources, str(entryKey, "same"), field(entryValue, varintField(resourceReady, 2))),
			entry(stateResources, nil, nil),
			entry(stateResources, str(entryKey, "value twice"), join(field(entryValue, res), field(entryValue, varintField(resourceReady, 1)))),
			entry(stateResources, join(str(entryKey, "k1"), str(entryKey, "k2"), unknownVarint, unknownGroup, varintField(entryKey, 1)), varintField(entryValue, 1)),
			field(stateComposite, entry(resourceConnectionDetails, str(entryKey, "k"), str(entryValue, "v1")),
				entry(resourceConnectionDetails, str(entryKey, "k"), str(entryValue, "v2")),
				entry(resourceConnectionDetails, nil, str(entryValue, "\xff")),
				entry(resourceConnectionDetails, str(entryKey, "no value"), nil),
				varintField(resourceReady, math.MaxUint64)))),
		"an empty key and value":              field(reqInput, entry(structFields, nil, nil)),
		"invalid UTF-8, a key":                field(reqInput, structEntry("\xff", value)),
		"invalid UTF-8, a string":             field(reqInput, structEntry("a", stringValue("\xc3("))),
		"invalid UTF-8, a resource":           field(reqObserved, entry(stateResources, str(entryKey, "\xff"), nil)),
		"invalid UTF-8, a detail":             field(reqObserved, field(stateComposite, entry(resourceConnectionDetails, str(entryKey, "\xff"), nil))),
		"invalid UTF-8, in meta":              field(1, str(1, "\xff")),
		"an end of group":                     protowire.AppendTag(nil, 7, protowire.EndGroupType),
		"an end of group in an entry":         field(reqInput, entry(structFields, protowire.AppendTag(nil, 7, protowire.EndGroupType), nil)),
		"an unclosed group":                   field(reqInput, protowire.AppendTag(nil, 7, protowire.StartGroupType)),
		"field number 0":                      {0x02, 0x00},
		"field number too large":              tooLarge,
		"field number too large, in an entry": field(reqInput, entry(structFields, tooLarge, nil)),
		"field number too large, in a Struct": field(reqInput, tooLarge),
		"field number too large, in a Value":  field(reqInput, structEntry("a", tooLarge)),
		"field number too large, in a list":   field(reqInput, structEntry("a", field(valueList, tooLarge))),
		"wire type 6":                         {0x0e},
		"a length past the end":               {0x22, 0x05, 0x0a},
		"a varint of 11 bytes":                append([]byte{0x28}, bytes.Repeat([]byte{0x80}, 10)...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) { readsAsProto(t, b) })
	}

	// Every prefix of a full request, and every byte of it set to 0x00 and
	// 0xff: truncations and broken lengths, tags and strings at every
	// place.
	full := request(t)
	for i := range full {
		readsAsProto(t, full[:i])
		for _, x := range []byte{0x00, 0xff} {
			b := bytes.Clone(full)
			b[i] = x
			readsAsProto(t, b)
		}
	}
}

// TestDecodeDepth: nesting fails exactly where google.golang.org/protobuf's
// depth limit makes it fail, in Structs and lists read by hand, in a State's
// resources, and in the fields left to google.golang.org/protobuf.
func TestDecodeDepth(t *testing.T) {
	// structs nests leaf, a Value, n Structs deep: each level an entry, a
	// Value and a Struct, three against the depth; lists nests it n lists
	// deep, two each. Written outside in, so that a deep one costs its
	// size, not its size times its depth.
	structs := func(leaf []byte, n int) []byte {
		return nest(leaf, n, func(inner int) []byte {
			e := join(str(entryKey, "a"), head(entryValue, inner))
			e = join(head(structFields, len(e)+inner), e)
			return join(head(valueStruct, len(e)+inner), e)
		})
	}
	lists := func(leaf []byte, n int) []byte {
		return nest(leaf, n, func(inner int) []byte {
			v := head(listValuesNumber, inner)
			return join(head(valueList, len(v)+inner), v)
		})
	}
	// Where a deep Value sits: each place starts it at another depth.
	resourceWith := func(v []byte) []byte { return field(resourceResource, structEntry("a", v)) }
	places := map[string]func(v []byte) []byte{
		"input": func(v []byte) []byte { return field(reqInput, structEntry("a", v)) },
		"observed resources": func(v []byte) []byte {
			return field(reqObserved, entry(stateResources, str(entryKey, "r"), field(entryValue, resourceWith(v))))
		},
		"required resources": func(v []byte) []byte {
			return entry(reqRequiredResources, str(entryKey, "r"), field(entryValue, field(resourcesItems, resourceWith(v))))
		},
	}
	// What is deepest: a string; a map entry with no value, or a map field
	// of another wire type (a map entry counts before either is read).
	leaves := map[string][]byte{
		"a string":       stringValue("leaf"),
		"an empty entry": field(valueStruct, entry(structFields, nil, nil)),
		"a varint map":   field(valueStruct, varintField(structFields, 1)),
	}
	// With a limit of 60, so that the messages at the limit are small;
	// then one at protowire.DefaultRecursionLimit, which Codec reads with.
	for place, at := range places {
		for leaf, v := range leaves {
			// 0, 1 and 2 lists between the place and the Structs: the
			// limit falls on each of a level's three messages in turn.
			for k := range 3 {
				shape := func(n int) []byte { return at(lists(structs(v, n), k)) }
				t.Run(fmt.Sprintf("%s, %s, %d lists", place, leaf, k), func(t *testing.T) { readsAsProtoAtLimit(t, shape, 60) })
			}
		}
		t.Run(place+", lists", func(t *testing.T) {
			readsAsProtoAtLimit(t, func(n int) []byte { return at(lists(stringValue("leaf"), n)) }, 60)
		})
	}
	t.Run("input, a string, the default limit", func(t *testing.T) {
		readsAsProtoAtLimit(t, func(n int) []byte { return places["input"](structs(stringValue("leaf"), n)) }, protowire.DefaultRecursionLimit)
	})
}

// readsAsProtoAtLimit finds the least n at which google.golang.org/protobuf
// fails to read shape(n) within limit, then reads n-1 and n.
func readsAsProtoAtLimit(t *testing.T, shape func(n int) []byte, limit int) {
	t.Helper()
	lo, hi := 1, limit
	for lo < hi {
		mid := (lo + hi) / 2
		if (proto.UnmarshalOptions{RecursionLimit: limit}).Unmarshal(shape(mid), &fnv1.RunFunctionRequest{}) == nil {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < limit/6 || lo >= limit {
		t.Fatalf("google.golang.org/protobuf fails from depth %d of %d: not its recursion limit", lo, limit)
	}
	readsAsProtoWithin(t, shape(lo-1), limit)
	readsAsProtoWithin(t, shape(lo), limit)
}

// TestDecodeDepthMaps: every map's entry counts against the depth before
// its value, or its wire type, is read; at limits small enough for an
// entry near the request to reach them (a review found these four).
func TestDecodeDepthMaps(t *testing.T) {
	for _, b := range [][]byte{
		entry(reqExtraResources, nil, nil),
		entry(reqRequiredResources, str(entryKey, "r"), nil),
		varintField(reqRequiredResources, 1),
		field(reqObserved, entry(stateResources, str(entryKey, "r"), nil)),
		field(reqObserved, varintField(stateResources, 1)),
		field(reqObserved, field(stateComposite, entry(resourceConnectionDetails, str(entryKey, "k"), str(entryValue, "v")))),
		field(reqObserved, field(stateComposite, varintField(resourceConnectionDetails, 1))),
		field(reqInput, entry(structFields, nil, nil)),
	} {
		for limit := 1; limit <= 6; limit++ {
			readsAsProtoWithin(t, b, limit)
		}
	}
}

// TestMergeDepth: what decodeRequest leaves to google.golang.org/protobuf is
// read with the depth left where it was found, not the whole limit again.
func TestMergeDepth(t *testing.T) {
	rest := field(reqInput, structEntry("a", stringValue("x"))) // request, Struct, entry, Value: 4
	if err := merge(rest, &fnv1.RunFunctionRequest{}, 3); err == nil {
		t.Error("merge read 4 levels with 3 left")
	}
	if err := merge(rest, &fnv1.RunFunctionRequest{}, 4); err != nil {
		t.Errorf("merge did not read 4 levels with 4 left: %v", err)
	}
}

func TestCodecUnmarshal(t *testing.T) {
	c := NewCodec()
	b := request(t)
	// Split across buffers, as grpc-go may hand a message over.
	data := mem.BufferSlice{mem.SliceBuffer(b[:10]), mem.SliceBuffer(b[10:])}
	got := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "left over from before"}}
	if err := c.Unmarshal(data, got); err != nil {
		t.Fatal(err)
	}
	want := &fnv1.RunFunctionRequest{}
	if err := proto.Unmarshal(b, want); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Errorf("Unmarshal read\n%v\nwant\n%v", got, want)
	}
	// Nothing read refers to the bytes it came from, which grpc-go reuses.
	clear(b)
	if !proto.Equal(got, want) {
		t.Error("the request read changed with the buffer it was read from")
	}

	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{0x22, 0x05})}, &fnv1.RunFunctionRequest{}); err == nil {
		t.Error("a broken request was read")
	}

	// Any other message: as the base codec reads it.
	s := &structpb.Struct{}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(field(structFields, str(entryKey, "a")))}, s); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.GetFields()["a"]; !ok {
		t.Errorf("a Struct read as %v", s)
	}
}

// FuzzCodec: whatever bytes a request is, Codec reads it as
// google.golang.org/protobuf does (readsAsProto); and whatever Struct a
// request read holds as its input, an answer carrying it is written so
// that it decodes to itself (decodes). One target for both ways, so that
// make fuzz spends its time once.
func FuzzCodec(f *testing.F) {
	f.Add(request(f))
	for _, j := range []string{`{}`, `{"a": "b"}`, `{"a": [1, true, null, {"b": []}]}`, `{"": {"": [""]}}`} {
		b, err := proto.Marshal(&fnv1.RunFunctionRequest{Input: doc(f, j)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(field(reqObserved, entry(stateResources, str(entryKey, "r"), field(entryValue, varintField(resourceReady, 1), field(resourceResource)))))
	f.Fuzz(func(t *testing.T, b []byte) {
		readsAsProto(t, b)
		req := &fnv1.RunFunctionRequest{}
		if decodeRequest(b, req, protowire.DefaultRecursionLimit) != nil || req.GetInput() == nil {
			return
		}
		rsp := answer(req.GetInput())
		rsp.Context = req.GetInput()
		decodes(t, rsp)
	})
}
