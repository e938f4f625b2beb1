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
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// maxMemo bounds each memo. A function serves a handful of Compositions,
// whose inputs and EnvironmentConfigs are the same few on every request;
// past this many entries the memo starts over.
const maxMemo = 1024

// memo remembers values by the digest of the bytes they were computed
// from, and nothing else: a value is a pure function of its key. Its
// values are shared between concurrent requests and never modified.
type memo[T any] struct {
	mu sync.Mutex
	m  map[pb.Digest]T
}

func (c *memo[T]) get(key pb.Digest) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *memo[T]) put(key pb.Digest, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxMemo {
		c.m = make(map[pb.Digest]T)
	}
	c.m[key] = v
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
	f.inputs.put(key, in)
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
// link apimachinery's meta/v1 and runtime into the function (docs/design.md,
// "Composed objects are structured maps"). TestInputMatchesV1alpha1 holds
// the two to the same keys and the same decoding.
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

// A resolved environment, or why it cannot be resolved, and for each kind
// (by composite kind) why its composer refuses the environment, if it does.
type resolved struct {
	e       *env.Environment
	err     error
	invalid map[string]error
}

// environment resolves the input's environment and the EnvironmentConfig
// (key is their environmentKey) and has every composer validate its
// section. The same few arrive on every request, so each is resolved and
// validated once: both depend on the key's bytes alone. An Environment is
// never modified once resolved (compose.Set.Pin pins a copy), so requests
// share it. It returns the environment and why the composer of kind
// refuses it, if it does.
func (f *Function) environment(key pb.Digest, in *functionInput, ec *structpb.Struct, kind string) (*env.Environment, error) {
	r, ok := f.environments.get(key)
	if !ok {
		r.e, r.err = env.Resolve(in.Environment, in.EnvironmentConfigName, ec)
		if r.err == nil {
			r.invalid = make(map[string]error, len(f.composers))
			for k, c := range f.composers {
				if err := c.ValidateEnvironment(r.e); err != nil {
					r.invalid[k] = err
				}
			}
		}
		f.environments.put(key, r)
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.e, r.invalid[kind]
}
