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
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/test/harness"
)

const (
	envFunction     = "PAVED_E2E_FUNCTION"          // function-paved binary
	envProviderCRDs = "PAVED_E2E_PROVIDER_AWS_CRDS" // provider-aws's package/crds
	envArgoCDCRDs   = "PAVED_E2E_ARGOCD_CRDS"       // Argo CD's manifests/crds

	// FunctionName is the functionRef.name of paved's compositions.
	FunctionName = "function-paved"
)

var (
	cp       *harness.ControlPlane
	repoRoot string
)

// TestMain runs the tests on a control plane of their own (harness.Main)
// with function-paved started as the Function FunctionName.
func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.MainOptions{
		Name:    "e2e",
		Output:  "e2e",
		Outside: outside,
		Prepare: func(_ *harness.Run, o *harness.Options) (func(), error) {
			// Operations are alpha: the day-two checks' need the flag
			// (TestDatabaseOperation).
			o.CoreArgs = append(o.CoreArgs, "--enable-operations")
			return stopGoldenPath, nil
		},
		Started: func(ctx context.Context, r *harness.Run) error {
			cp, repoRoot = r.ControlPlane, r.Root
			caps, err := functionCapabilities(r.Root)
			if err != nil {
				return err
			}
			cp.FunctionCapabilities = caps
			if _, err := cp.StartFunction(ctx, FunctionName, os.Getenv(envFunction), "--debug"); err != nil {
				return fmt.Errorf("starting %s: %w", FunctionName, err)
			}
			return nil
		},
	}))
}

// functionCapabilities are those function-paved's package metadata
// declares (package/crossplane.yaml spec.capabilities), which Crossplane's
// package manager writes into its FunctionRevision's status.
func functionCapabilities(root string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, "package", "crossplane.yaml"))
	if err != nil {
		return nil, err
	}
	var meta struct {
		Spec struct {
			Capabilities []string `json:"capabilities"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("package/crossplane.yaml: %w", err)
	}
	return meta.Spec.Capabilities, nil
}

// outside resolves what the tests need besides the control plane:
// function-paved (make function) and the CRDs of provider-aws and Argo CD.
func outside(ctx context.Context, root string) ([]string, error) {
	fn := os.Getenv(envFunction)
	if fn == "" {
		fn = filepath.Join(root, "bin", "function")
	}
	if _, err := os.Stat(fn); err != nil {
		return nil, fmt.Errorf("function-paved binary: %w (run `make function`, or set %s)", err, envFunction)
	}
	env := []string{envFunction + "=" + fn}
	for _, t := range []struct{ env, tool string }{{envProviderCRDs, "provider-aws-crds"}, {envArgoCDCRDs, "argocd-crds"}} {
		v, err := harness.ToolEnv(ctx, root, t.env, t.tool)
		if err != nil {
			return nil, err
		}
		env = append(env, v)
	}
	gp, err := goldenPathEnv(ctx, root)
	if err != nil {
		return nil, err
	}
	return append(env, gp...), nil
}
