package pb

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

func doc(t *testing.T, j string) *structpb.Value {
	t.Helper()
	v := &structpb.Value{}
	if err := protojson.Unmarshal([]byte(j), v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSumEqualDocuments(t *testing.T) {
	a := doc(t, `{"spec": {"engine": "postgresql", "size": "small", "tags": ["a", "b"]}, "n": 1}`)
	b := doc(t, `{"n": 1, "spec": {"tags": ["a", "b"], "size": "small", "engine": "postgresql"}}`)
	if Sum(a) != Sum(b) {
		t.Error("the same document in another key order has another digest")
	}
	if x, y := Sum(a), Sum(a); x != y {
		t.Error("not deterministic")
	}
}

func TestSumDistinctDocuments(t *testing.T) {
	docs := []string{
		`{"a": "1"}`, `{"a": 1}`, `{"a": true}`, `{"a": null}`, `{"a": {}}`, `{"a": []}`, `{}`,
		`{"a": "1", "b": "2"}`, `{"a": "2", "b": "1"}`, `{"ab": "1"}`, `{"a": "b1"}`,
		`{"a": ["1", "2"]}`, `{"a": ["2", "1"]}`, `{"a": [["1"], "2"]}`, `{"a": {"a": "1"}}`,
		`{"spec": {"size": "small"}}`, `{"spec": {"size": "medium"}}`, `{"a": false}`, `{"a": 0}`, `{"a": -0.5}`,
	}
	seen := map[Digest]string{}
	for _, j := range docs {
		d := Sum(doc(t, j))
		if other, ok := seen[d]; ok {
			t.Errorf("%s and %s have the same digest", j, other)
		}
		seen[d] = j
	}
	if Sum(doc(t, `"x"`), doc(t, `"y"`)) == Sum(doc(t, `"y"`), doc(t, `"x"`)) {
		t.Error("Sum does not depend on the order of its arguments")
	}
}

func TestDigesterIsSum(t *testing.T) {
	s := doc(t, `{"spec": {"engine": "postgresql", "tags": ["a", "b"]}, "n": 1}`)
	var d Digester
	d.Struct(s.GetStructValue())
	d.String("x")
	d.Strings([]string{"a", "b"})
	d.Strings(nil)
	d.Value(nil)
	d.Struct(nil)
	want := Sum(s, Str("x"), Strs([]string{"a", "b"}), Strs(nil), nil, structpb.NewStructValue(nil))
	if d.Sum() != want {
		t.Error("Digester.Struct, String, Strings and Value differ from Sum of the same values")
	}
	var empty Digester
	if empty.Sum() != Sum() {
		t.Error("an empty Digester differs from Sum()")
	}
}

func TestDigesterAllocatesNothing(t *testing.T) {
	s := doc(t, `{"spec": {"engine": "postgresql", "tags": ["a", "b"]}}`).GetStructValue()
	ss := []string{"a", "b"}
	if n := testing.AllocsPerRun(100, func() {
		var d Digester
		d.Struct(s)
		d.String("x")
		d.Strings(ss)
		d.Sum()
	}); n != 0 {
		t.Errorf("Digester allocates %v times, want 0", n)
	}
}

func TestDigesterDigest(t *testing.T) {
	digest := func(k Digest, s string) Digest {
		var d Digester
		d.Digest(k)
		d.String(s)
		return d.Sum()
	}
	a, b := Sum(Str("a")), Sum(Str("b"))
	if x, y := digest(a, "x"), digest(a, "x"); x != y {
		t.Error("not deterministic")
	}
	if digest(a, "x") == digest(b, "x") || digest(a, "x") == digest(a, "y") {
		t.Error("a digest made with another inner digest or value is the same")
	}
}
