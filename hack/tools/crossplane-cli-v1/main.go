// Command crossplane-cli-v1 is the crossplane CLI v1.20.1's `crossplane
// render`, and only it: upstream's cmd/crank/render package, wired into a
// kong CLI as upstream's cmd/crank/main.go wires it (same command name,
// flags, --verbose logger), without the xpkg, beta, version and completion
// commands that `make render-compat` never runs. Those commands carry a
// third of the CLI's dependencies (1,176 packages against 768 for render;
// 5,879 Go files against 4,138), and this build is the one tool a cold
// .ci/run compiles for a single step (docs/performance.md).
package main

import (
	"os"

	"github.com/alecthomas/kong"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane/crossplane-runtime/pkg/logging"

	"github.com/crossplane/crossplane/cmd/crank/render"
)

type verboseFlag bool

// BeforeApply is upstream's (cmd/crank/main.go v1.20.1): --verbose logs
// with a development zap logger.
func (v verboseFlag) BeforeApply(ctx *kong.Context) error { //nolint:unparam // kong's signature.
	ctx.BindTo(logging.NewLogrLogger(zap.New(zap.UseDevMode(true))), (*logging.Logger)(nil))
	return nil
}

type cli struct {
	Render  render.Cmd  `cmd:"" help:"Render a composite resource (XR)."`
	Verbose verboseFlag `help:"Print verbose logging statements." name:"verbose"`
}

func main() {
	parser := kong.Must(&cli{},
		kong.Name("crossplane"),
		kong.Description("The crossplane CLI v1.20.1's render command."),
		kong.BindTo(logging.NewNopLogger(), (*logging.Logger)(nil)),
		kong.UsageOnError())
	ctx, err := parser.Parse(os.Args[1:])
	parser.FatalIfErrorf(err)
	ctx.FatalIfErrorf(ctx.Run())
}
