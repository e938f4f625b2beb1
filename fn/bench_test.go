package fn

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/wire"
	"github.com/paved-dev/paved/fn/servicebundle"
)

// The benchmarks send what Crossplane sends: the composite as the API server
// returns it, and at steady state every composed resource as the provider
// reports it (its spec, Kubernetes and Crossplane metadata, and status with
// atProvider mirroring forProvider).

// realistic returns xr with the metadata, references and status a live
// composite has.
func realistic(xr *fnv1.Resource, resources []string) *fnv1.Resource {
	o := proto.Clone(xr.GetResource()).(*structpb.Struct)
	md := o.GetFields()["metadata"].GetStructValue()
	maps.Copy(md.Fields, mustStructJSON(`{
		"uid": "9b2f3c1e-6d7a-4e8b-9c0d-1e2f3a4b5c6d", "resourceVersion": "184467", "generation": 2,
		"creationTimestamp": "2026-11-25T10:00:00Z", "finalizers": ["composite.apiextensions.crossplane.io"],
		"labels": {"crossplane.io/claim-name": "orders-db", "crossplane.io/claim-namespace": "orders", "crossplane.io/composite": "orders-db-x7k2p"}
	}`).GetFields())
	spec := o.GetFields()["spec"].GetStructValue()
	maps.Copy(spec.Fields, mustStructJSON(`{
		"compositionRef": {"name": "xdatabases.aws.platform.paved.dev"},
		"compositionRevisionRef": {"name": "xdatabases.aws.platform.paved.dev-5c1f2a9"},
		"compositionUpdatePolicy": "Automatic",
		"writeConnectionSecretToRef": {"name": "6f1c2a4e-3b5d-4c7e-9f10-2a3b4c5d6e7f", "namespace": "crossplane-system"}
	}`).GetFields())
	refs := make([]*structpb.Value, 0, len(resources))
	for _, r := range resources {
		refs = append(refs, structpb.NewStructValue(mustStructJSON(`{"apiVersion": "x.aws.upbound.io/v1beta1", "kind": "X", "name": "orders-db-x7k2p-`+r+`"}`)))
	}
	spec.Fields["resourceRefs"] = structpb.NewListValue(&structpb.ListValue{Values: refs})
	o.Fields["status"] = structpb.NewStructValue(mustStructJSON(`{"conditions": [
		{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-11-25T10:00:00Z", "observedGeneration": 2},
		{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-11-25T10:09:00Z", "observedGeneration": 2},
		{"type": "DatabaseReady", "status": "True", "reason": "Available", "message": "all 4 composed resources are ready", "lastTransitionTime": "2026-11-25T10:09:00Z"}
	], "connectionDetails": {"lastPublishedTime": "2026-11-25T10:09:00Z"}}`))
	return &fnv1.Resource{Resource: o}
}

