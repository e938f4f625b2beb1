package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// stage is what a Dockerfile stage declares about its image.
type stage struct {
	From       string
	Files      []string // COPY destinations
	User       string
	Entrypoint []string
	Expose     []string
}

// parseDockerfile reads FROM ... AS name, COPY, USER, EXPOSE and the exec
// form of ENTRYPOINT per stage, and the RUN lines of every stage (with
// continuations joined).
func parseDockerfile(t *testing.T, path string) (map[string]*stage, []string) {
	t.Helper()
	f, err := os.Open(path) //nolint:gosec // test
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // test
	stages := map[string]*stage{}
	var cur *stage
	var runs []string
	var line string
	s := bufio.NewScanner(f)
	for s.Scan() {
		l := strings.TrimSpace(s.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if c, ok := strings.CutSuffix(l, "\\"); ok {
			line += c + " "
			continue
		}
		line += l
		fields := strings.Fields(line)
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			cur = &stage{From: fields[1]}
			if len(fields) == 4 && strings.EqualFold(fields[2], "AS") {
				stages[fields[3]] = cur
			}
		case "COPY":
			cur.Files = append(cur.Files, fields[len(fields)-1])
		case "USER":
			cur.User = fields[1]
		case "EXPOSE":
			cur.Expose = append(cur.Expose, fields[1:]...)
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, fields[0]))), &cur.Entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %q: use the exec (JSON) form: %v", line, err)
			}
		case "RUN":
			runs = append(runs, line)
		}
		line = ""
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return stages, runs
}

// The Dockerfile and make xpkg produce the same layout: same binary paths,
// user, entrypoint and ports, the Go base holding what distroless static
// provides that a static Go binary uses, and the binaries built with the
// same flags.
func TestDockerfileLayout(t *testing.T) {
	dir := xpkgDir(t)
	stages, runs := parseDockerfile(t, filepath.Join(repo, "Dockerfile"))
	for target, image := range map[string]string{"function": "function-paved", "provider": "provider-paved"} {
		t.Run(target, func(t *testing.T) {
			st, ok := stages[target]
			if !ok {
				t.Fatalf("Dockerfile has no stage %q", target)
			}
			if !strings.HasPrefix(st.From, "gcr.io/distroless/static-debian12:nonroot") {
				t.Errorf("stage %s FROM %s: the Go base mirrors gcr.io/distroless/static-debian12:nonroot", target, st.From)
			}
			img, err := tarball.ImageFromPath(filepath.Join(dir, "images", image+".tar"), nil)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			var ports []string
			for p := range cf.Config.ExposedPorts {
				ports = append(ports, p)
			}
			sort.Strings(ports)
			got := stage{From: st.From, User: cf.Config.User, Entrypoint: cf.Config.Entrypoint, Expose: ports}
			// The Go image's files: the base, plus what the Dockerfile copies.
			fs, _ := filesystem(t, img)
			base := map[string]bool{}
			for _, f := range BaseFiles() {
				base[f.Path] = true
			}
			for p, e := range fs {
				if !base[p] && !e.Dir {
					got.Files = append(got.Files, p)
				}
			}
			sort.Strings(got.Files)
			if diff := cmp.Diff(*st, got); diff != "" {
				t.Errorf("Dockerfile stage %s (-) vs Go-built image %s (+):\n%s", target, image, diff)
			}
		})
	}
	// The Makefile's bin/function, which the tests, renders and
	// hack/bench-ratio.sh's memory figures run, and its bin/provider,
	// which the e2e suites run, are built as they ship (and so share every
	// compiled package with hack/xpkg.sh's builds).
	makefile, err := os.ReadFile(filepath.Join(repo, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"./fn/cmd/function", "./provider/cmd/provider"} {
		built := false
		for _, l := range strings.Split(string(makefile), "\n") {
			built = built || strings.Contains(l, cmd) && strings.Contains(l, "CGO_ENABLED=0") &&
				strings.Contains(l, "-trimpath -buildvcs=false") && strings.Contains(l, `-ldflags "-s -w`)
		}
		if !built {
			t.Errorf("the Makefile does not build %s as it ships (CGO_ENABLED=0, -trimpath -buildvcs=false, -s -w)", cmd)
		}
	}
	// Same build flags: hack/xpkg.sh's go build line and the Dockerfile's.
	script, err := os.ReadFile(filepath.Join(repo, "hack", "xpkg.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-trimpath -buildvcs=false", "-s -w -X github.com/paved-dev/paved/internal/version.Version="} {
		if !strings.Contains(string(script), flag) {
			t.Errorf("hack/xpkg.sh does not build with %q", flag)
		}
		for _, cmd := range []string{"./fn/cmd/function", "./provider/cmd/provider"} {
			built := false
			for _, r := range runs {
				for _, b := range strings.Split(r, "&&") {
					built = built || (strings.Contains(b, cmd) && strings.Contains(b, flag))
				}
			}
			if !built {
				t.Errorf("Dockerfile does not build %s with %q", cmd, flag)
			}
		}
	}
}
