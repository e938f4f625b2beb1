// Command github-openapi-cut writes the part of GitHub's OpenAPI description
// the GitHub stand-in (package ghtest) validates with: the paths it serves
// and every component they reference (openapicut.Cut). `make github-openapi`
// runs it on the description npm @octokit/openapi pins
// (hack/github-openapi.sh) and writes ghtest/testdata/api.github.com.json,
// which the tests use unless PAVED_GITHUB_OPENAPI names a full description.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/paved-dev/paved/test/ghtest/internal/openapicut"
)

func main() {
	in := flag.String("in", "", "GitHub's full OpenAPI description (api.github.com.json)")
	out := flag.String("out", "", "where to write the cut description")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "github-openapi-cut:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	if in == "" || out == "" {
		return errors.New("both -in and -out are required")
	}
	full, err := os.ReadFile(in)
	if err != nil {
		return errors.Wrap(err, "cannot read the full description")
	}
	cut, err := openapicut.Cut(full)
	if err != nil {
		return err
	}
	return errors.Wrap(os.WriteFile(out, cut, 0o644), "cannot write the cut description")
}