// asObserved returns desired resources as the provider reports them.
func asObserved(desired map[string]*fnv1.Resource, atProvider map[string]string) map[string]*fnv1.Resource {
	observed := make(map[string]*fnv1.Resource, len(desired))
	for name, r := range desired {
		o := proto.Clone(r.GetResource()).(*structpb.Struct)
		md := o.GetFields()["metadata"].GetStructValue()
		objName := md.GetFields()["name"].GetStringValue()
		// The external name: what paved set, or else metadata.name.
		extName := objName
		if v := md.GetFields()["annotations"].GetStructValue().GetFields()["crossplane.io/external-name"].GetStringValue(); v != "" {
			extName = v
		}
		maps.Copy(md.Fields, mustStructJSON(`{
			"uid": "0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a", "resourceVersion": "184470", "generation": 1,
			"creationTimestamp": "2026-11-25T10:00:01Z", "finalizers": ["finalizer.managedresource.crossplane.io"],
			"annotations": {"crossplane.io/composition-resource-name": "`+name+`", "crossplane.io/external-name": "`+extName+`",
				"crossplane.io/external-create-pending": "2026-11-25T10:00:02Z", "crossplane.io/external-create-succeeded": "2026-11-25T10:00:03Z"},
			"ownerReferences": [{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "name": "orders-db-x7k2p",
				"uid": "9b2f3c1e-6d7a-4e8b-9c0d-1e2f3a4b5c6d", "controller": true, "blockOwnerDeletion": true}]
		}`).GetFields())
		spec := o.GetFields()["spec"].GetStructValue()
		if spec.GetFields()["forProvider"] == nil {
			// Not a managed resource (a ClusterUsage): its status is its
			// conditions.
			o.Fields["status"] = structpb.NewStructValue(mustStructJSON(`{"conditions": [
				{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-11-25T10:00:03Z"}]}`))
			observed[name] = &fnv1.Resource{Resource: o}
			continue
		}
		maps.Copy(spec.Fields, mustStructJSON(`{"deletionPolicy": "Delete", "managementPolicies": ["*"], "providerConfigRef": {"name": "default"}, "initProvider": {}}`).GetFields())
		at := proto.Clone(spec.GetFields()["forProvider"].GetStructValue()).(*structpb.Struct)
		at.Fields["id"] = structpb.NewStringValue(objName)
		maps.Copy(at.Fields, mustStructJSON(atProvider[name]+"").GetFields())
		o.Fields["status"] = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"atProvider": structpb.NewStructValue(at),
			"conditions": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{
				structpb.NewStructValue(mustStructJSON(`{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-11-25T10:09:00Z"}`)),
				structpb.NewStructValue(mustStructJSON(`{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-11-25T10:00:03Z"}`)),
				structpb.NewStructValue(mustStructJSON(`{"type": "LastAsyncOperation", "status": "True", "reason": "Success", "lastTransitionTime": "2026-11-25T10:09:00Z"}`)),
			}}),
		}})
		observed[name] = &fnv1.Resource{Resource: o}
	}
	return observed
}

var dbResources = []string{"subnet-group", "security-group", "security-group-rule", "parameter-group-postgres15", "instance"}

