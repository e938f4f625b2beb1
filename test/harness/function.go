package harness

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var execCommand = exec.CommandContext

// StartFunction runs a composition function binary as a local process that
// serves gRPC over mTLS on a free loopback port (function-sdk-go flags
// --address, --tls-server-certs-dir and --metrics-address), and wires it to
// Crossplane core as the active revision of the Function called name.
//
// With the External package runtime core does not run functions: its
// function runner dials status.endpoint of the FunctionRevision labelled
// pkg.crossplane.io/package=<name> with desiredState Active, presenting its
// client certificate from the function CA. The revision is created bare (no
// Function object, no package to fetch); the revision controller's failed
// image fetches leave the endpoint alone.
func (cp *ControlPlane) StartFunction(ctx context.Context, name, bin string, args ...string) (*Proc, error) {
	p, endpoint, err := cp.ServeFunction(ctx, name, bin, args...)
	if err != nil {
		return nil, err
	}

	rev := unstructuredFor("pkg.crossplane.io/v1", "FunctionRevision")
	rev.SetName(name + "-e2e")
	rev.SetLabels(map[string]string{"pkg.crossplane.io/package": name})
	rev.Object["spec"] = map[string]any{
		"desiredState":                "Active",
		"image":                       "e2e.paved.dev/" + name + ":local",
		"revision":                    int64(1),
		"ignoreCrossplaneConstraints": true,
		"skipDependencyResolution":    true,
	}
	if err := cp.Client.Create(ctx, rev); err != nil {
		return nil, err
	}
	if err := cp.SetFunctionEndpoint(ctx, rev.GetName(), endpoint); err != nil {
		return nil, err
	}
	cp.logf("function %s serving mTLS on %s, wired as FunctionRevision %s", name, endpoint, rev.GetName())
	return p, nil
}

// ServeFunction runs a composition function binary serving gRPC over mTLS
// (a server certificate of the function CA core trusts) on a free loopback
// port, and returns it with its endpoint once it accepts connections.
func (cp *ControlPlane) ServeFunction(ctx context.Context, name, bin string, args ...string) (*Proc, string, error) {
	dir := filepath.Join(cp.dir, "fn-"+name)
	server, err := cp.fnCA.issue(leafSpec{cn: name, ips: []net.IP{net.IPv4(127, 0, 0, 1)}, dns: []string{"localhost"}, server: true})
	if err != nil {
		return nil, "", err
	}
	if err := writeTLSDir(dir, server, cp.fnCA); err != nil {
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	metrics, err := freePort()
	if err != nil {
		return nil, "", err
	}
	endpoint := hostPort(port)
	p, err := cp.start(name, nil, bin, append([]string{
		"--address=" + endpoint,
		"--tls-server-certs-dir=" + dir,
		"--metrics-address=" + hostPort(metrics),
	}, args...)...)
	if err != nil {
		return nil, "", err
	}
	err = cp.ready(ctx, p, name, func(ctx context.Context) error {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", endpoint)
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		return nil, "", err
	}

	return p, endpoint, nil
}

// SetFunctionEndpoint writes the endpoint of a running function into the
// status of the FunctionRevision called rev: with the External runtime core
// dials status.endpoint of the active revision and leaves it alone.
func (cp *ControlPlane) SetFunctionEndpoint(ctx context.Context, rev, endpoint string) error {
	status := unstructuredFor("pkg.crossplane.io/v1", "FunctionRevision")
	status.SetName(rev)
	caps := []any{"composition"}
	if len(cp.FunctionCapabilities) > 0 {
		caps = caps[:0]
		for _, c := range cp.FunctionCapabilities {
			caps = append(caps, c)
		}
	}
	status.Object["status"] = map[string]any{
		"endpoint":     endpoint,
		"capabilities": caps,
	}
	if err := cp.Client.Status().Patch(ctx, status, client.Merge); err != nil {
		return err
	}
	// Read it back: the revision controller must not have dropped it.
	got := unstructuredFor("pkg.crossplane.io/v1", "FunctionRevision")
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: rev}, got); err != nil {
		return err
	}
	if ep, _, _ := unstructured.NestedString(got.Object, "status", "endpoint"); ep != endpoint {
		cp.logf("FunctionRevision %s: status.endpoint %q, want %q", rev, ep, endpoint)
	}
	return nil
}
