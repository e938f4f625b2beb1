package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// installManifests are the kinds a file under apis/ may hold that Crossplane
// does not accept in a Configuration package but the Configuration needs:
// RBAC that Crossplane's service account aggregates (e.g. the ClusterRole
// that lets it compose Argo CD Applications, apis/servicebundle/rbac.yaml)
// and the admission policy that keeps claims from binding composites or
// choosing their Composition (apis/admission/policy.yaml). They go to a
// directory of install manifests the README tells users to apply with the
// Configuration.
var installManifests = []string{
	"rbac.authorization.k8s.io/v1, Kind=ClusterRole",
	"admissionregistration.k8s.io/v1, Kind=ValidatingAdmissionPolicy",
	"admissionregistration.k8s.io/v1, Kind=ValidatingAdmissionPolicyBinding",
}

// StageConfiguration copies every YAML file under src into root (package
// content: XRDs and Compositions) or, when all of its objects are install
// manifests, into install. A file with anything else is copied into root, so
// that CheckRoot reports it by name.
func StageConfiguration(src, root, install string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(root, rel)
		if objs, err := readObjects(p); err == nil && len(objs) > 0 && all(objs, installManifests) {
			dst = filepath.Join(install, strings.ReplaceAll(rel, string(filepath.Separator), "-"))
		}
		b, err := os.ReadFile(p) //nolint:gosec // the repo's own files.
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil { //nolint:gosec // package files are public.
			return fmt.Errorf("cannot stage %s: %w", p, err)
		}
		return nil
	})
}

func all(objs []object, gvks []string) bool {
	for _, o := range objs {
		if !contains(gvks, o.gvk()) {
			return false
		}
	}
	return true
}