// steadyState is a DatabaseClaim request once everything exists.
func steadyState() *fnv1.RunFunctionRequest {
	observed := asObserved(desiredDatabase(fnv1.Ready_READY_TRUE), map[string]string{
		"subnet-group":               `{"arn": "arn:aws:rds:eu-west-1:111122223333:subgrp:orders-db-x7k2p-subnet-group", "vpcId": "vpc-0a1b2c3d4e5f60718", "supportedNetworkTypes": ["IPV4"], "tagsAll": {"crossplane-kind": "subnetgroup.rds.aws.upbound.io", "crossplane-name": "orders-db-x7k2p-subnet-group", "crossplane-providerconfig": "default"}}`,
		"security-group":             `{"arn": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0", "ownerId": "111122223333", "egress": [], "ingress": [], "tagsAll": {"crossplane-kind": "securitygroup.ec2.aws.upbound.io", "crossplane-name": "orders-db-x7k2p-security-group", "crossplane-providerconfig": "default"}}`,
		"security-group-rule":        `{"securityGroupId": "sg-0123456789abcdef0", "securityGroupRuleId": "sgr-0123456789abcdef0", "self": false}`,
		"parameter-group-postgres15": `{"arn": "arn:aws:rds:eu-west-1:111122223333:pg:orders-db-x7k2p-postgres15", "id": "orders-db-x7k2p-postgres15", "tagsAll": {"crossplane-kind": "parametergroup.rds.aws.upbound.io", "crossplane-name": "orders-db-x7k2p-postgres15", "crossplane-providerconfig": "default"}}`,
		"instance": `{"address": "orders-db-x7k2p.c9akciq32.eu-west-1.rds.amazonaws.com", "endpoint": "orders-db-x7k2p.c9akciq32.eu-west-1.rds.amazonaws.com:5432",
			"arn": "arn:aws:rds:eu-west-1:111122223333:db:orders-db-x7k2p", "availabilityZone": "eu-west-1a", "backupWindow": "03:00-03:30", "caCertIdentifier": "rds-ca-rsa2048-g1",
			"dbSubnetGroupName": "orders-db-x7k2p-subnet-group", "engineVersionActual": "15.8", "hostedZoneId": "Z29XKXDKYMONMX", "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",
			"latestRestorableTime": "2026-11-25T10:05:00Z", "licenseModel": "postgresql-license", "maintenanceWindow": "sun:04:00-sun:04:30", "networkType": "IPV4",
			"parameterGroupName": "orders-db-x7k2p-postgres15", "resourceId": "db-ABCDEFGHIJKLMNOPQRSTUVWXY", "status": "available", "storageThroughput": 125, "iops": 3000,
			"vpcSecurityGroupIds": ["sg-0123456789abcdef0"], "replicas": [], "listenerEndpoint": [], "masterUserSecret": [],
			"tagsAll": {"crossplane-kind": "instance.rds.aws.upbound.io", "crossplane-name": "orders-db-x7k2p-instance", "crossplane-providerconfig": "default"}}`,
	})
	observed["instance"].ConnectionDetails = map[string][]byte{
		"address": []byte("orders-db-x7k2p.c9akciq32.eu-west-1.rds.amazonaws.com"), "host": []byte("orders-db-x7k2p.c9akciq32.eu-west-1.rds.amazonaws.com"),
		"endpoint": []byte("orders-db-x7k2p.c9akciq32.eu-west-1.rds.amazonaws.com:5432"),
		"username": []byte("paved"), "password": []byte("s3cr3t-generated-by-provider"), "port": []byte("5432"),
	}
	return runReq(input, &fnv1.State{Composite: realistic(xdatabase(`{"engine": "postgresql", "size": "small"}`), dbResources), Resources: observed})
}

func firstReconcile(kind string) *fnv1.RunFunctionRequest {
	if kind == "bucket" {
		return runReq(input, &fnv1.State{Composite: realistic(xbucket(`{}`), nil)})
	}
	return runReq(input, &fnv1.State{Composite: realistic(xdatabase(`{"engine": "postgresql", "size": "small"}`), nil)})
}

// serviceBundleFirstReconcile is the registry's example ServiceBundle as a
// live composite, nothing composed yet.
func serviceBundleFirstReconcile() *fnv1.RunFunctionRequest {
	for _, k := range Kinds {
		if k.Composite == servicebundle.Kind {
			return runReq(bundleInput, &fnv1.State{Composite: realistic(xr(k.Composite, k.Claim, "orders-api", k.Example), nil)})
		}
	}
	panic("no ServiceBundle in Kinds")
}

// noop is the cheapest possible function: it returns the desired state it
// was given. It is the baseline that paved's cost is measured against.
type noop struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

// Its answer is function-sdk-go's response.To(req, response.DefaultTTL)
// (function-sdk-go response/response.go: the request's tag, a TTL of a
// minute, its desired state and context), written here so that fn's
// tests do not link the SDK's response package and the Kubernetes types
// it imports (see mustStructJSON).
func (noop) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	return &fnv1.RunFunctionResponse{
		Meta:    &fnv1.ResponseMeta{Tag: req.GetMeta().GetTag(), Ttl: durationpb.New(time.Minute)},
		Desired: req.GetDesired(),
		Context: req.GetContext(),
	}, nil
}

// sameBytes answers each request with the response function-paved gave it,
// computed beforehand (the benchmark sets response before each call): what
// paved's own answer costs in gRPC and proto alone, with no composition.
// It is the floor of paved's cost for that answer.
type sameBytes struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
	response *fnv1.RunFunctionResponse
}

func (s *sameBytes) RunFunction(context.Context, *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	return s.response, nil
}

