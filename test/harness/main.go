package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// EnvRepoRoot carries the repository root into the isolated test binary; set
// outside, it names the root instead of the search from the working
// directory.
const EnvRepoRoot = "PAVED_E2E_REPO_ROOT"

// EnvCoreArgs holds extra flags for Crossplane core's `core start`,
// separated by spaces, e.g. PAVED_E2E_CORE_ARGS=--circuit-breaker-burst=1000
// to see a run without core's XR circuit breaker in the way.
const EnvCoreArgs = "PAVED_E2E_CORE_ARGS"

// startTimeout bounds starting the control plane and MainOptions.Started.
const startTimeout = 5 * time.Minute

// MainOptions say what one end-to-end test binary adds to the control plane
// that Main runs for it.
type MainOptions struct {
	// Name prefixes every line Main prints, e.g. "e2e".
	Name string
	// Output names the folder below the repository's _output that the run
	// owns: Main empties it, then the processes log to its logs/ and work in
	// its work/.
	Output string
	// Outside runs in the caller's namespaces (where the module proxy and
	// npm are reachable) before the test binary is re-run isolated. It
	// resolves, and may build, what the tests need besides the control
	// plane, and returns the environment that carries it inside.
	Outside func(ctx context.Context, root string) ([]string, error)
	// Prepare runs inside the private namespaces once the output folder is
	// empty, before the control plane starts; it may add to the control
	// plane's Options. The function it returns, if not nil, runs after the
	// control plane stopped.
	Prepare func(r *Run, o *Options) (func(), error)
	// Started runs once the control plane is ready, before the tests. It
	// typically keeps r.ControlPlane for the tests; an error fails the run
	// without running them.
	Started func(ctx context.Context, r *Run) error
}

// Run is what Main hands MainOptions' hooks inside the private namespaces.
type Run struct {
	Root    string // the repository root
	Out     string // _output/<MainOptions.Output> below Root
	LogDir  string // Out/logs: one log file per process, left in place
	WorkDir string // Out/work: removed by ControlPlane.Stop
	// ControlPlane is set once the control plane is ready.
	ControlPlane *ControlPlane
	Logf         func(format string, args ...any)
}

// Main is the TestMain of an end-to-end test binary; pass its result to
// os.Exit. Run by `go test`, it resolves the control plane's binaries (and
// whatever opts.Outside adds), then re-runs the test binary in private
// network and PID namespaces (RunIsolated). There it brings loopback up,
// empties _output/<opts.Output>, starts the control plane, runs the tests
// and stops everything, printing where the logs are.
//
// Exit codes: 2 when the run could not be set up (a binary or input
// missing, no namespaces), 1 when the control plane did not start or a
// process of it died during the tests, else m.Run's.
func Main(m *testing.M, opts MainOptions) int {
	if !Isolated() {
		return outside(opts)
	}
	return inside(m, opts)
}

// outside runs in the caller's namespaces.
func outside(opts MainOptions) int {
	env, err := isolatedEnv(context.Background(), opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", opts.Name, err)
		return 2
	}
	return RunIsolated(env)
}

// isolatedEnv returns the environment the isolated test binary needs: the
// repository root, the control plane's binaries and what opts.Outside adds.
func isolatedEnv(ctx context.Context, opts MainOptions) ([]string, error) {
	root, err := FindRepoRoot()
	if err != nil {
		return nil, err
	}
	env, err := ResolveBinaries(ctx, root)
	if err != nil {
		return nil, err
	}
	if opts.Outside != nil {
		more, err := opts.Outside(ctx, root)
		if err != nil {
			return nil, err
		}
		env = append(env, more...)
	}
	return append(env, EnvRepoRoot+"="+root), nil
}

// inside runs as init of the private namespaces.
func inside(m *testing.M, opts MainOptions) int {
	root := os.Getenv(EnvRepoRoot)
	logf := func(format string, args ...any) {
		fmt.Printf(opts.Name+": "+format+"\n", args...)
	}
	if err := LoopbackUp(); err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	bins, err := BinariesFromEnv()
	if err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	r := &Run{Root: root, Out: filepath.Join(root, "_output", opts.Output), Logf: logf}
	r.LogDir, r.WorkDir = filepath.Join(r.Out, "logs"), filepath.Join(r.Out, "work")
	if err := os.RemoveAll(r.Out); err != nil {
		logf("FAIL: %v", err)
		return 2
	}
	o := Options{Binaries: bins, LogDir: r.LogDir, WorkDir: r.WorkDir, Logf: logf, CoreArgs: strings.Fields(os.Getenv(EnvCoreArgs))}
	if opts.Prepare != nil {
		cleanup, err := opts.Prepare(r, &o)
		if err != nil {
			logf("FAIL: %v", err)
			return 2
		}
		if cleanup != nil {
			defer cleanup()
		}
	}
	defer logf("logs of every process: %s", r.LogDir)

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cp, err := Start(ctx, o)
	if err != nil {
		logf("FAIL: starting the control plane: %v", err)
		return 1
	}
	r.ControlPlane = cp
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
	if err := started(ctx, opts, r); err != nil {
		logf("FAIL: %v", err)
	} else {
		code = m.Run()
	}
	if err := cp.Check(); err != nil {
		logf("FAIL: a control plane process died during the tests: %v", err)
		code = 1
	}
	cp.Stop()
	return code
}

func started(ctx context.Context, opts MainOptions, r *Run) error {
	if opts.Started == nil {
		return nil
	}
	return opts.Started(ctx, r)
}

// FindRepoRoot returns the repository root: EnvRepoRoot if set, else the
// nearest folder at or above the working directory that holds go.mod and
// hack/tools.sh.
func FindRepoRoot() (string, error) {
	if r := os.Getenv(EnvRepoRoot); r != "" {
		return r, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isRepoRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no paved repository root (go.mod and hack/tools.sh) at or above the working directory")
		}
		dir = parent
	}
}

func isRepoRoot(dir string) bool {
	for _, f := range []string{"go.mod", filepath.Join("hack", "tools.sh")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}
