package fn

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	xplogging "github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// recorder is a logging.Logger that keeps every line it is given, at every
// level, with its key-value pairs.
type recorder struct {
	mu    *sync.Mutex
	lines *[]string
	kv    []any
}

func newRecorder() recorder { return recorder{mu: &sync.Mutex{}, lines: &[]string{}} }

func (r recorder) log(level, msg string, kv []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.lines = append(*r.lines, fmt.Sprintf("%s %s %v %v", level, msg, r.kv, kv))
}
func (r recorder) Info(msg string, kv ...any)  { r.log("info", msg, kv) }
func (r recorder) Debug(msg string, kv ...any) { r.log("debug", msg, kv) }
func (r recorder) WithValues(kv ...any) xplogging.Logger {
	return recorder{mu: r.mu, lines: r.lines, kv: append(append([]any{}, r.kv...), kv...)}
}

// TestPasswordOnlyInConnectionDetails: the master password reaches the
// function, because Crossplane sends the observed instance's connection
// details in the request and writes the composite's connection secret (and
// from it the claim's) from what the function returns. It must go nowhere
// else: not in a log line (at debug level too), result, event, condition,
// status field, composed resource, or any other connection detail; neither
// on a refusal, nor on a second reconcile, nor from a bundle
// that observes its nested database's secret. A namespaced Database
// returns it nowhere at all: its instance writes the team's Secret.
func TestPasswordOnlyInConnectionDetails(t *testing.T) {
	const password = "pw-KNOWN-7f3a9c-Secret"
	leaks := []string{password, base64.StdEncoding.EncodeToString([]byte(password))}

	// withPassword gives every observed resource the password among its
	// connection details, under the keys provider-aws writes.
	withPassword := func(observed map[string]*fnv1.Resource, key string) map[string]*fnv1.Resource {
		out := make(map[string]*fnv1.Resource, len(observed))
		for name, r := range observed {
			r = proto.Clone(r).(*fnv1.Resource)
			if r.ConnectionDetails == nil {
				r.ConnectionDetails = map[string][]byte{}
			}
			r.ConnectionDetails[key] = []byte(password)
			r.ConnectionDetails["username"] = []byte("paved")
			out[name] = r
		}
		return out
	}
	ready := existingDatabase()

	shrink := observedInstance(`{"engine": "postgres", "engineVersion": "15", "allocatedStorage": 100}`, `{"engineVersionActual": "15.7"}`)

	cases := map[string]struct {
		req          *fnv1.RunFunctionRequest
		wantPassword bool // the composite's connection details carry it
	}{
		"Ready": {
			req:          runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: withPassword(ready, "password")}),
			wantPassword: true,
		},
		"ReadyAttributePassword": {
			req:          runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: withPassword(ready, "attribute.password")}),
			wantPassword: true,
		},
		"EnvironmentMoved": {
			req:          withRequired(runReq(inputWithEC, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: withPassword(ready, "password")}), ecResources(movedEnvironment)),
			wantPassword: true,
		},
		"ChangeRefused": {
			req: runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small", "storageGB": 50}`), Resources: withPassword(shrink, "password")}),
		},
		"InvalidClaim": {
			req: runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "oracle", "size": "small"}`), Resources: withPassword(ready, "password")}),
		},
		// A namespaced Database's instance writes the team's Secret itself:
		// the password Crossplane still sends goes nowhere, not even to
		// connection details (which Crossplane would not write).
		"NamespacedReady": {
			req: runReq(input, &fnv1.State{Composite: nsdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: withPassword(ready, "password")}),
		},
		"NamespacedAttributePassword": {
			req: runReq(input, &fnv1.State{Composite: nsdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: withPassword(ready, "attribute.password")}),
		},
		"NamespacedEnvironmentMoved": {
			req: withRequired(runReq(inputWithEC, &fnv1.State{Composite: nsdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: withPassword(ready, "password")}), ecResources(movedEnvironment)),
		},
		"NamespacedChangeRefused": {
			req: runReq(input, &fnv1.State{Composite: nsdatabase(`{"engine": "postgresql", "size": "small", "storageGB": 50}`), Resources: withPassword(shrink, "password")}),
		},
		"NamespacedInvalid": {
			req: runReq(input, &fnv1.State{Composite: nsdatabase(`{"engine": "oracle", "size": "small"}`), Resources: withPassword(ready, "password")}),
		},
		"BundleObservesNestedSecret": {
			req: runReq(bundleInput, &fnv1.State{Composite: xr("XServiceBundle", "ServiceBundle", "orders-api", Kinds[2].Example),
				Resources: withPassword(map[string]*fnv1.Resource{
					"database": observedReady("database", `{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase"}`, nil),
				}, "password")}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			log := newRecorder()
			f := New(log)
			// Twice: a function that has seen the composite before.
			for i := range 2 {
				rsp, err := run(f, tc.req)
				if err != nil {
					t.Fatal(err)
				}
				rsp = proto.Clone(rsp).(*fnv1.RunFunctionResponse)
				cd := rsp.GetDesired().GetComposite().GetConnectionDetails()
				if got := string(cd["password"]); tc.wantPassword != (got == password) {
					t.Errorf("run %d: connection detail password = %q, want the password: %v", i, got, tc.wantPassword)
				}
				for k, v := range cd {
					if k != "password" && strings.Contains(string(v), password) {
						t.Errorf("run %d: connection detail %q holds the password", i, k)
					}
				}
				if rsp.GetDesired().GetComposite() != nil && tc.wantPassword {
					rsp.Desired.Composite.ConnectionDetails = nil
				}
				out := prototext.Format(rsp)
				for _, l := range leaks {
					if strings.Contains(out, l) {
						t.Errorf("run %d: the response holds the password outside the connection details:\n%s", i, out)
					}
				}
			}
			if len(*log.lines) == 0 {
				t.Fatal("the function logged nothing: the recorder is not wired")
			}
			for _, line := range *log.lines {
				for _, l := range leaks {
					if strings.Contains(line, l) {
						t.Errorf("a log line holds the password: %s", line)
					}
				}
			}
		})
	}
}
