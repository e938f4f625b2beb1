package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestPavedCommand: make xpkg ships the paved command (cmd/paved) next to
// the packages, for this machine's platform, built as the runtimes'
// binaries are (static, trimmed paths, no symbol table or DWARF, the
// version stamped), and it runs: --help lists its commands, --version
// says the packages' version. The Makefile's bin/paved is built the same
// way.
func TestPavedCommand(t *testing.T) {
	dir := xpkgDir(t)
	version := os.Getenv("PAVED_XPKG_VERSION")
	if version == "" {
		t.Fatal("PAVED_XPKG_VERSION is not set: run make xpkg-test")
	}
	bin := filepath.Join(dir, "paved-"+runtime.GOOS+"-"+runtime.GOARCH)
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("make xpkg did not ship an executable %s: %v", bin, err)
	}

	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, "--help") //nolint:gosec // test
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("paved --help: %v; stderr: %s", err, stderr.String())
	}
	for _, want := range []string{"environment discover", "doctor"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("paved --help does not list %q:\n%s", want, out.String())
		}
	}
	got, err := exec.Command(bin, "--version").Output() //nolint:gosec // test
	if err != nil || strings.TrimSpace(string(got)) != version {
		t.Errorf("paved --version: %q, %v; want %s", got, err, version)
	}

	// The build's own record (runtime/debug.BuildInfo, which go build
	// embeds) of how it was built.
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != "github.com/paved-dev/paved/cmd/paved" {
		t.Errorf("%s is %s, want the paved command", bin, info.Path)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for k, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "-buildmode": "exe"} {
		if settings[k] != want {
			t.Errorf("built with %s=%q, want %q", k, settings[k], want)
		}
	}
	// With -trimpath, go build leaves -ldflags out of the record; the
	// version (-X) shows in --version above, -s in the symbol table below.
	if _, vcs := settings["vcs.revision"]; vcs {
		t.Errorf("built with VCS stamping (vcs.revision %s): -buildvcs=false keeps the build reproducible from a dirty tree too", settings["vcs.revision"])
	}
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close() //nolint:errcheck // test
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked (it has an interpreter)", bin)
			}
		}
		if _, err := f.Symbols(); !errors.Is(err, elf.ErrNoSymbols) {
			t.Errorf("%s has a symbol table (not built with -s)", bin)
		}
		if f.Section(".debug_info") != nil {
			t.Errorf("%s has DWARF (not built with -w)", bin)
		}
	}

	makefile, err := os.ReadFile(filepath.Join(repo, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	built := false
	for l := range strings.SplitSeq(string(makefile), "\n") {
		built = built || strings.Contains(l, "-o bin/paved ./cmd/paved") && strings.Contains(l, "CGO_ENABLED=0") &&
			strings.Contains(l, "-trimpath -buildvcs=false") && strings.Contains(l, `-ldflags "-s -w`)
	}
	if !built {
		t.Errorf("the Makefile does not build bin/paved as it ships (CGO_ENABLED=0, -trimpath -buildvcs=false, -s -w)")
	}
}
