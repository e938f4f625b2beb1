package wire

import (
	"fmt"
	"sync"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// Codec is grpc-go's proto codec, but for a RunFunctionRequest, which it
// reads itself, and a RunFunctionResponse, which it writes itself (package
// comment). It reads and writes every other message with the codec it was
// made from.
//
// The function's server is function-sdk-go's (function.Serve), which
// takes no codec: the function's main registers Codec under grpc-go's
// "proto" name at init (grpc-go v1.82.1 encoding/encoding_v2.go,
// RegisterCodecV2: "must only be called during initialization time", and
// of codecs registered under one name "the one registered last will take
// effect"); the server looks a call's codec up in that registry by the
// call's content-subtype, "proto" when it names none
// (Documentation/encoding.md).
type Codec struct {
	base encoding.CodecV2
}

// NewCodec returns a Codec over the codec now registered as "proto"
// (grpc-go's own, unless a Codec was registered before).
func NewCodec() *Codec { return over(encoding.GetCodecV2(grpcproto.Name)) }

func over(base encoding.CodecV2) *Codec {
	if c, ok := base.(*Codec); ok {
		base = c.base
	}
	return &Codec{base: base}
}

// Name is grpc-go's proto codec's.
func (c *Codec) Name() string { return grpcproto.Name }

// Unmarshal reads a RunFunctionRequest itself (decode.go), any other
// message as the base codec does. The bytes are copied into one buffer
// of grpc-go's pool first and it is freed on return, as the base codec
// does: every string and byte slice of the request is a copy.
func (c *Codec) Unmarshal(data mem.BufferSlice, v any) error {
	req, ok := v.(*fnv1.RunFunctionRequest)
	if !ok || req == nil || !reads {
		return c.base.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	req.Reset()
	if err := decodeRequest(buf.ReadOnlyData(), req, protowire.DefaultRecursionLimit); err != nil {
		return fmt.Errorf("cannot unmarshal the RunFunctionRequest: %w", err)
	}
	return nil
}

// Marshal writes a RunFunctionResponse itself, any other message as the
// base codec does. The bytes are in a buffer of grpc-go's pool, as the
// base codec's are, which grpc-go frees once they are sent.
func (c *Codec) Marshal(v any) (mem.BufferSlice, error) {
	rsp, ok := v.(*fnv1.RunFunctionResponse)
	if !ok || rsp == nil || !encodes {
		return c.base.Marshal(v)
	}
	e, ok := encoders.Get().(*encoder)
	if !ok {
		e = &encoder{}
	}
	defer release(e)
	e.reset()
	if err := e.response(rsp); err != nil {
		return nil, fmt.Errorf("cannot marshal the RunFunctionResponse: %w", err)
	}
	b := e.bytes()
	if mem.IsBelowBufferPoolingThreshold(len(b)) {
		return mem.BufferSlice{mem.SliceBuffer(append([]byte(nil), b...))}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(len(b))
	copy(*buf, b)
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

// encoders keep their buffers between answers; one that grew past
// keptBuffer (an answer of hundreds of resources) is dropped instead.
var encoders = sync.Pool{New: func() any { return &encoder{} }}

const keptBuffer = 1 << 20

func release(e *encoder) {
	if cap(e.buf) > keptBuffer || cap(e.scratch) > keptBuffer {
		return
	}
	encoders.Put(e)
}