// decoded answers each request with paved's response to it, decoded in the
// call from its wire bytes (the benchmark sets wire before each call): the
// floor plus making the answer's objects on every call, as any function
// that answers with objects it makes per request does. What paved costs
// beyond it is composition's own work: deciding what to answer, and the
// objects it makes besides the answer.
type decoded struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
	wire []byte
}

func (d *decoded) RunFunction(context.Context, *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := &fnv1.RunFunctionResponse{}
	if err := proto.Unmarshal(d.wire, rsp); err != nil {
		return nil, err
	}
	return rsp, nil
}

// newNameRounds is how many requests of each kind the first-reconcile
// benchmarks cycle through, each for a composite with its own name and uid.
// It is more than any of the function's memos holds (maxMemo entries), so
// that nothing a request depends on besides its input and environment is
// one paved has seen (see newNames).
const newNameRounds = maxMemo + 100

// firstReconciles returns n first-reconcile requests for kind k, each for a
// live composite with a name and uid of its own, tagged with kind and name.
func firstReconciles(k Kind, n int) []*fnv1.RunFunctionRequest {
	template := runReq(bundleInput, &fnv1.State{Composite: realistic(xr(k.Composite, k.Claim, "orders", k.Example), nil)})
	reqs := make([]*fnv1.RunFunctionRequest, n)
	for i := range reqs {
		req := proto.Clone(template).(*fnv1.RunFunctionRequest)
		name := fmt.Sprintf("orders-%d-x7k2p", i)
		md := req.GetObserved().GetComposite().GetResource().GetFields()["metadata"].GetStructValue()
		md.Fields["name"] = structpb.NewStringValue(name)
		md.Fields["uid"] = structpb.NewStringValue(fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
		req.Meta = &fnv1.RequestMeta{Tag: k.Claim + "/" + name}
		reqs[i] = fetched(req)
	}
	return reqs
}

// fetched is req as Crossplane sends it the last time in a reconcile: with
// what it fetched for every requirement (settle), here none of the
// objects the composite is about to create, so that the function composes
// in one call what the whole exchange composes.
func fetched(req *fnv1.RunFunctionRequest) *fnv1.RunFunctionRequest {
	final, _, err := settle(New(logging.NewNopLogger()), req)
	if err != nil {
		panic(err)
	}
	return final
}

// A benchCase is a sequence of requests a benchmark sends in turn, round
// after round, built when the benchmark runs (a thousand requests of a
// kind and their answers take tens of MB).
type benchCase struct {
	name string
	reqs func() []*fnv1.RunFunctionRequest
}

// benchCases are the requests of the benchmarks: <Claim>/NewName is, for
// every kind of the registry, a first reconcile of a composite with a new
// name and uid each round (newNameRounds of them, then again from the
// first), and <Namespaced>/NewName the same of its namespaced composite
// (ServiceBundle-v2/NewName for the bundle's); <Claim>/Replayed is the
// same composite each round (composed anew: paved keeps no composed
// objects between requests); DatabaseClaimSteadyState is a DatabaseClaim
// once everything exists, repeated.
func benchCases() []benchCase {
	var cases []benchCase
	for _, k := range Kinds {
		cases = append(cases,
			benchCase{k.Claim + "/NewName", func() []*fnv1.RunFunctionRequest { return firstReconciles(k, newNameRounds) }},
			benchCase{k.Claim + "/Replayed", func() []*fnv1.RunFunctionRequest { return firstReconciles(k, 1) }})
		if k.Namespaced != "" {
			// The same composer in the namespaced dialect (Crossplane
			// v2): other kinds, a composed connection Secret. The
			// namespaced ServiceBundle has its claim's kind name
			// (apis/servicebundle-v2): its rows are <Namespaced>-v2, so
			// that hack/bench-ratio.sh does not take them for the
			// claim's.
			name := k.Namespaced
			if name == k.Claim {
				name += "-v2"
			}
			cases = append(cases, benchCase{name + "/NewName", func() []*fnv1.RunFunctionRequest {
				return namespacedFirstReconciles(k, newNameRounds)
			}})
		}
	}
	return append(cases, benchCase{"DatabaseClaimSteadyState", func() []*fnv1.RunFunctionRequest {
		req := steadyState()
		req.Meta = &fnv1.RequestMeta{Tag: "DatabaseClaimSteadyState"}
		return []*fnv1.RunFunctionRequest{req}
	}})
}

// newNames fails the benchmark if a memo could hold every request of a
// NewName case.
func newNames(b *testing.B) {
	b.Helper()
	if newNameRounds <= maxMemo {
		b.Fatalf("newNameRounds (%d) must exceed maxMemo (%d)", newNameRounds, maxMemo)
	}
}

// BenchmarkRunFunctionFirstReconcile composes in process what
// BenchmarkRunFunctionGRPC sends (benchCases), without gRPC: what paved
// itself costs, for profiles.
func BenchmarkRunFunctionFirstReconcile(b *testing.B) {
	newNames(b)
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			reqs := c.reqs()
			f := New(logging.NewNopLogger())
			b.ReportAllocs()
			start := cpuTime(b)
			i := 0
			for b.Loop() {
				rsp, err := f.RunFunction(context.Background(), reqs[i%len(reqs)])
				if err != nil || len(rsp.GetResults()) > 0 {
					b.Fatalf("unexpected: %v %v", err, rsp.GetResults())
				}
				i++
			}
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkRunFunctionGRPC calls the no-op function, the same-bytes floor
// and function-paved over real gRPC on loopback with the same requests
// (benchCases), and a fourth, decoded, that decodes paved's answer in the
// call. The ratio paved/floor per request is what composition costs on
// top of sending paved's answer; paved/decoded what it costs beyond
// having the answer's objects made at all (decoded/floor is what making
// them costs); paved/noop on top of the round trip Crossplane pays
// anyway. One paved serves all cases, as one function serves all
// Compositions. paved is served as it ships, reading its requests and
// writing its answers with package wire's codec (fn/cmd/function); the
// other three use grpc-go's, so paved/floor counts what paved's codec
// saves on the same bytes (docs/performance.md, "The answer written by
// paved itself", "The request read by paved itself").
//
// How it measures, and why (docs/performance.md, "Measuring the ratio"):
//   - Interleaved. Each iteration is a round of a block of grpcBlock calls
//     to each function, the same requests, in an order drawn anew every
//     round (from a fixed seed); a function's CPU time is the sum over
//     its blocks. Run one after the other, each function met the machine
//     in another state; interleaved, every function meets the same drift.
//     Calls to one function come in blocks so that the collector's work
//     on what a call allocated, which runs beside the calls after it, is
//     mostly charged to the same function; what spills into the next
//     block is spread evenly because every function follows every other
//     about equally often (an order that rotated put each always after
//     the same one: paved after the decoded floor, which allocates most).
//   - With the heap of a function in production: a few MB live. The
//     requests and the floor's answers (tens of MB for a thousand
//     composites) wait marshaled outside the Go heap (offHeap), and a
//     block's are decoded before it, untimed, whichever function it
//     calls, so that every block leaves the same garbage besides its
//     own (decoded once a round and shared by the blocks, they made
//     the floor against itself read 0.88-0.97 for the small answers: the
//     block after the decoding is not like the others). Held as objects,
//     they made the collector run a long cycle every ~60 MB allocated, a
//     handful in a run of a thousand calls, so that a run's CPU time
//     moved by a whole cycle more or less: ratios of the same code moved
//     by ±0.2 between runs and fell below 1.0, which paved cannot cost
//     (it sends the floor's answer and composes it too). And a live heap
//     ten times a function's makes every cycle mark ten times as much:
//     the collector's work per allocated byte depends on the heap it
//     marks.
//
// Per request it reports each function's CPU time and allocations per
// call (<fn>-cpu-ns/call, <fn>-allocs/call, the untimed decoding left
// out) and the ratios paved/floor, paved/noop, paved/decoded and
// decoded/floor; ns/op is a round of a block of calls to each function,
// decoding included.
func BenchmarkRunFunctionGRPC(b *testing.B) {
	newNames(b)
	floor, dec := &sameBytes{}, &decoded{}
	servers := [len(grpcFunctions)]fnv1.FunctionRunnerServiceServer{grpcNoop: noop{}, grpcFloor: floor, grpcDecoded: dec, grpcPaved: New(logging.NewNopLogger())}
	var clients [len(grpcFunctions)]fnv1.FunctionRunnerServiceClient
	for i, srv := range servers {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		var opts []grpc.ServerOption
		if i == grpcPaved {
			// paved as it ships: its main registers package wire's codec
			// (fn/cmd/function); the other functions use grpc-go's own.
			opts = append(opts, grpc.ForceServerCodecV2(wire.NewCodec()))
		}
		s := grpc.NewServer(opts...)
		fnv1.RegisterFunctionRunnerServiceServer(s, srv)
		go s.Serve(lis)
		b.Cleanup(s.Stop)
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = conn.Close() })
		clients[i] = fnv1.NewFunctionRunnerServiceClient(conn)
	}
	for _, c := range benchCases() {
		// Built by the first of -count runs of the case, freed when the
		// last is done.
		var reqs, rsps *offHeap
		b.Run(c.name, func(b *testing.B) {
			if reqs == nil {
				reqs, rsps = offHeapCase(b, c)
			}
			// A block's requests and the floor's answers to them, decoded
			// before each block, untimed.
			block := make([]*fnv1.RunFunctionRequest, grpcBlock)
			answers := make([]*fnv1.RunFunctionResponse, grpcBlock)
			var cpu [len(grpcFunctions)]time.Duration
			var allocs [len(grpcFunctions)]uint64
			ctx := context.Background()
			order := rand.New(rand.NewPCG(1, 2)) // the same orders every run
			round, next := 0, 0
			for b.Loop() {
				for _, fn := range order.Perm(len(grpcFunctions)) {
					for j := range block {
						i := (next + j) % reqs.len()
						block[j], answers[j] = &fnv1.RunFunctionRequest{}, &fnv1.RunFunctionResponse{}
						reqs.unmarshal(b, i, block[j])
						rsps.unmarshal(b, i, answers[j])
					}
					a, start := mallocs(), cpuTime(b)
					for j, req := range block {
						floor.response, dec.wire = answers[j], rsps.wire((next+j)%rsps.len())
						if _, err := clients[fn].RunFunction(ctx, req); err != nil {
							b.Fatal(err)
						}
					}
					// Client and server share this process: its CPU time
					// is the whole round trip, and unlike wall time it
					// does not grow when other work competes for the
					// machine.
					cpu[fn] += cpuTime(b) - start
					allocs[fn] += mallocs() - a
				}
				next += grpcBlock
				round++
			}
			calls := float64(round * grpcBlock)
			for fn, name := range grpcFunctions {
				b.ReportMetric(float64(cpu[fn])/calls, name+"-cpu-ns/call")
				b.ReportMetric(float64(allocs[fn])/calls, name+"-allocs/call")
			}
			b.ReportMetric(float64(cpu[grpcPaved])/float64(cpu[grpcFloor]), "paved/floor")
			b.ReportMetric(float64(cpu[grpcPaved])/float64(cpu[grpcNoop]), "paved/noop")
			b.ReportMetric(float64(cpu[grpcPaved])/float64(cpu[grpcDecoded]), "paved/decoded")
			b.ReportMetric(float64(cpu[grpcDecoded])/float64(cpu[grpcFloor]), "decoded/floor")
		})
		reqs.free(b)
		rsps.free(b)
	}
}

