package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// committed is the cut the stand-in embeds.
const committed = "../../testdata/api.github.com.json"

// TestRunCommitted: cutting the committed cut writes it unchanged, so it is
// already cut to the served paths (every one of them present) and closed
// under $ref. That it is the cut of the pinned full description is what
// `make generate-check` checks.
func TestRunCommitted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "api.github.com.json")
	if err := run(committed, out); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("run(committed): -want +got:\n%s", diff)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		in, out, want string
	}{
		"NoIn":      {out: filepath.Join(dir, "x"), want: "-in and -out are required"},
		"NoOut":     {in: committed, want: "-in and -out are required"},
		"InMissing": {in: filepath.Join(dir, "missing"), out: filepath.Join(dir, "x"), want: "cannot read the full description"},
		"OutDir":    {in: committed, out: filepath.Join(dir, "no", "such", "dir"), want: "cannot write the cut description"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := run(tc.in, tc.out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run: error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
