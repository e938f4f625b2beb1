package fn

import (
	"sync"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"google.golang.org/protobuf/proto"

	"github.com/paved-dev/paved/fn/input/v1alpha1"
)

// maxCachedInputs bounds the input cache. A function serves a handful of
// Compositions, each with one input; more than this means inputs churn and
// the cache starts over.
const maxCachedInputs = 64

// inputs decodes function inputs, remembering the result per distinct input.
// Decoding goes through JSON and costs more than composing a claim; the same
// few inputs arrive on every reconcile, so each is decoded once.
type inputs struct {
	mu      sync.Mutex
	decoded map[string]*v1alpha1.Input
}

// get returns the request's input. The result is shared: callers must not
// modify it.
func (c *inputs) get(req *fnv1.RunFunctionRequest) (*v1alpha1.Input, error) {
	key, err := proto.MarshalOptions{Deterministic: true}.Marshal(req.GetInput())
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	in, ok := c.decoded[string(key)]
	c.mu.Unlock()
	if ok {
		return in, nil
	}
	in = &v1alpha1.Input{}
	if err := request.GetInput(req, in); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.decoded == nil || len(c.decoded) >= maxCachedInputs {
		c.decoded = make(map[string]*v1alpha1.Input, maxCachedInputs)
	}
	c.decoded[string(key)] = in
	return in, nil
}
