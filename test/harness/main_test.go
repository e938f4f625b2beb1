package harness

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeRepo makes a folder that FindRepoRoot takes for the repository root,
// whose hack/tools.sh is script.
func fakeRepo(t *testing.T, script string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "hack"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/fake\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "hack", "tools.sh"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFindRepoRoot(t *testing.T) {
	root := fakeRepo(t, "")
	// A folder with a go.mod but no hack/tools.sh is not the root.
	sub := filepath.Join(root, "provider", "test", "e2e")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "provider", "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		env     string
		wd      string
		want    string
		wantErr bool
	}{
		"FromEnv":       {env: "/somewhere/else", wd: sub, want: "/somewhere/else"},
		"AboveWorkDir":  {wd: sub, want: root},
		"AtWorkDir":     {wd: root, want: root},
		"NoRootAboveWd": {wd: t.TempDir(), wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv(EnvRepoRoot, tc.env)
			t.Chdir(tc.wd)
			got, err := FindRepoRoot()
			if (err != nil) != tc.wantErr {
				t.Fatalf("FindRepoRoot(): error %v, want error: %t", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("FindRepoRoot(): got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestToolEnv(t *testing.T) {
	cases := map[string]struct {
		env     string
		script  string
		want    string
		wantErr string
	}{
		"EnvWins":       {env: "/set/by/caller", script: "exit 1\n", want: "PAVED_E2E_TEST_TOOL=/set/by/caller"},
		"FromToolsSh":   {script: `[ "$1" = thing ] && echo /cache/thing` + "\n", want: "PAVED_E2E_TEST_TOOL=/cache/thing"},
		"ToolsShFails":  {script: "exit 3\n", wantErr: "hack/tools.sh thing: exit status 3"},
		"ToolsShSilent": {script: "true\n", wantErr: "hack/tools.sh thing printed no path"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("PAVED_E2E_TEST_TOOL", tc.env)
			root := fakeRepo(t, tc.script)
			got, err := ToolEnv(context.Background(), root, "PAVED_E2E_TEST_TOOL", "thing")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ToolEnv(): error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ToolEnv(): got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIsolatedEnv(t *testing.T) {
	// Every control plane binary is given, so ResolveBinaries builds nothing.
	var bins []string
	for _, b := range binaryEnv {
		t.Setenv(b.env, "/bin/"+b.tool)
		bins = append(bins, b.env+"=/bin/"+b.tool)
	}
	root := fakeRepo(t, "exit 1\n")
	t.Setenv(EnvRepoRoot, root)
	errHook := errors.New("bin/thing missing")

	cases := map[string]struct {
		outside func(context.Context, string) ([]string, error)
		want    []string
		wantErr error
	}{
		"NoHook": {want: append(slices.Clip(bins), EnvRepoRoot+"="+root)},
		"HookAdds": {
			outside: func(_ context.Context, r string) ([]string, error) {
				return []string{"PAVED_E2E_THING=" + filepath.Join(r, "bin", "thing")}, nil
			},
			want: append(slices.Clip(bins), "PAVED_E2E_THING="+filepath.Join(root, "bin", "thing"), EnvRepoRoot+"="+root),
		},
		"HookFails": {
			outside: func(context.Context, string) ([]string, error) { return nil, errHook },
			wantErr: errHook,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := isolatedEnv(context.Background(), MainOptions{Name: "test", Outside: tc.outside})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("isolatedEnv(): error %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("isolatedEnv(): -want +got:\n%s", diff)
			}
		})
	}
}
