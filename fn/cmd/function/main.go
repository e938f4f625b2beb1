// Command function serves function-paved over gRPC.
package main

import (
	"os"
	"runtime/debug"

	"github.com/alecthomas/kong"
	function "github.com/crossplane/function-sdk-go"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/paved-dev/paved/fn"
	"github.com/paved-dev/paved/fn/internal/wire"
	"github.com/paved-dev/paved/internal/version"
)

// CLI of function-paved.
type CLI struct {
	Debug   bool             `help:"Emit debug logs in addition to info logs." short:"d"`
	Version kong.VersionFlag `help:"Print the version and exit."`

	Network            string `default:"tcp"   help:"Network on which to listen for gRPC connections."`
	Address            string `default:":9443" help:"Address at which to listen for gRPC connections."`
	TLSServerCertsDir  string `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)."`
	Insecure           bool   `help:"Run without mTLS credentials. For development only: Crossplane always dials functions with mTLS."`
	MetricsAddress     string `default:":8080" help:"Address at which to serve Prometheus metrics (empty to disable)."`
	MaxRecvMessageSize int    `default:"4"     help:"Maximum size of a received message in MB."`
}

// Run serves the function until it fails.
func (c *CLI) Run() error {
	log, err := function.NewLogger(c.Debug)
	if err != nil {
		return err
	}
	hs := health.NewServer()
	hs.SetServingStatus("", healthgrpc.HealthCheckResponse_SERVING)
	return function.Serve(fn.New(log),
		function.Listen(c.Network, c.Address),
		function.MTLSCertificates(c.TLSServerCertsDir),
		function.Insecure(c.Insecure),
		function.MaxRecvMessageSize(c.MaxRecvMessageSize*1024*1024),
		function.WithHealthServer(hs),
		function.WithMetricsServer(c.MetricsAddress),
	)
}

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT
// does not set one (https://pkg.go.dev/runtime/debug#SetMemoryLimit). It is
// above the live heap of a function serving many composites, so the
// steady state costs the collector nothing more, and bounds what a burst
// of large requests may leave resident (TestRSSAfterMixedRequests measures
// both; docs/performance.md has the figures). A soft limit never refuses
// an allocation: a larger request makes the collector work harder, it
// does not fail.
const defaultMemoryLimit = 20 << 20

// init makes paved's reader of RunFunctionRequests and writer of
// RunFunctionResponses (package wire) the codec of every call:
// function.Serve takes no codec, so it is registered under grpc-go's
// "proto" name, which a call naming no other uses, and at init, as
// grpc-go's encoding.RegisterCodecV2 asks. It reads and writes any other
// message as grpc-go's own codec.
func init() { encoding.RegisterCodecV2(wire.NewCodec()) }

func main() {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx := kong.Parse(&CLI{}, kong.Description("function-paved, a Crossplane composition function. "+fn.Description()),
		kong.Vars{"version": version.Version})
	ctx.FatalIfErrorf(ctx.Run())
}
