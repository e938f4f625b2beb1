package fn

import (
	"context"
	"net"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// steadyState is a DatabaseClaim request as Crossplane sends it once
// everything exists: the composite plus four observed, ready resources.
func steadyState() *fnv1.RunFunctionRequest {
	observed := map[string]*fnv1.Resource{}
	for name, r := range desiredDatabase(fnv1.Ready_READY_TRUE) {
		o := proto.Clone(r.GetResource()).(*structpb.Struct)
		o.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(`{"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}, {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"}]}`))
		observed[name] = &fnv1.Resource{Resource: o}
	}
	observed["instance"] = observedReady("instance", `{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
		"status": {"atProvider": {"address": "orders-db-x7k2p.abc123.eu-west-1.rds.amazonaws.com", "port": 5432}}}`,
		map[string][]byte{"username": []byte("paved"), "password": []byte("s3cr3t"), "port": []byte("5432")})
	return runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: observed})
}

func firstReconcile(kind string) *fnv1.RunFunctionRequest {
	if kind == "bucket" {
		return runReq(input, &fnv1.State{Composite: xbucket(`{}`)})
	}
	return runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)})
}

func BenchmarkRunFunctionDatabase(b *testing.B) {
	benchInProcess(b, firstReconcile("database"))
}

func BenchmarkRunFunctionDatabaseSteadyState(b *testing.B) {
	benchInProcess(b, steadyState())
}

func BenchmarkRunFunctionBucket(b *testing.B) {
	benchInProcess(b, firstReconcile("bucket"))
}

func benchInProcess(b *testing.B, req *fnv1.RunFunctionRequest) {
	f := New(logging.NewNopLogger())
	b.ReportAllocs()
	for b.Loop() {
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil || len(rsp.GetResults()) > 0 {
			b.Fatalf("unexpected: %v %v", err, rsp.GetResults())
		}
	}
}

// noop is the cheapest possible function: it returns the desired state it
// was given. It is the baseline that paved's cost is measured against.
type noop struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

func (noop) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	return response.To(req, response.DefaultTTL), nil
}

// BenchmarkRunFunctionGRPC calls the no-op function and function-paved over
// real gRPC on loopback, side by side in one run, with the same requests.
// The ratio paved/noop per request is what composition costs on top of the
// round trip Crossplane pays anyway.
func BenchmarkRunFunctionGRPC(b *testing.B) {
	servers := map[string]fnv1.FunctionRunnerServiceServer{
		"noop":  noop{},
		"paved": New(logging.NewNopLogger()),
	}
	clients := map[string]fnv1.FunctionRunnerServiceClient{}
	for name, srv := range servers {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		s := grpc.NewServer()
		fnv1.RegisterFunctionRunnerServiceServer(s, srv)
		go s.Serve(lis) //nolint:errcheck // Stopped below.
		b.Cleanup(s.Stop)
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = conn.Close() })
		clients[name] = fnv1.NewFunctionRunnerServiceClient(conn)
	}
	requests := []struct {
		name string
		req  *fnv1.RunFunctionRequest
	}{
		{"DatabaseFirstReconcile", firstReconcile("database")},
		{"DatabaseSteadyState", steadyState()},
		{"BucketFirstReconcile", firstReconcile("bucket")},
	}
	for _, r := range requests {
		for _, fn := range []string{"noop", "paved"} {
			b.Run(r.name+"/"+fn, func(b *testing.B) {
				c := clients[fn]
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.RunFunction(ctx, r.req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