// offHeapCase builds case c's requests and, by a function of their own,
// paved's answers to them (the floor's), and stores both marshaled
// outside the Go heap.
func offHeapCase(b *testing.B, c benchCase) (reqs, rsps *offHeap) {
	b.Helper()
	in := c.reqs()
	out := make([]proto.Message, len(in))
	precompute := New(logging.NewNopLogger())
	for i, req := range in {
		rsp, err := precompute.RunFunction(context.Background(), req)
		if err != nil || len(rsp.GetResults()) > 0 {
			b.Fatalf("%s: %v %v", c.name, err, rsp.GetResults())
		}
		out[i] = rsp
	}
	msgs := make([]proto.Message, len(in))
	for i, req := range in {
		msgs[i] = req
	}
	return newOffHeap(b, msgs), newOffHeap(b, out)
}

// An offHeap holds marshaled messages in memory the Go runtime does not
// manage (an anonymous mmap(2)), so that they are neither scanned by the
// collector nor counted in the heap that paces it.
type offHeap struct {
	buf  []byte
	ends []int // message i is buf[ends[i-1]:ends[i]]
}

func newOffHeap(b *testing.B, msgs []proto.Message) *offHeap {
	b.Helper()
	var all []byte
	o := &offHeap{ends: make([]int, len(msgs))}
	for i, m := range msgs {
		var err error
		if all, err = (proto.MarshalOptions{}).MarshalAppend(all, m); err != nil {
			b.Fatal(err)
		}
		o.ends[i] = len(all)
	}
	buf, err := unix.Mmap(-1, 0, len(all), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		b.Fatal(err)
	}
	copy(buf, all)
	o.buf = buf
	return o
}

