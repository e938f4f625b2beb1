package pb

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestBuilders(t *testing.T) {
	// What the builders make is what structpb makes: the same messages,
	// marshalled to the same bytes.
	got := Obj(Fields{
		"s": Str("x"), "n": Num(1.5), "i": Int(3), "t": Boolean(true), "f": Boolean(false),
		"l": List(Str("a"), Obj(Fields{})), "ss": Strs([]string{"a", "b"}), "m": StrMap(map[string]string{"k": "v"}),
		"empty": Obj(nil), "none": List(),
	})
	want := structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
		"s": structpb.NewStringValue("x"), "n": structpb.NewNumberValue(1.5), "i": structpb.NewNumberValue(3),
		"t": structpb.NewBoolValue(true), "f": structpb.NewBoolValue(false),
		"l": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{
			structpb.NewStringValue("a"), structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{}}),
		}}),
		"ss":    structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("a"), structpb.NewStringValue("b")}}),
		"m":     structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"k": structpb.NewStringValue("v")}}),
		"empty": structpb.NewStructValue(&structpb.Struct{}),
		"none":  structpb.NewListValue(&structpb.ListValue{}),
	}})
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("builders: -structpb, +got:\n%s", diff)
	}
	mo := proto.MarshalOptions{Deterministic: true}
	wb, err := mo.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := mo.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wb, gb) {
		t.Error("builders marshal to other bytes than structpb's values")
	}
	if n := testing.AllocsPerRun(100, func() { sink = []*structpb.Value{Str("x"), Num(1), Boolean(true), Obj(nil), List()} }); n != 5 {
		t.Errorf("builders allocate %v times for 4 values (a shared boolean) and a slice, want 5", n)
	}
}

var sink []*structpb.Value

func TestConst(t *testing.T) {
	a, b := Const("rds.aws.upbound.io/v1beta1"), Const("rds.aws.upbound.io/v1beta1")
	if a != b {
		t.Error("Const made two values of one string")
	}
	if a.GetStringValue() != "rds.aws.upbound.io/v1beta1" || Const("Instance").GetStringValue() != "Instance" {
		t.Errorf("Const: got %v, %v", a, Const("Instance"))
	}
}
