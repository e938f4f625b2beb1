package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Proc is a process the harness started. Its output goes to LogPath. Only
// the harness stops it, and only through Stop, which signals the process
// group the harness created for it and nothing else.
type Proc struct {
	Name    string
	LogPath string

	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error // set before done is closed

	stopOnce sync.Once
}

// start runs bin with args, logging to logDir/name.log. The process gets its
// own process group so that Stop reaches its children too, and is killed by
// the kernel if the harness dies first.
func start(logDir, name string, env []string, bin string, args ...string) (*Proc, error) {
	return startIn("", logDir, name, env, bin, args...)
}

// startIn is start with the working directory dir ("" for the harness's).
func startIn(dir, logDir, name string, env []string, bin string, args ...string) (*Proc, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f, "### %s %s %q\n", time.Now().UTC().Format(time.RFC3339Nano), bin, args)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, LogPath: logPath, cmd: cmd, log: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		if p.err == nil {
			return true, errors.New("exited with status 0")
		}
		return true, p.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM to the process group, and SIGKILL if it is still there
// after grace.
func (p *Proc) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		// Children that outlived the leader.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
}

// Tail returns the last n bytes of the process's log.
func (p *Proc) Tail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// run runs a short-lived command to completion, logging to logDir/name.log.
func run(ctx context.Context, logDir, name string, env []string, bin string, args ...string) error {
	p, err := start(logDir, name, env, bin, args...)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w\n%s", name, p.err, p.Tail(2000))
		}
		return nil
	case <-ctx.Done():
		p.Stop(2 * time.Second)
		return fmt.Errorf("%s: %w\n%s", name, ctx.Err(), p.Tail(2000))
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// waitFor polls check every interval until it returns nil, the process dies
// or ctx ends. It returns how long it took.
func waitFor(ctx context.Context, p *Proc, what string, check func(context.Context) error) (time.Duration, error) {
	begin := time.Now()
	var last error
	for {
		if last = check(ctx); last == nil {
			return time.Since(begin), nil
		}
		if p != nil {
			if exited, err := p.Exited(); exited {
				return 0, fmt.Errorf("%s: %s %v before it was ready; last lines of %s:\n%s", what, p.Name, err, p.LogPath, p.Tail(4000))
			}
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("%s: %v (last check: %v)", what, ctx.Err(), last)
			if p != nil {
				msg += fmt.Sprintf("; last lines of %s:\n%s", p.LogPath, p.Tail(4000))
			}
			return 0, errors.New(msg)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
