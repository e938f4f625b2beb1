package pb

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestSize(t *testing.T) {
	docs := []string{
		`{}`, `{"a": null}`, `{"a": 1}`, `{"a": -0.5}`, `{"a": true}`, `{"a": false}`, `{"a": ""}`,
		`{"a": {}}`, `{"a": []}`, `{"a": [null, 1, "x", true, {"b": [[]]}]}`,
		`{"spec": {"forProvider": {"region": "eu-west-1", "tags": {"paved.dev/managed-by": "paved"}, "ports": [5432, 5433]}}}`,
		`{"long": "` + strings.Repeat("x", 200) + `", "longer": "` + strings.Repeat("y", 20000) + `"}`,
		`{"` + strings.Repeat("k", 130) + `": {"` + strings.Repeat("k", 300) + `": ["` + strings.Repeat("v", 127) + `", "` + strings.Repeat("v", 128) + `"]}}`,
	}
	for _, j := range docs {
		s := doc(t, j).GetStructValue()
		if got, want := Size(s), proto.Size(s); got != want {
			t.Errorf("Size(%.60s): got %d, want proto.Size %d", j, got, want)
		}
	}
	// Values proto.Size counts though JSON cannot express them.
	odd := &structpb.Struct{Fields: map[string]*structpb.Value{
		"empty-struct-value": {Kind: &structpb.Value_StructValue{}},
		"empty-list-value":   {Kind: &structpb.Value_ListValue{}},
		"no-kind":            {},
	}}
	if got, want := Size(odd), proto.Size(odd); got != want {
		t.Errorf("Size(values without content): got %d, want proto.Size %d", got, want)
	}
}

func TestSizeAllocatesNothing(t *testing.T) {
	s := doc(t, `{"spec": {"forProvider": {"region": "eu-west-1", "tags": {"a": "b"}, "ports": [5432]}}}`).GetStructValue()
	if n := testing.AllocsPerRun(100, func() { Size(s) }); n != 0 {
		t.Errorf("Size allocates %v times, want 0", n)
	}
}
