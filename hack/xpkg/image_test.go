package main

import (
	"archive/tar"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func testOptions(t *testing.T, binary string) Options {
	t.Helper()
	p := filepath.Join(t.TempDir(), "function")
	if err := os.WriteFile(p, []byte(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	return Options{
		Binary: p, Entrypoint: "/function", Title: "function-paved",
		Source: "https://github.com/paved-dev/paved", Revision: "0123abc", Version: "v0.1.0",
		Arch: "amd64", Created: time.Unix(1700000000, 0), ExposedPorts: []string{"9443/tcp"},
	}
}

func digest(t *testing.T, o Options) v1.Hash {
	t.Helper()
	img, err := Build(o)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Same inputs, same digest; any input that matters changes it.
func TestBuildReproducible(t *testing.T) {
	o := testOptions(t, "binary one")
	first := digest(t, o)
	if again := digest(t, testOptions(t, "binary one")); again != first {
		t.Errorf("two builds of the same inputs: %s then %s", first, again)
	}
	changes := map[string]func(*Options){
		"binary":   func(o *Options) { *o = testOptions(t, "binary two") },
		"revision": func(o *Options) { o.Revision = "4567def" },
		"version":  func(o *Options) { o.Version = "v0.2.0" },
		"created":  func(o *Options) { o.Created = o.Created.Add(time.Second) },
		"path":     func(o *Options) { o.Entrypoint = "/provider" },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			c := o
			change(&c)
			if d := digest(t, c); d == first {
				t.Errorf("changing %s kept digest %s", name, d)
			}
		})
	}
}

func TestBuildConfig(t *testing.T) {
	img, err := Build(testOptions(t, "binary"))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := v1.Config{
		User:         "65532:65532",
		Entrypoint:   []string{"/function"},
		WorkingDir:   "/",
		Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		ExposedPorts: map[string]struct{}{"9443/tcp": {}},
		Labels: map[string]string{
			"org.opencontainers.image.source":   "https://github.com/paved-dev/paved",
			"org.opencontainers.image.revision": "0123abc",
			"org.opencontainers.image.version":  "v0.1.0",
			"org.opencontainers.image.title":    "function-paved",
		},
	}
	if diff := cmp.Diff(want, cf.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" || !cf.Created.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("os/arch/created = %s/%s/%s", cf.OS, cf.Architecture, cf.Created)
	}
}

// entry is one file of an image's flattened filesystem.
type entry struct {
	Mode     int64
	UID, GID int
	Dir      bool
	Size     int64
	Mtime    int64
}

// filesystem flattens img and returns its entries by absolute path, and the
// content of the regular files among want.
func filesystem(t *testing.T, img v1.Image, want ...string) (map[string]entry, map[string][]byte) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close() //nolint:errcheck // test
	tr := tar.NewReader(rc)
	fs, data := map[string]entry{}, map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fs, data
		}
		if err != nil {
			t.Fatal(err)
		}
		p := "/" + strings.TrimSuffix(h.Name, "/")
		fs[p] = entry{Mode: h.Mode, UID: h.Uid, GID: h.Gid, Dir: h.Typeflag == tar.TypeDir, Size: h.Size, Mtime: h.ModTime.Unix()}
		for _, w := range want {
			if p == w {
				b, err := io.ReadAll(tr)
				if err != nil {
					t.Fatal(err)
				}
				data[p] = b
			}
		}
	}
}

func TestBuildFilesystem(t *testing.T) {
	img, err := Build(testOptions(t, "the binary"))
	if err != nil {
		t.Fatal(err)
	}
	fs, data := filesystem(t, img, "/function", "/etc/passwd", "/etc/group", CACertsPath)
	var paths []string
	for p, e := range fs {
		paths = append(paths, p)
		if e.Mtime != 1700000000 {
			t.Errorf("%s: mtime %d, want the fixed 1700000000", p, e.Mtime)
		}
	}
	sort.Strings(paths)
	want := []string{"/etc", "/etc/group", "/etc/nsswitch.conf", "/etc/passwd", "/etc/ssl", "/etc/ssl/certs", CACertsPath, "/function", "/home", "/home/nonroot", "/root", "/tmp"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("files (-want +got); no shell, nothing else:\n%s", diff)
	}
	if e := fs["/function"]; e.Mode != 0o755 || e.UID != 0 || string(data["/function"]) != "the binary" {
		t.Errorf("/function: %+v %q, want root-owned 0755 with the binary", e, data["/function"])
	}
	if e := fs["/tmp"]; e.Mode != 0o1777 || !e.Dir {
		t.Errorf("/tmp: %+v, want a sticky world-writable directory", e)
	}
	if e := fs["/home/nonroot"]; e.UID != 65532 || e.GID != 65532 {
		t.Errorf("/home/nonroot: %+v, want owned by 65532:65532", e)
	}
	if !strings.Contains(string(data["/etc/passwd"]), "\nnonroot:x:65532:65532:") || !strings.Contains(string(data["/etc/group"]), "\nnonroot:x:65532:") {
		t.Errorf("/etc/passwd or /etc/group lacks nonroot 65532:\n%s\n%s", data["/etc/passwd"], data["/etc/group"])
	}
	checkCABundle(t, data[CACertsPath])
}

// checkCABundle parses every PEM block as a certificate authority and looks
// for a root that AWS's endpoints chain to (Amazon Root CA 1).
func checkCABundle(t *testing.T, b []byte) {
	t.Helper()
	n, amazon := 0, false
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			if len(strings.TrimSpace(string(rest))) != 0 {
				t.Errorf("CA bundle: trailing non-PEM data")
			}
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatalf("CA bundle block %d: %v", n, err)
		}
		if !c.IsCA {
			t.Errorf("CA bundle: %s is not a CA", c.Subject)
		}
		amazon = amazon || c.Subject.CommonName == "Amazon Root CA 1"
		n++
	}
	if n < 100 || !amazon {
		t.Errorf("CA bundle: %d certificates, Amazon Root CA 1 present: %v; want Mozilla's store", n, amazon)
	}
}

func TestBuildRejectsBadOptions(t *testing.T) {
	o := testOptions(t, "x")
	o.Entrypoint, o.Revision = "function", ""
	_, err := Build(o)
	if err == nil || !strings.Contains(err.Error(), `entrypoint "function": must be a clean absolute file path`) || !strings.Contains(err.Error(), "revision: a value is required") {
		t.Errorf("Build: %v, want errors naming entrypoint and revision", err)
	}
}
