package fn

import (
	"errors"
	"fmt"
	"sync"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	kjson "sigs.k8s.io/json"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// maxMemo and maxMemoObjects bound each memo. A function serves a handful
// of Compositions and, per composite, one desired state until its spec
// changes; past this many entries, or this many composed objects in the
// desired memo's entries, the memo starts over. An object takes ~1 KB
// marshalled and ~4 KB of heap as a structpb tree (measured: 100
// composites of each kind, 3.1-4.1 KB per object), so 1,024 objects are
// ~4 MiB: ~110 DatabaseClaims (9 objects each), ~80 BucketClaims (13),
// ~250 ServiceBundles (4). Counting objects costs nothing; counting their
// marshalled bytes walked every object of a new composite, a tenth of its
// composition. A composite beyond the memo is composed anew on each
// reconcile: ~0.1 ms, against ~0.02 ms replayed.
const (
	maxMemo        = 1024
	maxMemoObjects = 1024
)

// memo remembers values by the digest of what they were computed from.
// Its values are shared between concurrent requests and never modified.
type memo[T any] struct {
	mu      sync.Mutex
	m       map[pb.Digest]T
	objects int
}

func (c *memo[T]) get(key pb.Digest) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

// put remembers v, which counts objects against maxMemoObjects.
func (c *memo[T]) put(key pb.Digest, v T, objects int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxMemo || c.objects+objects > maxMemoObjects {
		c.m = make(map[pb.Digest]T)
		c.objects = 0
	}
	c.m[key] = v
	c.objects += objects
}

// input returns the request's decoded input and its digest. Decoding goes
// through JSON and costs more than composing a claim; the same few inputs
// arrive on every reconcile, so each is decoded once.
func (f *Function) input(req *fnv1.RunFunctionRequest) (*functionInput, pb.Digest, error) {
	var d pb.Digester
	d.Struct(req.GetInput())
	key := d.Sum()
	if in, ok := f.inputs.get(key); ok {
		return in, key, nil
	}
	in, err := decodeInput(req.GetInput())
	if err != nil {
		return nil, key, err
	}
	f.inputs.put(key, in, 0) // a few hundred bytes; bounded by count
	return in, key, nil
}

// The function's input, fn.paved.dev/v1alpha1 Input.
const (
	InputAPIVersion = "fn.paved.dev/v1alpha1"
	InputKind       = "Input"
)

// functionInput is the function's input as the function decodes it: the
// fields of v1alpha1.Input, the input CRD's root type (package/input),
// whose Kubernetes object metadata (metav1.TypeMeta, ObjectMeta) would
// link apimachinery's meta/v1 and runtime into the function, ~2 MiB of its
// resident memory (README, Tests and numbers). TestInputMatchesV1alpha1
// holds the two to the same keys and the same decoding.
type functionInput struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	// Metadata is not read; any object is accepted.
	Metadata map[string]any `json:"metadata,omitempty"`

	Environment           environment.Environment `json:"environment,omitempty"`
	EnvironmentConfigName string                  `json:"environmentConfigName,omitempty"`
}

// decodeInput decodes the function's input strictly, a key it does not
// know being an error, as function-sdk-go's request.GetInput does. It uses
// Kubernetes' strict decoder (sigs.k8s.io/json, as the API server and
// package env do), not go-json-experiment as the SDK does (v0.7.1
// resource.AsObject): that one words its errors at random ("cannot" or
// "unable to", on purpose) and names Go types.
func decodeInput(s *structpb.Struct) (*functionInput, error) {
	j, err := protojson.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("cannot marshal the input to JSON: %w", err)
	}
	in := &functionInput{}
	strict, err := kjson.UnmarshalStrict(j, in)
	if err == nil && len(strict) > 0 {
		err = errors.Join(strict...)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (allowed keys: apiVersion, kind, metadata, environment, environmentConfigName)", err)
	}
	return in, nil
}

// environmentKey is everything the resolved environment depends on: the
// input (its digest, input) and the EnvironmentConfig.
func environmentKey(input pb.Digest, ec *structpb.Struct) pb.Digest {
	var d pb.Digester
	d.Digest(input)
	d.Struct(ec)
	return d.Sum()
}

// A resolved environment, or why it cannot be resolved.
type resolved struct {
	e   *env.Environment
	err error
}

// environment resolves the input's environment and the EnvironmentConfig
// (key is their environmentKey). The same few arrive on every request, so
// each is resolved once; an Environment is never modified once resolved
// (compose.Set.Pin pins a copy), so requests share it.
func (f *Function) environment(key pb.Digest, in *functionInput, ec *structpb.Struct) (*env.Environment, error) {
	if r, ok := f.environments.get(key); ok {
		return r.e, r.err
	}
	e, err := env.Resolve(in.Environment, in.EnvironmentConfigName, ec)
	f.environments.put(key, resolved{e, err}, 0) // bounded by count
	return e, err
}

// desiredKey is everything the composed objects of a composite depend on:
// the input and the EnvironmentConfig (their digest, environment), the
// composite's identity (uid included: cloud names carry its digest) and
// spec, and of the observed state the placement pinned from existing
// resources (compose.Set.Pin) and the names existing composed resources
// already have (Set.ObservedIdentity). A composer whose objects depend on
// more of what is observed names it (observed). Readiness and status are
// computed anew on every request.
func desiredKey(environment pb.Digest, xr *compose.Composite, s *compose.Set, observed []string) pb.Digest {
	md := pb.Struct(xr.Object, "metadata")
	var d pb.Digester
	d.Digest(environment)
	d.String(xr.APIVersion)
	d.String(xr.Kind)
	d.Value(pb.Get(md, "name"))
	d.Value(pb.Get(md, "uid"))
	d.Value(pb.Get(md, "labels"))
	d.Struct(xr.Spec())
	d.Strings(s.Pinned())
	d.Strings(observed)
	s.ObservedIdentity(&d)
	return d.Sum()
}

// compose replays the objects composed for an identical composite and
// environment, or has the composer compose them.
func (f *Function) compose(c Composer, environment pb.Digest, xr *compose.Composite, e *env.Environment, s *compose.Set) error {
	key := desiredKey(environment, xr, s, observedKey(c, s))
	if o, ok := f.desired.get(key); ok {
		s.Replay(o)
		return nil
	}
	if err := c.Compose(xr, e, s); err != nil {
		return err
	}
	if err := s.Objects().CheckAWSRules(); err != nil {
		return &internalError{fmt.Errorf("function-paved composed values that AWS would refuse (a bug in paved; nothing was applied): %w", err)}
	}
	f.desired.put(key, s.Objects(), len(s.Objects().Names()))
	return nil
}
