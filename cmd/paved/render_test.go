package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/cmd/paved/internal/awsstandin"
)

// The binaries TestDiscoveredEnvironmentRenders runs; `make
// discover-render` sets them (it builds bin/paved and bin/function and
// the pinned crossplane CLI and core, hack/tools.sh).
const (
	envPaved          = "PAVED_BIN"
	envFunction       = "PAVED_FUNCTION"
	envCrossplaneCLI  = "PAVED_CROSSPLANE_CLI"
	envCrossplaneCore = "PAVED_CROSSPLANE_CORE"
	envCrossplaneCRDs = "PAVED_CROSSPLANE_CRDS"
)

// TestDiscoveredEnvironmentRenders runs bin/paved environment discover,
// as it ships, against the AWS stand-in (through AWS_ENDPOINT_URL), then
// renders every example of examples/render-cases.txt that renders
// (examples/golden/<name>.yaml) with the discovered EnvironmentConfig as
// the required resource, through the real crossplane CLI, Crossplane
// core's reconciler and bin/function, and validates the EnvironmentConfig
// against Crossplane's own CRD. Every render must succeed, and the fresh
// database and bucket must use what was discovered.
func TestDiscoveredEnvironmentRenders(t *testing.T) {
	bins := map[string]string{}
	for _, e := range []string{envPaved, envFunction, envCrossplaneCLI, envCrossplaneCore, envCrossplaneCRDs} {
		bins[e] = os.Getenv(e)
		if bins[e] == "" {
			t.Skipf("%s is not set: run make discover-render", e)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	// Discover, with the binary and a clean AWS environment.
	s := awsstandin.New(t, region, credentials, join(network, aliases, []awsstandin.Answer{rdsKey})...)
	discovered := filepath.Join(dir, "environmentconfig.yaml")
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	paved := exec.Command(bins[envPaved], "environment", "discover", "--region", region, "--kms-key", "alias/rds", "-o", discovered)
	paved.Env = append(withoutAWS(os.Environ()),
		"AWS_ENDPOINT_URL="+s.URL, "AWS_ACCESS_KEY_ID="+accessKey, "AWS_SECRET_ACCESS_KEY="+secretKey,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true")
	if out, err := paved.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", paved, err, out)
	}
	ec, err := os.ReadFile(discovered)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "three-azs.yaml", string(ec))

	// Crossplane's EnvironmentConfig CRD accepts it.
	ext := filepath.Join(dir, "extensions")
	if err := os.MkdirAll(ext, 0o755); err != nil {
		t.Fatal(err)
	}
	crd, err := os.ReadFile(filepath.Join(bins[envCrossplaneCRDs], "apiextensions.crossplane.io_environmentconfigs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ext, "environmentconfigs.yaml"), crd, 0o644); err != nil {
		t.Fatal(err)
	}
	validate := exec.Command(bins[envCrossplaneCLI], "resource", "validate", ext, discovered, "--crossplane-image=", "--error-on-missing-schemas")
	if out, err := validate.CombinedOutput(); err != nil {
		t.Fatalf("crossplane resource validate: %v\n%s", err, out)
	}

	functions := startFunction(t, root, bins[envFunction], dir)

	// What the fresh database and bucket must hold of the discovered
	// environment.
	arn := "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"
	mustHold := map[string][]string{
		"database": {"subnet-0a1b2c3d4e5f60201", "subnet-0a1b2c3d4e5f60202", "subnet-0a1b2c3d4e5f60203", "vpc-0a1b2c3d4e5f60718", "10.20.0.0/16", "fd00:20::/56", arn, "region: eu-west-1"},
		"bucket":   {arn, "region: eu-west-1"},
	}

	rendered := 0
	for _, c := range renderCases(t, root) {
		if _, err := os.Stat(filepath.Join(root, "examples", "golden", c.name+".yaml")); err != nil {
			continue // An example that is refused whatever the environment.
		}
		t.Run(c.name, func(t *testing.T) {
			args := []string{"composition", "render", c.xr, c.composition, functions,
				"--crossplane-binary=" + bins[envCrossplaneCore], "--xrd=" + filepath.Join(filepath.Dir(c.composition), "definition.yaml"), "--include-full-xr",
				"--required-resources=" + discovered}
			for _, f := range c.flags {
				if f == "--required-resources=examples/environment/environmentconfig.yaml" {
					continue // The discovered one replaces it.
				}
				args = append(args, f)
			}
			render := exec.Command(bins[envCrossplaneCLI], args...)
			render.Dir = root
			var stdout, stderr bytes.Buffer
			render.Stdout, render.Stderr = &stdout, &stderr
			if err := render.Run(); err != nil {
				t.Fatalf("crossplane %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
			}
			for _, want := range mustHold[c.name] {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("the render does not hold %q of the discovered environment", want)
				}
			}
		})
		rendered++
	}
	if rendered == 0 {
		t.Fatal("no example rendered")
	}
	fmt.Printf("figure: discover-render-examples %d\n", rendered)
}

type renderCase struct {
	name, xr, composition string
	flags                 []string
}

// renderCases reads examples/render-cases.txt: NAME XR COMPOSITION [flags].
func renderCases(t *testing.T, root string) []renderCase {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "examples", "render-cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []renderCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) == 0 || strings.HasPrefix(w[0], "#") {
			continue
		}
		if len(w) < 3 {
			t.Fatalf("render-cases.txt: %q: want NAME XR COMPOSITION [flags]", sc.Text())
		}
		out = append(out, renderCase{name: w[0], xr: w[1], composition: w[2], flags: w[3:]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// startFunction runs bin/function --insecure on a free loopback port until
// the test ends and writes functions.yaml pointing the Development runtime
// at it (as hack/lib/render-lib.sh does); it returns that file.
func startFunction(t *testing.T, root, bin, dir string) string {
	t.Helper()
	// A port below the kernel's ephemeral range (ip(7),
	// net.ipv4.ip_local_port_range): one inside it can be taken by an
	// outgoing connection between this check and the function's bind.
	var addr string
	for range 50 {
		a := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		if l, err := net.Listen("tcp", a); err == nil {
			l.Close() // Only probing.
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("no free port on 127.0.0.1")
	}
	ctx, cancel := context.WithCancel(context.Background())
	fn := exec.CommandContext(ctx, bin, "--insecure", "--address", addr, "--metrics-address", "")
	var log bytes.Buffer
	fn.Stdout, fn.Stderr = &log, &log
	if err := fn.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		fn.Wait() // Killed.
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close() // Only probing.
			break
		}
		if i == 100 {
			t.Fatalf("bin/function does not listen on %s:\n%s", addr, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(root, "examples", "functions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if k, _, ok := strings.Cut(l, "runtime-development-target:"); ok {
			l = k + "runtime-development-target: " + addr
		}
		lines = append(lines, l)
	}
	path := filepath.Join(dir, "functions.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// withoutAWS drops the AWS_ variables of env: the binary sees only the
// test's.
func withoutAWS(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "AWS_") {
			out = append(out, e)
		}
	}
	return out
}
