package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repo is the root of paved's checkout (this module is hack/xpkg).
const repo = "../.."

// root copies files (destination: source in repo, or literal content when
// the key starts with "=") into a fresh package root.
func root(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for dst, src := range files {
		var b []byte
		if c, ok := strings.CutPrefix(src, "="); ok {
			b = []byte(c)
		} else {
			var err error
			if b, err = os.ReadFile(filepath.Join(repo, src)); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(dir, dst)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sources lists the YAML files of dir in the repo as destination: source.
func sources(t *testing.T, dir, under string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(filepath.Join(repo, dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(repo, dir), p)
		m[filepath.Join(under, rel)] = filepath.Join(dir, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func with(m map[string]string, kv ...string) map[string]string {
	c := map[string]string{}
	for k, v := range m {
		c[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(c, kv[i])
			continue
		}
		c[kv[i]] = kv[i+1]
	}
	return c
}

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.org
spec:
  group: example.org
  scope: Cluster
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object}}
`

// v2XRD is apis/bucket-v2/definition.yaml, a namespaced XRD, with old
// replaced by new.
func v2XRD(t *testing.T, old, new string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "apis", "bucket-v2", "definition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("apis/bucket-v2/definition.yaml has no %q", old)
	}
	return strings.Replace(string(b), old, new, 1)
}

func TestCheckRoot(t *testing.T) {
	function := with(sources(t, "package/input", "input"), "crossplane.yaml", "package/crossplane.yaml")
	provider := with(sources(t, "package/crds", "crds"), "crossplane.yaml", "package/provider/crossplane.yaml")
	// apis/ as hack/xpkg.sh stages it: without install manifests (RBAC).
	configuration := map[string]string{"crossplane.yaml": "crossplane.yaml"}
	for dst, src := range sources(t, "apis", "apis") {
		if objs, err := readObjects(filepath.Join(repo, src)); err != nil || !all(objs, installManifests) {
			configuration[dst] = src
		}
	}

	cases := map[string]struct {
		kind  string
		files map[string]string
		want  []string // substrings of the error; none: no error
	}{
		"FunctionAsShipped":      {kind: KindFunction, files: function},
		"ProviderAsShipped":      {kind: KindProvider, files: provider},
		"ConfigurationAsShipped": {kind: KindConfiguration, files: configuration},
		"MissingMetadata": {kind: KindFunction, files: with(function, "crossplane.yaml", ""),
			want: []string{"crossplane.yaml: missing: a Function package needs its metadata (apiVersion meta.pkg.crossplane.io/v1 or meta.pkg.crossplane.io/v1beta1, kind Function)"}},
		"MetadataOfAnotherKind": {kind: KindProvider, files: with(provider, "crossplane.yaml", "package/crossplane.yaml"),
			want: []string{`apiVersion "meta.pkg.crossplane.io/v1beta1", kind "Function": a Provider package needs apiVersion meta.pkg.crossplane.io/v1 or meta.pkg.crossplane.io/v1alpha1 and kind Provider`}},
		"MetadataWithoutName": {kind: KindProvider, files: with(provider, "crossplane.yaml", "=apiVersion: meta.pkg.crossplane.io/v1\nkind: Provider\nmetadata: {}\n"),
			want: []string{"missing metadata.name"}},
		"NotYAML": {kind: KindProvider, files: with(provider, "crds/bad.yaml", "=kind: [\n"),
			want: []string{"crds/bad.yaml (document 1): not valid YAML"}},
		"NotAnObject": {kind: KindProvider, files: with(provider, "crds/notes.yaml", "=just: notes\n"),
			want: []string{"crds/notes.yaml (document 1): missing apiVersion, kind, metadata.name"}},
		"CRDWrongName": {kind: KindProvider, files: with(provider, "crds/w.yaml", "="+strings.Replace(crd, "name: widgets.example.org", "name: gadgets.example.org", 1)),
			want: []string{`metadata.name "gadgets.example.org": must be <spec.names.plural>.<spec.group>, "widgets.example.org"`}},
		"CRDNoStorageVersion": {kind: KindFunction, files: with(function, "input/w.yaml", "="+strings.Replace(crd, "storage: true", "storage: false", 1)),
			want: []string{"spec.versions: 0 versions have storage: true; exactly one must"}},
		"CRDNoSchema": {kind: KindFunction, files: with(function, "input/w.yaml", "="+strings.Replace(crd, "      schema: {openAPIV3Schema: {type: object}}\n", "", 1)),
			want: []string{"spec.versions[0] (v1).schema.openAPIV3Schema: required"}},
		"CRDBadGroupAndScope": {kind: KindProvider, files: with(provider, "crds/w.yaml", "="+strings.NewReplacer("group: example.org", "group: Example_Org", "scope: Cluster", "scope: Global").Replace(crd)),
			want: []string{`spec.group "Example_Org": must be a DNS subdomain`, `spec.scope "Global": must be Namespaced or Cluster`}},
		"ObjectNotForThisKind": {kind: KindConfiguration, files: with(configuration, "apis/extra/crd.yaml", "="+crd),
			want: []string{`apis/extra/crd.yaml (document 1, CustomResourceDefinition "widgets.example.org"): apiVersion "apiextensions.k8s.io/v1", kind "CustomResourceDefinition": a Configuration package may only carry`}},
		"CompositionOfUnknownXR": {kind: KindConfiguration, files: with(configuration, "apis/bucket/definition.yaml", ""),
			want: []string{"spec.compositeTypeRef platform.paved.dev/v1alpha1, Kind=XBucket: no XRD in the package defines it"}},
		"CompositionOfUnknownNamespacedXR": {kind: KindConfiguration, files: with(configuration, "apis/bucket-v2/definition.yaml", ""),
			want: []string{"spec.compositeTypeRef paved.dev/v1alpha1, Kind=Bucket: no XRD in the package defines it"}},
		"V2XRDWithClaimsAndSecrets": {kind: KindConfiguration, files: with(configuration, "apis/bucket-v2/definition.yaml", "="+v2XRD(t,
			"  scope: Namespaced\n", "  scope: Global\n  claimNames: {kind: BucketClaim, plural: bucketclaims}\n  connectionSecretKeys: [arn]\n")),
			want: []string{`spec.scope "Global": must be Namespaced, Cluster or LegacyCluster`, "spec.claimNames: an apiextensions.crossplane.io/v2 XRD has no claims",
				"spec.connectionSecretKeys: an apiextensions.crossplane.io/v2 XRD has no XR connection secrets"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := CheckRoot(root(t, tc.files), tc.kind)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("CheckRoot: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckRoot: no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckRoot error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestStageConfiguration(t *testing.T) {
	src := root(t, map[string]string{
		"kind/definition.yaml":  "apis/database/definition.yaml",
		"kind/composition.yaml": "apis/database/composition.yaml",
		"kind/rbac.yaml":        "=apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: crossplane:paved:x\nrules: []\n",
		"kind/other.yaml":       "=apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
	})
	out := t.TempDir()
	pkg, install := filepath.Join(out, "root", "apis"), filepath.Join(out, "install")
	if err := StageConfiguration(src, pkg, install); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"root/apis/kind/definition.yaml", "root/apis/kind/composition.yaml", "install/kind-rbac.yaml", "root/apis/kind/other.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(pkg, "kind", "rbac.yaml")); err == nil {
		t.Errorf("the ClusterRole was staged into the package")
	}
	// The ConfigMap stays in the package root, where the check names it.
	if err := CheckRoot(filepath.Join(out, "root"), KindConfiguration); err == nil || !strings.Contains(err.Error(), `kind/other.yaml (document 1, ConfigMap "x")`) {
		t.Errorf("CheckRoot: %v, want the ConfigMap named", err)
	}
}
