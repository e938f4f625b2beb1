package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"go.yaml.in/yaml/v3"
)

// The packages `make xpkg` wrote, inspected as Crossplane reads them: the
// package layer's package.yaml (https://github.com/crossplane/crossplane/blob/v2.4.0/contributing/specifications/xpkg.md)
// and, for the function and the provider, the embedded runtime image.
// `make xpkg-test` sets PAVED_XPKG_DIR (and PAVED_XPKG_VERSION) after
// building them.
func xpkgDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PAVED_XPKG_DIR")
	if dir == "" {
		t.Fatal("PAVED_XPKG_DIR is not set: run make xpkg-test, which builds the packages and sets it")
	}
	return dir
}

// packageObjects returns "Kind/name" of every object in the image's
// package.yaml, and fails unless exactly one layer holds one.
func packageObjects(t *testing.T, img v1.Image) []string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var objs []string
	found := 0
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Name != "package.yaml" {
				continue
			}
			found++
			d := yaml.NewDecoder(tr)
			for {
				var n yaml.Node
				if err := d.Decode(&n); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatalf("package.yaml: %v", err)
				}
				var o object
				if err := n.Decode(&o); err != nil {
					t.Fatalf("package.yaml: %v", err)
				}
				if o.Kind == "" { // the empty document before a leading ---
					continue
				}
				objs = append(objs, o.Kind+"/"+o.Metadata.Name)
			}
		}
		_ = rc.Close()
	}
	if found != 1 {
		t.Fatalf("%d layers hold package.yaml, want exactly one", found)
	}
	sort.Strings(objs)
	return objs
}

// sourceObjects returns "Kind/name" of the objects in the given repo files
// and directories: what the package must carry.
func sourceObjects(t *testing.T, paths ...string) []string {
	t.Helper()
	var objs []string
	for _, p := range paths {
		err := filepath.WalkDir(filepath.Join(repo, p), func(f string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(f, ".yaml") {
				return err
			}
			os, err := readObjects(f)
			if err == nil && all(os, installManifests) {
				return nil // not package content: see StageConfiguration
			}
			for _, o := range os {
				objs = append(objs, o.Kind+"/"+o.Metadata.Name)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(objs)
	return objs
}

func TestPackages(t *testing.T) {
	dir := xpkgDir(t)
	version := os.Getenv("PAVED_XPKG_VERSION")
	if version == "" {
		version = "v0.1.0"
	}
	cases := map[string]struct {
		sources    []string
		entrypoint string
	}{
		"function-paved": {sources: []string{"package/crossplane.yaml", "package/input"}, entrypoint: "/function"},
		"provider-paved": {sources: []string{"package/provider/crossplane.yaml", "package/crds"}, entrypoint: "/provider"},
		"paved":          {sources: []string{"crossplane.yaml", "apis"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			img, err := tarball.ImageFromPath(filepath.Join(dir, name+".xpkg"), nil)
			if err != nil {
				t.Fatalf("cannot read %s.xpkg: %v", name, err)
			}
			if diff := cmp.Diff(sourceObjects(t, tc.sources...), packageObjects(t, img)); diff != "" {
				t.Errorf("package.yaml objects (-sources +package):\n%s", diff)
			}
			if tc.entrypoint == "" {
				return
			}
			checkRuntime(t, img, filepath.Join(dir, "images", name+".tar"), name, tc.entrypoint, version)
		})
	}
}

// checkRuntime checks the runtime image embedded in a function or provider
// package: the image hack/xpkg built, nonroot, the binary as entrypoint, the
// OCI labels, no shell.
func checkRuntime(t *testing.T, pkg v1.Image, runtimeTar, name, entrypoint, version string) {
	t.Helper()
	rt, err := tarball.ImageFromPath(runtimeTar, nil)
	if err != nil {
		t.Fatal(err)
	}
	rtLayers, _ := rt.Layers()
	pkgLayers, _ := pkg.Layers()
	if len(pkgLayers) < len(rtLayers) {
		t.Fatalf("package has %d layers, runtime image %d", len(pkgLayers), len(rtLayers))
	}
	for i, l := range rtLayers {
		want, _ := l.DiffID()
		got, _ := pkgLayers[i].DiffID()
		if want != got {
			t.Errorf("layer %d: package %s, runtime image %s", i, got, want)
		}
	}
	cf, err := pkg.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || !cmp.Equal(c.Entrypoint, []string{entrypoint}) {
		t.Errorf("User %q Entrypoint %q, want 65532:65532 and [%s]", c.User, c.Entrypoint, entrypoint)
	}
	if c.Labels[LabelSource] != "https://github.com/paved-dev/paved" || c.Labels[LabelVersion] != version || c.Labels[LabelTitle] != name ||
		!regexp.MustCompile(`^[0-9a-f]{40}(-dirty)?$`).MatchString(c.Labels[LabelRevision]) {
		t.Errorf("labels %v, want source, version %s, title %s and a git revision", c.Labels, version, name)
	}
	fs, _ := filesystem(t, pkg)
	if e, ok := fs[entrypoint]; !ok || e.Mode != 0o755 || e.Size == 0 {
		t.Errorf("%s: %+v (present %v), want the binary", entrypoint, e, ok)
	}
	for _, sh := range []string{"/bin/sh", "/bin/bash", "/bin/busybox", "/bin"} {
		if _, ok := fs[sh]; ok {
			t.Errorf("%s present: the image must have no shell", sh)
		}
	}
}

// The Configuration depends on the function, the provider and every
// provider-aws family function-paved composes, each with a constraint.
func TestConfigurationDependencies(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "crossplane.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Spec struct {
			DependsOn []struct {
				Kind, Package, Version string
			} `yaml:"dependsOn"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range meta.Spec.DependsOn {
		got[d.Kind+" "+d.Package] = d.Version
	}
	for _, want := range []string{
		"Function xpkg.paved.dev/paved-dev/function-paved",
		"Provider xpkg.paved.dev/paved-dev/provider-paved",
		"Provider xpkg.upbound.io/upbound/provider-aws-rds",
		"Provider xpkg.upbound.io/upbound/provider-aws-ec2",
		"Provider xpkg.upbound.io/upbound/provider-aws-s3",
		"Provider xpkg.upbound.io/upbound/provider-aws-sqs",
		"Provider xpkg.upbound.io/upbound/provider-aws-elasticache",
		"Provider xpkg.upbound.io/upbound/provider-aws-docdb",
	} {
		if v, ok := got[want]; !ok || !strings.HasPrefix(v, ">=v") {
			t.Errorf("dependsOn %s: version %q (present %v), want a constraint >=v...", want, v, ok)
		}
	}
}
