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
	var d Digester
	for _, v := range vs {
		d.Value(v)
	}
	return d.Sum()
}

// A Digester digests a sequence of values as Sum does, one at a time and
// without wrapping each in a Value: d.Struct(s) is d.Value of s as a
// Value, d.String(s) of s as a string Value, d.Strings(ss) of Strs(ss).
// The zero Digester is ready to use.
type Digester struct {
	h    [2]maphash.Hash
	init bool
}

func (d *Digester) write(f func(seed maphash.Seed) uint64) {
	if !d.init {
		for i := range d.h {
			d.h[i].SetSeed(seeds[i])
		}
		d.init = true
	}
	for i := range d.h {
		writeUint(&d.h[i], f(seeds[i]))
	}
}

// Value adds v.
func (d *Digester) Value(v *structpb.Value) {
	d.write(func(seed maphash.Seed) uint64 { return hashValue(seed, v) })
}

// Struct adds s as an object value.
func (d *Digester) Struct(s *structpb.Struct) {
	d.write(func(seed maphash.Seed) uint64 { return hashStructValue(seed, s) })
}

// String adds s as a string value.
func (d *Digester) String(s string) {
	d.write(func(seed maphash.Seed) uint64 { return hashString(seed, s) })
}

// Strings adds ss as a list of string values.
func (d *Digester) Strings(ss []string) {
	d.write(func(seed maphash.Seed) uint64 {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteByte(tagList)
		for _, s := range ss {
			writeUint(&h, hashString(seed, s))
		}
		return h.Sum64()
	})
}

// Sum returns the digest of what was added.
func (d *Digester) Sum() Digest {
	var out Digest
	for i := range out {
		if !d.init {
			d.h[i].SetSeed(seeds[i])
		}
		out[i] = d.h[i].Sum64()
	}
	return out
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
		return hashString(seed, k.StringValue)
	case *structpb.Value_BoolValue:
		h.WriteByte(tagBool)
		if k.BoolValue {
			h.WriteByte(1)
		}
	case *structpb.Value_StructValue:
		return hashStructValue(seed, k.StructValue)
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

func hashString(seed maphash.Seed, s string) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteByte(tagString)
	h.WriteString(s)
	return h.Sum64()
}

func hashStructValue(seed maphash.Seed, s *structpb.Struct) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteByte(tagStruct)
	writeUint(&h, hashStruct(seed, s))
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
