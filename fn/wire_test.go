package fn

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/wire"
)

// TestAnswersOverTheWire: every kind's first requests and answers (of
// claims and of namespaced composites) and a DatabaseClaim's at steady
// state: the requests, as package wire reads them, are the requests
// themselves; the answers, as it writes them, decode to the answers
// themselves, in as many bytes as google.golang.org/protobuf writes; and
// over gRPC, through the codec the function's main registers (serve), a
// client reads the same answers.
func TestAnswersOverTheWire(t *testing.T) {
	var reqs []*fnv1.RunFunctionRequest
	for _, k := range Kinds {
		reqs = append(reqs, firstReconciles(k, 2)...)
		if k.Namespaced != "" {
			reqs = append(reqs, namespacedFirstReconciles(k, 2)...)
		}
	}
	reqs = append(reqs, steadyState())
	f := New(logging.NewNopLogger())
	conn, err := grpc.NewClient(serve(t, f), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := fnv1.NewFunctionRunnerServiceClient(conn)
	codec := wire.NewCodec()
	for _, req := range reqs {
		b, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		read := &fnv1.RunFunctionRequest{}
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, read); err != nil {
			t.Fatalf("%s: %v", req.GetMeta().GetTag(), err)
		}
		if diff := cmp.Diff(req, read, protocmp.Transform()); diff != "" {
			t.Errorf("%s: -request, +read by package wire:\n%s", req.GetMeta().GetTag(), diff)
		}
		want, err := f.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		data, err := codec.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		b = data.Materialize()
		data.Free()
		decoded := &fnv1.RunFunctionResponse{}
		if err := proto.Unmarshal(b, decoded); err != nil {
			t.Fatalf("%s: %v", req.GetMeta().GetTag(), err)
		}
		if diff := cmp.Diff(want, decoded, protocmp.Transform()); diff != "" {
			t.Errorf("%s: -answer, +decoded from package wire's bytes:\n%s", req.GetMeta().GetTag(), diff)
		}
		if n := proto.Size(want); len(b) != n {
			t.Errorf("%s: %d bytes, google.golang.org/protobuf writes %d", req.GetMeta().GetTag(), len(b), n)
		}
		got, err := client.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s: -in process, +over gRPC:\n%s", req.GetMeta().GetTag(), diff)
		}
	}
}

// codecs are grpc-go's proto codec and package wire's, which the
// function's main registers.
var codecs = []struct {
	name  string
	codec encoding.CodecV2
}{{"grpc", encoding.GetCodecV2(grpcproto.Name)}, {"wire", wire.NewCodec()}}

// BenchmarkUnmarshalRequest reads each kind's first request as grpc-go's
// proto codec does (grpc) and as package wire's codec does (wire).
func BenchmarkUnmarshalRequest(b *testing.B) {
	firstRequests(func(name string, req *fnv1.RunFunctionRequest) {
		data, err := proto.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		for _, codec := range codecs {
			b.Run(name+"/"+codec.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := codec.codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(data)}, &fnv1.RunFunctionRequest{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// BenchmarkMarshalAnswer writes each kind's first answer as grpc-go's
// proto codec does (grpc) and as package wire's codec does (wire), which
// the function's main registers.
func BenchmarkMarshalAnswer(b *testing.B) {
	firstRequests(func(name string, req *fnv1.RunFunctionRequest) {
		rsp, err := New(logging.NewNopLogger()).RunFunction(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		for _, codec := range codecs {
			b.Run(name+"/"+codec.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					data, err := codec.codec.Marshal(rsp)
					if err != nil {
						b.Fatal(err)
					}
					data.Free()
				}
			})
		}
	})
}

// firstRequests calls f with each kind's first request (the NewName
// benchmark cases'), named by its case without "/NewName".
func firstRequests(f func(name string, req *fnv1.RunFunctionRequest)) {
	for _, c := range benchCases() {
		if name, ok := strings.CutSuffix(c.name, "/NewName"); ok {
			f(name, c.reqs()[0])
		}
	}
}
