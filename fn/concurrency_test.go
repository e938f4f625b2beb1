package fn

import (
	"sync"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// Composed objects share values between responses (the memo's objects,
// selectors, booleans, parameter lists): requests served at once, each
// response marshalled as gRPC does, must neither race (go test -race) nor
// answer differently from a function serving one request at a time.
func TestConcurrentRequests(t *testing.T) {
	var reqs []*requestAndAnswer
	for _, k := range Kinds {
		rs := firstReconciles(k, 5)
		if k.Namespaced != "" {
			rs = append(rs, namespacedFirstReconciles(k, 5)...)
		}
		for _, r := range rs {
			want, err := run(New(logging.NewNopLogger()), r)
			if err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, &requestAndAnswer{r, want})
		}
	}
	f := New(logging.NewNopLogger())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range reqs {
				ra := reqs[(i+g)%len(reqs)]
				got, err := run(f, ra.req)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := proto.Marshal(got); err != nil {
					t.Error(err)
				}
				if diff := cmp.Diff(ra.want, got, protocmp.Transform()); diff != "" {
					t.Errorf("%s: -alone, +concurrently:\n%s", ra.req.GetMeta().GetTag(), diff)
				}
			}
		})
	}
	wg.Wait()
}

type requestAndAnswer struct {
	req  *fnv1.RunFunctionRequest
	want *fnv1.RunFunctionResponse
}