// free unmaps o's memory; o must not be used again. A nil o (a case the
// -bench pattern skipped) has nothing to free.
func (o *offHeap) free(b *testing.B) {
	b.Helper()
	if o == nil {
		return
	}
	if err := unix.Munmap(o.buf); err != nil {
		b.Fatal(err)
	}
	o.buf, o.ends = nil, nil
}

func (o *offHeap) len() int { return len(o.ends) }

// unmarshal decodes message i into m. Decoding copies every string and
// bytes field out of the buffer.
func (o *offHeap) unmarshal(b *testing.B, i int, m proto.Message) {
	b.Helper()
	if err := proto.Unmarshal(o.wire(i), m); err != nil {
		b.Fatal(err)
	}
}

// wire is message i's bytes, in o's memory: valid until o is freed.
func (o *offHeap) wire(i int) []byte {
	from := 0
	if i > 0 {
		from = o.ends[i-1]
	}
	return o.buf[from:o.ends[i]]
}

// The functions BenchmarkRunFunctionGRPC compares, by index.
var grpcFunctions = [...]string{grpcNoop: "noop", grpcFloor: "floor", grpcDecoded: "decoded", grpcPaved: "paved"}

const (
	grpcNoop = iota
	grpcFloor
	grpcDecoded
	grpcPaved
)

// grpcBlock is how many calls BenchmarkRunFunctionGRPC makes to one
// function before it turns to the next: 5-30 ms of CPU, several times a
// collection cycle's millisecond or two, and a MB or two of requests and
// answers decoded at once.
const grpcBlock = 25

// mallocs is about how many heap objects the process has allocated so far
// (runtime/metrics, which, unlike runtime.ReadMemStats, does not stop the
// world; tiny objects, which the allocator packs together, are counted
// apart). The runtime counts a P's small allocations when it takes a new
// span, so a block's count is off by a span or so: over a thousand calls,
// about 1 % below testing's allocs/op.
func mallocs() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/tiny/allocs:objects"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64() + sample[1].Value.Uint64()
}

// cpuTime is the CPU time this process has used, all its threads,
// including what a thread running right now has used since the scheduler
// last accounted for it (CLOCK_PROCESS_CPUTIME_ID; getrusage leaves that
// out, an error of up to a scheduler tick per running thread, clock_gettime(2)).
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}
