// Command align-modules keeps one version of every module shared by the Go
// modules a cold .ci/run compiles: paved's own and the pinned tools' in
// hack/tools (Crossplane core and CLI, kube-apiserver and
// kube-controller-manager, etcd, controller-gen).
//
// Why: Go's build cache shares a compiled package between two main modules
// only when the package and everything it imports are the same versions
// (its action ID hashes its dependencies' compiled outputs). One module
// pinned a patch apart (protobuf v1.36.11 against v1.36.12, grpc v1.72
// against v1.82) made every package above it compile once per tool: of the
// 24,005 non-standard Go files the five builds compile, 8,167 were second
// copies (docs/performance.md, 2026-12-05). Aligned, each compiles once.
//
// Each module can only raise what it requires (minimal version selection),
// so the one version is the highest any of them selects. Usage:
//
//	go run ./hack/align-modules        # list what differs; exit 1 if anything does
//	go run ./hack/align-modules -fix   # raise, go mod tidy, until nothing differs
//
// hack/tools.sh names each tool's cached binary after its module's go.mod
// and go.sum, so raised pins rebuild the tools once on every machine.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/semver"
)

// module is a Go module of the repository and the packages of it that a
// cold .ci/run builds (hack/tools.sh builds the tools' packages).
type module struct {
	dir  string
	pkgs []string
	// test: the packages' tests too (paved's own).
	test bool
}

var modules = []module{
	{dir: ".", pkgs: []string{"./..."}, test: true},
	{dir: "hack/tools/crossplane", pkgs: []string{"github.com/crossplane/cli/v2/cmd/crossplane", "github.com/crossplane/crossplane/v2/cmd/crossplane"}},
	{dir: "hack/tools/kubernetes", pkgs: []string{"k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kube-controller-manager"}},
	{dir: "hack/tools/etcd", pkgs: []string{"go.etcd.io/etcd/server/v3"}},
	{dir: "hack/tools/controller-gen", pkgs: []string{"sigs.k8s.io/controller-tools/cmd/controller-gen"}},
}

// selected is a module's version in one build, and whether a replace
// directive chose it (then only the replace can move it).
type selected struct {
	version  string
	replaced bool
}

// divergence is a module that a build selects below the highest version.
type divergence struct {
	dir, path, from, to string
	replaced            bool
}

func main() {
	fix := flag.Bool("fix", false, "raise every divergent module and tidy, until none is left")
	flag.Parse()
	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	for round := 1; ; round++ {
		ds, err := divergences(root)
		if err != nil {
			fail(err)
		}
		for _, d := range ds {
			note := ""
			if d.replaced {
				note = " (a replace directive pins it: edit it by hand)"
			}
			fmt.Printf("%s: %s %s, elsewhere %s%s\n", d.dir, d.path, d.from, d.to, note)
		}
		if len(ds) == 0 {
			fmt.Printf("align-modules: %d modules, every shared module at one version\n", len(modules))
			return
		}
		if !*fix {
			fmt.Printf("align-modules: %d divergent requirements; go run ./hack/align-modules -fix\n", len(ds))
			os.Exit(1)
		}
		if round > 5 {
			fail(fmt.Errorf("still %d divergent requirements after %d rounds", len(ds), round-1))
		}
		if err := raise(root, ds); err != nil {
			fail(err)
		}
	}
}

// divergences lists, for every module that two or more builds select, each
// build that selects it below the highest of them.
func divergences(root string) ([]divergence, error) {
	versions := map[string]map[string]selected{} // module path -> dir -> selected
	for _, m := range modules {
		sel, err := list(filepath.Join(root, m.dir), m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.dir, err)
		}
		for p, s := range sel {
			if versions[p] == nil {
				versions[p] = map[string]selected{}
			}
			versions[p][m.dir] = s
		}
	}
	var ds []divergence
	for p, byDir := range versions {
		if len(byDir) < 2 {
			continue
		}
		highest := ""
		for _, s := range byDir {
			if highest == "" || semver.Compare(s.version, highest) > 0 {
				highest = s.version
			}
		}
		for dir, s := range byDir {
			if s.version != highest {
				ds = append(ds, divergence{dir: dir, path: p, from: s.version, to: highest, replaced: s.replaced})
			}
		}
	}
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].dir != ds[j].dir {
			return ds[i].dir < ds[j].dir
		}
		return ds[i].path < ds[j].path
	})
	return ds, nil
}

// list returns the version of each module that provides a package to m's
// build, as the Makefile and hack/tools.sh build it (static, -trimpath).
func list(dir string, m module) (map[string]selected, error) {
	args := []string{"list", "-deps", "-f", "{{with .Module}}{{.Path}} {{.Version}}{{with .Replace}} {{.Version}}{{end}}{{end}}"}
	if m.test {
		args = append(args, "-test")
	}
	cmd := exec.Command("go", append(args, m.pkgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-trimpath")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	sel := map[string]selected{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[1] != "":
			sel[f[0]] = selected{version: f[1]}
		case len(f) == 3:
			// A replacement by version (k8s.io/kubernetes's staging
			// modules); one by directory has no version and is skipped.
			sel[f[0]] = selected{version: f[2], replaced: true}
		}
	}
	return sel, sc.Err()
}

// raise requires each divergent module at the highest version in its
// build's go.mod, then tidies every module that changed.
func raise(root string, ds []divergence) error {
	changed := map[string]bool{}
	for _, d := range ds {
		if d.replaced {
			return fmt.Errorf("%s: %s is replaced at %s, below %s: edit the replace directive", d.dir, d.path, d.from, d.to)
		}
		if err := gocmd(filepath.Join(root, d.dir), "mod", "edit", "-require="+d.path+"@"+d.to); err != nil {
			return err
		}
		changed[d.dir] = true
	}
	for _, m := range modules {
		if changed[m.dir] {
			if err := gocmd(filepath.Join(root, m.dir), "mod", "tidy"); err != nil {
				return err
			}
		}
	}
	return nil
}

func gocmd(dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: go %s: %w", dir, strings.Join(args, " "), err)
	}
	return nil
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "align-modules:", err)
	os.Exit(2)
}
