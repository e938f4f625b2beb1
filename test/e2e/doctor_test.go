//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDoctor runs bin/paved doctor (make paved) against the control plane
// with its admin kubeconfig. Crossplane core runs here as a process, not
// as the Helm chart's Deployment, and function-paved without a package, so
// doctor must see core's version through the APIs it serves, the Usage
// webhook core installs (the harness applies core's own
// cluster/webhookconfigurations), that core's flags are not visible, and
// that no function-paved package is installed: what it prints for those
// is checked line by line, and the missing package makes it exit 1.
func TestDoctor(t *testing.T) {
	requireInstalled(t)
	bin := filepath.Join(repoRoot, "bin", "paved")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("bin/paved: %v (run `make paved`)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := get(ctx, "apiextensions.crossplane.io/v1beta1", "EnvironmentConfig", "", "paved-environment"); err == nil {
		t.Fatal("EnvironmentConfig paved-environment exists: another test left it")
	}

	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "doctor", "--kubeconfig", cp.Kubeconfig)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exit, ok := errors.AsType[*exec.ExitError](err); !ok || exit.ExitCode() != 1 {
		t.Errorf("paved doctor: %v, want exit code 1; stderr: %s", err, stderr.String())
	}
	t.Logf("paved doctor:\n%s", stdout.String())
	lines := map[string]bool{}
	for l := range strings.SplitSeq(stdout.String(), "\n") {
		lines[l] = true
	}
	for _, want := range []string{
		"ok crossplane version — Crossplane v2 (serves protection.crossplane.io/v1beta1 ClusterUsage, which v2.0 introduced), paved needs >=v2.0.0; the exact version is not visible without a core image tag",
		"ok crossplane usage webhook — ValidatingWebhookConfiguration crossplane-no-usages sends deletions of objects in use to core (nousages.protection.crossplane.io), so Usages protect what paved's resources use",
		"warn crossplane realtime compositions — cannot be seen from the API (no Deployment of core with `core start` args to read flags from): check that core runs without --enable-realtime-compositions=false",
		"fail package function-paved — no Function of package function-paved: install the Configuration paved, which depends on it (README, Install)",
		`fail environment paved-environment — no EnvironmentConfig "paved-environment": claims compose with the Compositions' input alone, which names no VPC or subnets; write it with ` + "`paved environment discover`" + ` and apply it (docs/environment.md)`,
	} {
		if !lines[want] {
			t.Errorf("paved doctor did not print %q", want)
		}
	}
}
