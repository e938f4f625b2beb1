package harness

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is an OCI registry (go-containerregistry's pkg/registry, in
// memory) served over TLS on a free loopback port, with a CA of its own.
type Registry struct {
	// Host is host:port, the prefix of every reference into it.
	Host string
	// CAFile is the PEM of the CA that signed the registry's certificate:
	// Crossplane core's CA_BUNDLE_PATH, and SSL_CERT_FILE for the
	// crossplane CLI that pushes.
	CAFile string

	srv *httptest.Server
}

// StartRegistry starts a Registry; its CA goes to dir/registry-ca.crt.
func StartRegistry(dir string) (*Registry, error) {
	ca, err := newAuthority("paved-e2e-registry-ca")
	if err != nil {
		return nil, err
	}
	l, err := ca.issue(leafSpec{cn: "registry", ips: []net.IP{net.IPv4(127, 0, 0, 1)}, dns: []string{"localhost"}, server: true})
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(l.cert, l.key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	caFile := filepath.Join(dir, "registry-ca.crt")
	if err := os.WriteFile(caFile, ca.pem, 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	return &Registry{Host: ln.Addr().String(), CAFile: caFile, srv: srv}, nil
}

// Close stops the registry.
func (r *Registry) Close() { r.srv.Close() }

// StartProcess runs bin as a process of the control plane (logged to
// LogDir/name.log, stopped by Stop) once ready reports nil.
func (cp *ControlPlane) StartProcess(name string, env []string, bin string, args ...string) (*Proc, error) {
	return cp.start(name, env, bin, args...)
}

// Output runs a command and returns its standard output; its standard error
// goes to this process's.
func Output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := execCommand(ctx, name, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	return string(out), err
}
