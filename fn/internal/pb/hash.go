package pb

import (
	"hash/maphash"
	"math"

	"google.golang.org/protobuf/types/known/structpb"
)

// A Digest identifies a document by its content: equal documents have equal
// digests, whatever the order of their object keys. It is 128 bits from two
// independently seeded hashes, so distinct documents collide with
// negligible probability. Computing it allocates nothing.
type Digest [2]uint64

var seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// Sum returns the digest of the values, in order.
func Sum(vs ...*structpb.Value) Digest {
	var d Digest
	for i := range d {
		var h maphash.Hash
		h.SetSeed(seeds[i])
		for _, v := range vs {
			writeUint(&h, hashValue(seeds[i], v))
		}
		d[i] = h.Sum64()
	}
	return d
}

// Value kinds, mixed into every hash so that "1", 1 and true differ.
const (
	tagNull byte = iota + 1
	tagNumber
	tagString
	tagBool
	tagStruct
	tagList
	tagNil
)

func hashValue(seed maphash.Seed, v *structpb.Value) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		h.WriteByte(tagNull)
	case *structpb.Value_NumberValue:
		h.WriteByte(tagNumber)
		writeUint(&h, math.Float64bits(k.NumberValue))
	case *structpb.Value_StringValue:
		h.WriteByte(tagString)
		h.WriteString(k.StringValue)
	case *structpb.Value_BoolValue:
		h.WriteByte(tagBool)
		if k.BoolValue {
			h.WriteByte(1)
		}
	case *structpb.Value_StructValue:
		h.WriteByte(tagStruct)
		writeUint(&h, hashStruct(seed, k.StructValue))
	case *structpb.Value_ListValue:
		h.WriteByte(tagList)
		for _, e := range k.ListValue.GetValues() {
			writeUint(&h, hashValue(seed, e))
		}
	default:
		h.WriteByte(tagNil)
	}
	return h.Sum64()
}

// hashStruct combines the hashes of its fields by addition, so that the
// result does not depend on map iteration order; each field's hash covers
// its key and its value together.
func hashStruct(seed maphash.Seed, s *structpb.Struct) uint64 {
	sum := uint64(len(s.GetFields()))
	for k, v := range s.GetFields() {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(k)
		h.WriteByte(0)
		writeUint(&h, hashValue(seed, v))
		sum += h.Sum64()
	}
	return sum
}

func writeUint(h *maphash.Hash, u uint64) {
	var b [8]byte
	for i := range b {
		b[i] = byte(u >> (8 * i))
	}
	_, _ = h.Write(b[:])
}
