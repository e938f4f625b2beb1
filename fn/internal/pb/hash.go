package pb

import (
	"encoding/binary"
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
	h Digest
}

// Value adds v.
func (d *Digester) Value(v *structpb.Value) {
	for i, seed := range seeds {
		d.h[i] = combine(seed, d.h[i], hashValue(seed, v))
	}
}

// Struct adds s as an object value.
func (d *Digester) Struct(s *structpb.Struct) {
	for i, seed := range seeds {
		d.h[i] = combine(seed, d.h[i], hashStructValue(seed, s))
	}
}

// String adds s as a string value.
func (d *Digester) String(s string) {
	for i, seed := range seeds {
		d.h[i] = combine(seed, d.h[i], hashString(seed, s))
	}
}

// Strings adds ss as a list of string values.
func (d *Digester) Strings(ss []string) {
	for i, seed := range seeds {
		h := uint64(0)
		for _, s := range ss {
			h = combine(seed, h, hashString(seed, s))
		}
		d.h[i] = combine(seed, d.h[i], tagged(seed, tagList, h))
	}
}

// Digest adds a digest made before (of another Digester).
func (d *Digester) Digest(k Digest) {
	for i, seed := range seeds {
		d.h[i] = combine(seed, d.h[i], k[i])
	}
}

// Sum returns the digest of what was added.
func (d *Digester) Sum() Digest { return d.h }

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

// hashValue is a value's hash: its kind and its content, each scalar and
// each combination of hashes put through maphash (keyed by seed), without
// the state of a maphash.Hash per value.
func hashValue(seed maphash.Seed, v *structpb.Value) uint64 {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		return tagged(seed, tagNull, 0)
	case *structpb.Value_NumberValue:
		return tagged(seed, tagNumber, math.Float64bits(k.NumberValue))
	case *structpb.Value_StringValue:
		return hashString(seed, k.StringValue)
	case *structpb.Value_BoolValue:
		if k.BoolValue {
			return tagged(seed, tagBool, 1)
		}
		return tagged(seed, tagBool, 0)
	case *structpb.Value_StructValue:
		return hashStructValue(seed, k.StructValue)
	case *structpb.Value_ListValue:
		h := uint64(0)
		for _, e := range k.ListValue.GetValues() {
			h = combine(seed, h, hashValue(seed, e))
		}
		return tagged(seed, tagList, h)
	}
	return tagged(seed, tagNil, 0)
}

func hashString(seed maphash.Seed, s string) uint64 {
	return tagged(seed, tagString, maphash.String(seed, s))
}

func hashStructValue(seed maphash.Seed, s *structpb.Struct) uint64 {
	return tagged(seed, tagStruct, hashStruct(seed, s))
}

// hashStruct combines the hashes of its fields by addition, so that the
// result does not depend on map iteration order; each field's hash covers
// its key and its value together.
func hashStruct(seed maphash.Seed, s *structpb.Struct) uint64 {
	sum := uint64(len(s.GetFields()))
	for k, v := range s.GetFields() {
		sum += combine(seed, maphash.String(seed, k), hashValue(seed, v))
	}
	return sum
}

// tagged is the hash of a kind and a 64-bit content.
func tagged(seed maphash.Seed, tag byte, u uint64) uint64 {
	var b [9]byte
	b[0] = tag
	binary.LittleEndian.PutUint64(b[1:], u)
	return maphash.Bytes(seed, b[:])
}

// combine is the hash of two hashes in order.
func combine(seed maphash.Seed, a, b uint64) uint64 {
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], a)
	binary.LittleEndian.PutUint64(buf[8:], b)
	return maphash.Bytes(seed, buf[:])
}
