// Command xpkg is the Go half of `make xpkg` (hack/xpkg.sh): it checks a
// package root before `crossplane xpkg build` reads it, and writes the
// runtime image of function-paved or provider-paved as an image tarball for
// `crossplane xpkg build --embed-runtime-image-tarball`, with no Docker engine.
//
//	xpkg check -kind Function|Provider|Configuration ROOT
//	xpkg stage-configuration apis ROOT/apis INSTALL-DIR
//	xpkg image -binary bin/function -entrypoint /function -tag NAME:TAG \
//	  -source URL -revision SHA -version v0.1.0 -created UNIX -out image.tar
//
// image prints the image digest; the same inputs give the same digest.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "xpkg:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: xpkg check|image [flags]")
	}
	switch args[0] {
	case "check":
		return check(args[1:])
	case "image":
		return image(args[1:])
	case "stage-configuration":
		if len(args) != 4 {
			return errors.New("usage: xpkg stage-configuration SRC PACKAGE-DIR INSTALL-DIR")
		}
		return StageConfiguration(args[1], args[2], args[3])
	}
	return fmt.Errorf("unknown command %q: use check, image or stage-configuration", args[0])
}

func check(args []string) error {
	fs := flag.NewFlagSet("xpkg check", flag.ContinueOnError)
	kind := fs.String("kind", "", "Package kind: Function, Provider or Configuration.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("check: exactly one package root is required")
	}
	if err := CheckRoot(fs.Arg(0), *kind); err != nil {
		return fmt.Errorf("bad %s package input:\n%w", *kind, err)
	}
	return nil
}

func image(args []string) error {
	fs := flag.NewFlagSet("xpkg image", flag.ContinueOnError)
	var (
		o       Options
		out     = fs.String("out", "", "Path of the image tarball to write.")
		tag     = fs.String("tag", "", "Image reference recorded in the tarball, e.g. xpkg.paved.dev/paved-dev/function-paved:v0.1.0.")
		created = fs.Int64("created", 0, "Image and file timestamp, seconds since the Unix epoch (SOURCE_DATE_EPOCH; make xpkg uses the commit time).")
		expose  = fs.String("expose", "", "Comma-separated exposed ports, e.g. 9443/tcp.")
	)
	fs.StringVar(&o.Binary, "binary", "", "Path of the static binary.")
	fs.StringVar(&o.Entrypoint, "entrypoint", "", "Absolute path of the binary in the image, also its entrypoint.")
	fs.StringVar(&o.Title, "title", "", "Label org.opencontainers.image.title.")
	fs.StringVar(&o.Source, "source", "", "Label org.opencontainers.image.source.")
	fs.StringVar(&o.Revision, "revision", "", "Label org.opencontainers.image.revision.")
	fs.StringVar(&o.Version, "version", "", "Label org.opencontainers.image.version.")
	fs.StringVar(&o.Arch, "arch", runtime.GOARCH, "GOARCH the binary was built for.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("-out: a path is required")
	}
	ref, err := name.NewTag(*tag, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", *tag, err)
	}
	o.Created = time.Unix(*created, 0).UTC()
	if *expose != "" {
		o.ExposedPorts = strings.Split(*expose, ",")
	}
	img, err := Build(o)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(*out, ref, img); err != nil {
		return fmt.Errorf("cannot write %s: %w", *out, err)
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Println(d)
	return nil
}
