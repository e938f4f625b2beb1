package harness

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// envIsolated marks the re-executed test binary that runs inside the private
// namespaces.
const envIsolated = "PAVED_E2E_ISOLATED"

// Isolated reports whether this process is the copy of the test binary that
// runs inside the private network and PID namespaces.
func Isolated() bool { return os.Getenv(envIsolated) == "1" }

// RunIsolated re-executes the running test binary with the same arguments in
// a new network namespace (only a loopback interface, reachable from nowhere
// else) and a new PID namespace (the test binary is its init: when it ends,
// for whatever reason, the kernel kills every process the harness started).
// env is added to the child's environment. It returns the child's exit code.
//
// Crossplane core binds its metrics and health ports on all interfaces with
// no host flag; inside the namespace "all interfaces" is loopback only.
func RunIsolated(env []string) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	cmd.Env = append(append(os.Environ(), env...), envIsolated+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWPID,
		Pdeathsig:  syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: cannot start the test in private network and PID namespaces (needs root or CAP_SYS_ADMIN): %v\n", err)
		return 2
	}
	// Pass interrupts on so the child cleans up; as the namespace's init it
	// only receives signals it handles, and it handles these.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	signal.Stop(sigs)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "e2e: isolated test binary:", err)
		return 2
	}
}

// LoopbackUp brings up the loopback interface of a fresh network namespace
// and checks that it is the only interface there.
func LoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			return fmt.Errorf("network namespace is not private: interface %q present", i.Name)
		}
	}
	return nil
}
