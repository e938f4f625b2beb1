//go:build e2e

// Package packages installs paved's packages (make xpkg) the way a platform
// team does: pushed with `crossplane xpkg push` to an OCI registry, then
// Function, Provider and Configuration objects that Crossplane core v2.4.0
// resolves, fetches over TLS and unpacks on its own control plane (package
// harness, private namespaces). Run with `make e2e-packages`.
package packages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/paved-dev/paved/test/harness"
)

const (
	envCLI          = "PAVED_E2E_CROSSPLANE_CLI"
	envProviderCRDs = "PAVED_E2E_PROVIDER_AWS_CRDS"
	envXpkgDir      = "PAVED_XPKG_DIR"
	envVersion      = "PAVED_XPKG_VERSION"
)

var (
	cp       *harness.ControlPlane
	reg      *harness.Registry
	repoRoot string
)

// TestMain runs the tests on a control plane of their own (harness.Main)
// that trusts an OCI registry started before it.
func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.MainOptions{
		Name:    "e2e packages",
		Output:  "e2e-packages",
		Outside: outside,
		Prepare: startRegistry,
		Started: func(_ context.Context, r *harness.Run) error {
			cp, repoRoot = r.ControlPlane, r.Root
			return nil
		},
	}))
}

// outside resolves what the tests need besides the control plane: the
// crossplane CLI, provider-aws's CRDs and the packages of make xpkg.
func outside(ctx context.Context, root string) ([]string, error) {
	var env []string
	for _, t := range []struct{ env, tool string }{{envCLI, "crossplane-cli"}, {envProviderCRDs, "provider-aws-crds"}} {
		v, err := harness.ToolEnv(ctx, root, t.env, t.tool)
		if err != nil {
			return nil, err
		}
		env = append(env, v)
	}
	xpkgs := os.Getenv(envXpkgDir)
	if xpkgs == "" {
		xpkgs = filepath.Join(root, "_output", "xpkg")
	}
	if _, err := os.Stat(filepath.Join(xpkgs, "paved.xpkg")); err != nil {
		return nil, fmt.Errorf("%w (run make xpkg)", err)
	}
	version := os.Getenv(envVersion)
	if version == "" {
		version = "v0.1.0"
	}
	return append(env, envXpkgDir+"="+xpkgs, envVersion+"="+version), nil
}

// startRegistry starts the OCI registry the tests push to, and makes core
// trust its CA for package fetches (crossplane v2.4.0
// cmd/crossplane/core/core.go, CA_BUNDLE_PATH).
func startRegistry(r *harness.Run, o *harness.Options) (func(), error) {
	var err error
	reg, err = harness.StartRegistry(filepath.Join(r.WorkDir, "registry"))
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	r.Logf("registry on https://%s", reg.Host)
	o.CoreEnv = append(o.CoreEnv, "CA_BUNDLE_PATH="+reg.CAFile)
	return reg.Close, nil
}
