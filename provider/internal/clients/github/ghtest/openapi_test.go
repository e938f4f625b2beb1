package ghtest

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/provider/internal/clients/github/ghtest/internal/openapicut"
)

// TestCommittedOpenAPICurrent: with PAVED_GITHUB_OPENAPI naming the full
// description, the committed cut is exactly its cut, so the stand-in
// validates alike with either (LoadValidator cuts what it loads).
func TestCommittedOpenAPICurrent(t *testing.T) {
	path := os.Getenv(EnvOpenAPI)
	if path == "" {
		t.Skip(EnvOpenAPI + " is not set: the committed cut is checked against the full description by `make generate-check`")
	}
	full, err := os.ReadFile(path) //nolint:gosec // the path is the test's own environment
	if err != nil {
		t.Fatal(err)
	}
	got, err := openapicut.Cut(full)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(openAPI), string(got)); diff != "" {
		t.Errorf("testdata/api.github.com.json is stale (run make github-openapi): -committed +cut:\n%s", diff)
	}
}
