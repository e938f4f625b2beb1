package test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// module is paved's module path (go.mod).
const module = "github.com/paved-dev/paved/"

// support are the folders of test support that every test suite imports.
var support = []string{"ghtest", "backstagetest", "harness", "clocktest"}

// TestSupportImportsOneWay: the test support packages import nothing of
// paved but each other, so the provider's, the function's, paved's and the
// end-to-end tests can all import them and none of them imports a suite.
func TestSupportImportsOneWay(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	for _, dir := range support {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			files++
			for _, imp := range f.Imports {
				p, err := strconv.Unquote(imp.Path.Value)
				if err != nil {
					return err
				}
				if rest, ok := strings.CutPrefix(p, module); ok && !supportPackage(rest) {
					t.Errorf("%s imports %s: test support may import only %v and their subpackages", path, p, support)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("reading %s: %v", dir, err)
		}
	}
	if files == 0 {
		t.Fatal("no Go files found under the test support folders")
	}
}

// supportPackage reports whether the module-relative path p is one of the
// support packages or below one.
func supportPackage(p string) bool {
	for _, dir := range support {
		if p == "test/"+dir || strings.HasPrefix(p, "test/"+dir+"/") {
			return true
		}
	}
	return false
}
