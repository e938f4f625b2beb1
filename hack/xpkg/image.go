package main

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The nonroot user of distroless (uid and gid 65532), the user the
// Dockerfile's images run as. Source:
// https://github.com/GoogleContainerTools/distroless/blob/main/base/base.bzl
// (NONROOT = 65532) and its /etc/passwd entry
// "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin".
const (
	nonrootUID = 65532
	nonrootGID = 65532
	// User is the image config's User: uid:gid, numeric so the kubelet's
	// runAsNonRoot check can verify it without reading /etc/passwd.
	User = "65532:65532"

	// CACertsPath is where Go's crypto/x509 looks first on Linux
	// (src/crypto/x509/root_linux.go) and where distroless puts its bundle.
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
)

// OCI annotation keys used as image labels, from
// https://github.com/opencontainers/image-spec/blob/v1.1.1/annotations.md.
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelRevision = "org.opencontainers.image.revision"
	LabelVersion  = "org.opencontainers.image.version"
	LabelTitle    = "org.opencontainers.image.title"
)

// Options of one runtime image.
type Options struct {
	// Binary is the path of the static binary on this machine.
	Binary string
	// Entrypoint is the absolute path the binary gets in the image, e.g.
	// /function; it is also the image's entrypoint.
	Entrypoint string
	// Title, Source, Revision and Version become OCI labels.
	Title, Source, Revision, Version string
	// Arch is the GOARCH the binary was built for.
	Arch string
	// Created is the timestamp of the image config and of every file in the
	// image; a fixed value (the commit time) makes the image reproducible.
	Created time.Time
	// ExposedPorts, e.g. "9443/tcp".
	ExposedPorts []string
}

func (o Options) validate() error {
	var errs []string
	if o.Binary == "" {
		errs = append(errs, "binary: a path is required")
	}
	if !path.IsAbs(o.Entrypoint) || path.Clean(o.Entrypoint) != o.Entrypoint || o.Entrypoint == "/" {
		errs = append(errs, fmt.Sprintf("entrypoint %q: must be a clean absolute file path such as /function", o.Entrypoint))
	}
	for k, v := range map[string]string{"source": o.Source, "revision": o.Revision, "version": o.Version, "arch": o.Arch} {
		if v == "" {
			errs = append(errs, k+": a value is required")
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("invalid image options: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Build assembles the runtime image: a distroless-static-like base layer
// (CA certificates, /etc/passwd and /etc/group with nonroot, /tmp, no shell)
// and a layer with the binary, run as nonroot with the binary as entrypoint.
// Same options and binary, same digest.
func Build(o Options) (v1.Image, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("cannot read binary: %w", err)
	}
	base, err := layer(BaseFiles(), o.Created)
	if err != nil {
		return nil, fmt.Errorf("cannot build base layer: %w", err)
	}
	app, err := layer(AppFiles(o.Entrypoint, bin), o.Created)
	if err != nil {
		return nil, fmt.Errorf("cannot build binary layer: %w", err)
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, base, app)
	if err != nil {
		return nil, fmt.Errorf("cannot append layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("cannot read config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = o.Arch
	cf.Created = v1.Time{Time: o.Created.UTC()}
	cf.Config = v1.Config{
		User:       User,
		Entrypoint: []string{o.Entrypoint},
		WorkingDir: "/",
		Env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"SSL_CERT_FILE=" + CACertsPath,
		},
		Labels: map[string]string{
			LabelSource:   o.Source,
			LabelRevision: o.Revision,
			LabelVersion:  o.Version,
			LabelTitle:    o.Title,
		},
	}
	if len(o.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range o.ExposedPorts {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	// One history entry per layer, with the fixed time: tools that show
	// history otherwise print the zero time.
	cf.History = []v1.History{
		{Created: cf.Created, CreatedBy: "paved hack/xpkg: distroless-static-like base"},
		{Created: cf.Created, CreatedBy: "paved hack/xpkg: COPY " + path.Base(o.Binary) + " " + o.Entrypoint},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("cannot set config: %w", err)
	}
	return img, nil
}

// File is one entry of an image layer.
type File struct {
	Path     string // absolute, clean
	Dir      bool
	Mode     int64
	UID, GID int
	Data     []byte
}

// BaseFiles is the distroless-static-like base: what a static Go binary
// needs and nothing more (no shell, no package manager). It mirrors
// gcr.io/distroless/static-debian12:nonroot's users and CA bundle, without
// tzdata and /etc/os-release.
func BaseFiles() []File {
	return []File{
		{Path: "/etc", Dir: true, Mode: 0o755},
		{Path: "/etc/group", Mode: 0o644, Data: []byte(
			"root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n")},
		{Path: "/etc/nsswitch.conf", Mode: 0o644, Data: []byte("hosts: files dns\n")},
		{Path: "/etc/passwd", Mode: 0o644, Data: []byte(
			"root:x:0:0:root:/root:/sbin/nologin\n" +
				"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
				"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{Path: "/etc/ssl", Dir: true, Mode: 0o755},
		{Path: "/etc/ssl/certs", Dir: true, Mode: 0o755},
		{Path: CACertsPath, Mode: 0o644, Data: CABundle()},
		{Path: "/home", Dir: true, Mode: 0o755},
		{Path: "/home/nonroot", Dir: true, Mode: 0o700, UID: nonrootUID, GID: nonrootGID},
		{Path: "/root", Dir: true, Mode: 0o700},
		{Path: "/tmp", Dir: true, Mode: 0o1777},
	}
}

// AppFiles is the layer holding the binary at entrypoint (root-owned, so the
// nonroot process cannot replace it).
func AppFiles(entrypoint string, binary []byte) []File {
	var fs []File
	for d := path.Dir(entrypoint); d != "/"; d = path.Dir(d) {
		fs = append([]File{{Path: d, Dir: true, Mode: 0o755}}, fs...)
	}
	return append(fs, File{Path: entrypoint, Mode: 0o755, Data: binary})
}

// CABundle is Mozilla's root store as shipped by
// golang.org/x/crypto/x509roots/fallback/bundle (generated from NSS's
// certdata.txt, see gen_fallback_bundle.go in that module), as PEM. Roots
// that carry a constraint the PEM format cannot express (NSS distrust-after
// dates) are left out: a PEM file would trust them without the constraint.
func CABundle() []byte {
	var b bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate})
	}
	return b.Bytes()
}

// layer writes files, sorted by path, as an uncompressed tar with fixed
// times and no user names, and wraps it as a gzip OCI layer.
func layer(files []File, created time.Time) (v1.Layer, error) {
	files = append([]File(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name:    strings.TrimPrefix(f.Path, "/"),
			Mode:    f.Mode,
			Uid:     f.UID,
			Gid:     f.GID,
			ModTime: created.UTC(),
		}
		if f.Dir {
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
