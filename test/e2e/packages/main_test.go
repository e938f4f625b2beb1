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
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/test/e2e/harness"
)

const (
	envRepoRoot     = "PAVED_E2E_REPO_ROOT"
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

func TestMain(m *testing.M) {
	if !harness.Isolated() {
		os.Exit(outside())
	}
	os.Exit(inside(m))
}

func outside() int {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e packages:", err)
		return 2
	}
	ctx := context.Background()
	env, err := harness.ResolveBinaries(ctx, root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e packages:", err)
		return 2
	}
	for _, t := range []struct{ env, tool string }{{envCLI, "crossplane-cli"}, {envProviderCRDs, "provider-aws-crds"}} {
		v := os.Getenv(t.env)
		if v == "" {
			out, err := execOutput(ctx, filepath.Join(root, "hack", "tools.sh"), t.tool)
			if err != nil {
				fmt.Fprintf(os.Stderr, "e2e packages: hack/tools.sh %s: %v\n", t.tool, err)
				return 2
			}
			v = out
		}
		env = append(env, t.env+"="+v)
	}
	xpkgs := os.Getenv(envXpkgDir)
	if xpkgs == "" {
		xpkgs = filepath.Join(root, "_output", "xpkg")
	}
	if _, err := os.Stat(filepath.Join(xpkgs, "paved.xpkg")); err != nil {
		fmt.Fprintf(os.Stderr, "e2e packages: %v (run make xpkg)\n", err)
		return 2
	}
	version := os.Getenv(envVersion)
	if version == "" {
		version = "v0.1.0"
	}
	env = append(env, envRepoRoot+"="+root, envXpkgDir+"="+xpkgs, envVersion+"="+version)
	return harness.RunIsolated(env)
}

func inside(m *testing.M) int {
	repoRoot = os.Getenv(envRepoRoot)
	logf := func(format string, args ...any) { fmt.Printf("e2e packages: "+format+"\n", args...) }
	if err := harness.LoopbackUp(); err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	bins, err := harness.BinariesFromEnv()
	if err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	out := filepath.Join(repoRoot, "_output", "e2e-packages")
	if err := os.RemoveAll(out); err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	work := filepath.Join(out, "work")
	reg, err = harness.StartRegistry(filepath.Join(work, "registry"))
	if err != nil {
		logf("FAIL: registry: %v", err)
		return 2
	}
	defer reg.Close()
	logf("registry on https://%s", reg.Host)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cp, err = harness.Start(ctx, harness.Options{
		Binaries: bins,
		LogDir:   filepath.Join(out, "logs"),
		WorkDir:  work,
		Logf:     logf,
		// Core trusts the registry's CA for package fetches
		// (crossplane v2.4.0 cmd/crossplane/core/core.go, CA_BUNDLE_PATH).
		CoreEnv: []string{"CA_BUNDLE_PATH=" + reg.CAFile},
	})
	if err != nil {
		logf("FAIL: starting the control plane: %v (logs in %s)", err, filepath.Join(out, "logs"))
		return 1
	}
	code := m.Run()
	if err := cp.Check(); err != nil {
		logf("FAIL: a control plane process died during the tests: %v", err)
		code = 1
	}
	cp.Stop()
	return code
}

func execOutput(ctx context.Context, name string, args ...string) (string, error) {
	out, err := harness.Output(ctx, name, args...)
	return strings.TrimSpace(out), err
}
