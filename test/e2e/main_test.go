//go:build e2e

// Package e2e proves paved against the real Crossplane machinery: etcd,
// kube-apiserver, kube-controller-manager and Crossplane core v2.4.0 run as
// local processes in private network and PID namespaces (see package
// harness), function-paved runs as a local process that core calls over
// mTLS, and the tests play provider-aws.
//
// Run with `make e2e` (builds and caches the binaries, then
// `go test -tags e2e ./test/e2e/`). Logs of every process are left in
// _output/e2e/.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/paved-dev/paved/test/e2e/harness"
)

const (
	envFunction     = "PAVED_E2E_FUNCTION"          // function-paved binary
	envProviderCRDs = "PAVED_E2E_PROVIDER_AWS_CRDS" // provider-aws's package/crds
	envArgoCDCRDs   = "PAVED_E2E_ARGOCD_CRDS"       // Argo CD's manifests/crds
	envRepoRoot     = "PAVED_E2E_REPO_ROOT"

	// FunctionName is the functionRef.name of paved's compositions.
	FunctionName = "function-paved"
)

var (
	cp       *harness.ControlPlane
	repoRoot string
)

func TestMain(m *testing.M) {
	if !harness.Isolated() {
		os.Exit(outside())
	}
	os.Exit(inside(m))
}

// outside runs in the caller's namespaces: it resolves (and if need be
// builds) everything the control plane runs, then re-runs the test binary
// isolated.
func outside() int {
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	ctx := context.Background()
	env, err := harness.ResolveBinaries(ctx, root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	fn := os.Getenv(envFunction)
	if fn == "" {
		fn = filepath.Join(root, "bin", "function")
	}
	if _, err := os.Stat(fn); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: function-paved binary: %v (run `make function`, or set %s)\n", err, envFunction)
		return 2
	}
	crds := os.Getenv(envProviderCRDs)
	if crds == "" {
		out, err := execOutput(ctx, filepath.Join(root, "hack", "tools.sh"), "provider-aws-crds")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: hack/tools.sh provider-aws-crds:", err)
			return 2
		}
		crds = out
	}
	argo := os.Getenv(envArgoCDCRDs)
	if argo == "" {
		out, err := execOutput(ctx, filepath.Join(root, "hack", "tools.sh"), "argocd-crds")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: hack/tools.sh argocd-crds:", err)
			return 2
		}
		argo = out
	}
	env = append(env, envFunction+"="+fn, envProviderCRDs+"="+crds, envArgoCDCRDs+"="+argo, envRepoRoot+"="+root)
	return harness.RunIsolated(env)
}

// inside runs as init of the private namespaces: it starts the control
// plane and function-paved, runs the tests and stops everything.
func inside(m *testing.M) int {
	repoRoot = os.Getenv(envRepoRoot)
	logf := func(format string, args ...any) {
		fmt.Printf("e2e: "+format+"\n", args...)
	}
	if err := harness.LoopbackUp(); err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	bins, err := harness.BinariesFromEnv()
	if err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	out := filepath.Join(repoRoot, "_output", "e2e")
	logDir := filepath.Join(out, "logs")
	if err := os.RemoveAll(out); err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cp, err = harness.Start(ctx, harness.Options{
		Binaries: bins,
		LogDir:   logDir,
		WorkDir:  filepath.Join(out, "work"),
		Logf:     logf,
	})
	if err != nil {
		logf("FAIL: starting the control plane: %v", err)
		logf("logs of every process: %s", logDir)
		return 1
	}
	// As the namespaces' init this process ends them all when it exits;
	// stop gracefully on an interrupt too.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		logf("%v: stopping the control plane", s)
		cp.Stop()
		os.Exit(130)
	}()

	code := 1
	if _, err := cp.StartFunction(ctx, FunctionName, os.Getenv(envFunction), "--debug"); err != nil {
		logf("FAIL: starting %s: %v", FunctionName, err)
	} else {
		code = m.Run()
	}
	if err := cp.Check(); err != nil {
		logf("FAIL: a control plane process died during the tests: %v", err)
		code = 1
	}
	cp.Stop()
	logf("logs of every process: %s", logDir)
	return code
}

func findRepoRoot() (string, error) {
	if r := os.Getenv(envRepoRoot); r != "" {
		return r, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "hack", "tools.sh")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no paved repository root above the working directory")
		}
		dir = parent
	}
}
