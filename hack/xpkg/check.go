package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Package kinds, as in crossplane.yaml's kind.
const (
	KindFunction      = "Function"
	KindProvider      = "Provider"
	KindConfiguration = "Configuration"
)

// The objects each package kind may carry besides its metadata. Function and
// Provider packages carry CRDs; Configuration packages XRDs and Compositions
// (https://docs.crossplane.io/latest/packages/configurations/, and core's
// package linters in internal/xpkg/lint.go of crossplane v2.4.0).
var allowedObjects = map[string][]string{
	KindFunction:      {"apiextensions.k8s.io/v1, Kind=CustomResourceDefinition"},
	KindProvider:      {"apiextensions.k8s.io/v1, Kind=CustomResourceDefinition"},
	KindConfiguration: {"apiextensions.crossplane.io/v1, Kind=CompositeResourceDefinition", "apiextensions.crossplane.io/v2, Kind=CompositeResourceDefinition", "apiextensions.crossplane.io/v1, Kind=Composition"},
}

// metaAPIVersions are the served versions of meta.pkg.crossplane.io for each
// package kind (crossplane/apis v2.4.0, pkg/meta/v1 and v1beta1).
var metaAPIVersions = map[string][]string{
	KindFunction:      {"meta.pkg.crossplane.io/v1", "meta.pkg.crossplane.io/v1beta1"},
	KindProvider:      {"meta.pkg.crossplane.io/v1", "meta.pkg.crossplane.io/v1alpha1"},
	KindConfiguration: {"meta.pkg.crossplane.io/v1", "meta.pkg.crossplane.io/v1alpha1"},
}

// dns1123Subdomain is Kubernetes' rule for an API group (and a CRD's name):
// https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names
var dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// object is the part of a manifest the checks read.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Group string `yaml:"group"`
		Scope string `yaml:"scope"`
		Names struct {
			Kind   string `yaml:"kind"`
			Plural string `yaml:"plural"`
		} `yaml:"names"`
		// Set when present: a v2 XRD may have neither.
		ClaimNames           any `yaml:"claimNames"`
		ConnectionSecretKeys any `yaml:"connectionSecretKeys"`

		Versions []struct {
			Name          string         `yaml:"name"`
			Served        bool           `yaml:"served"`
			Storage       bool           `yaml:"storage"`
			Referenceable bool           `yaml:"referenceable"`
			Schema        map[string]any `yaml:"schema"`
		} `yaml:"versions"`
		CompositeTypeRef struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		} `yaml:"compositeTypeRef"`
	} `yaml:"spec"`
}

func (o object) gvk() string { return o.APIVersion + ", Kind=" + o.Kind }

// CheckRoot checks a package root before `crossplane xpkg build` sees it, so
// a bad input fails with a message naming the file, the field, the value and
// what is allowed (the CLI reports some of these only as "not exactly one
// package meta type", or names the wrong file). It checks that
// crossplane.yaml holds the metadata of kind, that every other YAML document
// is an object the package kind may carry, that CRDs and XRDs are
// well-formed, and that every Composition's type is an XRD in the package.
func CheckRoot(root, kind string) error {
	if _, ok := allowedObjects[kind]; !ok {
		return fmt.Errorf("package kind %q: must be one of Function, Provider, Configuration", kind)
	}
	var errs []error
	meta := filepath.Join(root, "crossplane.yaml")
	objs, err := readObjects(meta)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		errs = append(errs, fmt.Errorf("%s: missing: a %s package needs its metadata (apiVersion %s, kind %s) in crossplane.yaml", meta, kind, strings.Join(metaAPIVersions[kind], " or "), kind))
	case err != nil:
		errs = append(errs, err)
	case len(objs) != 1:
		errs = append(errs, fmt.Errorf("%s: holds %d documents: it must hold exactly one, the %s metadata", meta, len(objs), kind))
	default:
		m := objs[0]
		if m.Kind != kind || !contains(metaAPIVersions[kind], m.APIVersion) {
			errs = append(errs, fmt.Errorf("%s: apiVersion %q, kind %q: a %s package needs apiVersion %s and kind %s", meta, m.APIVersion, m.Kind, kind, strings.Join(metaAPIVersions[kind], " or "), kind))
		}
		if m.Metadata.Name == "" {
			errs = append(errs, fmt.Errorf("%s: metadata.name: required", meta))
		}
	}

	xrds := map[string]bool{} // apiVersion/kind of every referenceable XR version
	var comps []located
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || p == meta || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		objs, err := readObjects(p)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		for i, o := range objs {
			at := fmt.Sprintf("%s (document %d, %s %q)", p, i+1, o.Kind, o.Metadata.Name)
			if !contains(allowedObjects[kind], o.gvk()) {
				errs = append(errs, fmt.Errorf("%s: apiVersion %q, kind %q: a %s package may only carry %s", at, o.APIVersion, o.Kind, kind, strings.Join(allowedObjects[kind], "; ")))
				continue
			}
			switch o.Kind {
			case "CustomResourceDefinition", "CompositeResourceDefinition":
				for _, e := range checkDefinition(o) {
					errs = append(errs, fmt.Errorf("%s: %w", at, e))
				}
				for _, v := range o.Spec.Versions {
					if o.Kind == "CompositeResourceDefinition" && v.Referenceable {
						xrds[o.Spec.Group+"/"+v.Name+", Kind="+o.Spec.Names.Kind] = true
					}
				}
			case "Composition":
				comps = append(comps, located{at, o})
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("cannot read package root %s: %w", root, err))
	}
	for _, c := range comps {
		ref := c.obj.Spec.CompositeTypeRef
		if !xrds[ref.APIVersion+", Kind="+ref.Kind] {
			errs = append(errs, fmt.Errorf("%s: spec.compositeTypeRef %s, Kind=%s: no XRD in the package defines it as a referenceable version", c.at, ref.APIVersion, ref.Kind))
		}
	}
	return errors.Join(errs...)
}

type located struct {
	at  string
	obj object
}

// checkDefinition checks the fields of a CRD or XRD that Kubernetes and
// Crossplane require: https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
// (name is <plural>.<group>; exactly one storage version; a v1 CRD needs a
// structural schema per version) and, for XRDs, exactly one referenceable
// version (https://docs.crossplane.io/latest/composition/composite-resource-definitions/).
func checkDefinition(o object) []error {
	var errs []error
	s := o.Spec
	if !dns1123Subdomain.MatchString(s.Group) || !strings.Contains(s.Group, ".") {
		errs = append(errs, fmt.Errorf("spec.group %q: must be a DNS subdomain with at least one dot, such as example.org", s.Group))
	}
	if s.Names.Kind == "" {
		errs = append(errs, errors.New("spec.names.kind: required"))
	}
	if s.Names.Plural == "" || !dns1123Subdomain.MatchString(s.Names.Plural) {
		errs = append(errs, fmt.Errorf("spec.names.plural %q: required, lower-case letters, digits and dashes", s.Names.Plural))
	}
	if want := s.Names.Plural + "." + s.Group; o.Metadata.Name != want {
		errs = append(errs, fmt.Errorf("metadata.name %q: must be <spec.names.plural>.<spec.group>, %q", o.Metadata.Name, want))
	}
	if o.Kind == "CustomResourceDefinition" && s.Scope != "Namespaced" && s.Scope != "Cluster" {
		errs = append(errs, fmt.Errorf("spec.scope %q: must be Namespaced or Cluster", s.Scope))
	}
	// An apiextensions.crossplane.io/v2 XRD is Namespaced unless it says
	// otherwise, and the API server refuses one with claims or XR
	// connection secrets (crossplane/apis v2.4.0 apiextensions/v2/
	// xrd_types.go: "Claims aren't supported in apiextensions.crossplane.io/v2",
	// "XR connection secrets aren't supported ..."): the package would
	// build and fail only on install.
	if o.gvk() == "apiextensions.crossplane.io/v2, Kind=CompositeResourceDefinition" {
		if s.Scope != "" && s.Scope != "Namespaced" && s.Scope != "Cluster" && s.Scope != "LegacyCluster" {
			errs = append(errs, fmt.Errorf("spec.scope %q: must be Namespaced, Cluster or LegacyCluster", s.Scope))
		}
		if s.ClaimNames != nil {
			errs = append(errs, errors.New("spec.claimNames: an apiextensions.crossplane.io/v2 XRD has no claims (use apiextensions.crossplane.io/v1 for a claim)"))
		}
		if s.ConnectionSecretKeys != nil {
			errs = append(errs, errors.New("spec.connectionSecretKeys: an apiextensions.crossplane.io/v2 XRD has no XR connection secrets (compose a Secret)"))
		}
	}
	if len(s.Versions) == 0 {
		return append(errs, errors.New("spec.versions: at least one version is required"))
	}
	storage, ref := 0, 0
	for i, v := range s.Versions {
		if v.Name == "" {
			errs = append(errs, fmt.Errorf("spec.versions[%d].name: required", i))
		}
		if v.Storage {
			storage++
		}
		if v.Referenceable {
			ref++
		}
		if v.Schema["openAPIV3Schema"] == nil {
			errs = append(errs, fmt.Errorf("spec.versions[%d] (%s).schema.openAPIV3Schema: required", i, v.Name))
		}
	}
	if o.Kind == "CustomResourceDefinition" && storage != 1 {
		errs = append(errs, fmt.Errorf("spec.versions: %d versions have storage: true; exactly one must", storage))
	}
	if o.Kind == "CompositeResourceDefinition" && ref != 1 {
		errs = append(errs, fmt.Errorf("spec.versions: %d versions have referenceable: true; exactly one must", ref))
	}
	return errs
}

// readObjects decodes every YAML document of a file; empty documents are
// skipped, and a document without apiVersion, kind or metadata.name is an
// error.
func readObjects(path string) ([]object, error) {
	f, err := os.Open(path) //nolint:gosec // the package root is the caller's input.
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read only.
	var objs []object
	d := yaml.NewDecoder(f)
	for i := 1; ; i++ {
		var n yaml.Node
		if err := d.Decode(&n); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s (document %d): not valid YAML: %w", path, i, err)
		}
		if len(n.Content) == 0 || n.Content[0].Tag == "!!null" {
			continue
		}
		var o object
		if err := n.Decode(&o); err != nil {
			return nil, fmt.Errorf("%s (document %d): not a Kubernetes object: %w", path, i, err)
		}
		var missing []string
		for f, v := range map[string]string{"apiVersion": o.APIVersion, "kind": o.Kind, "metadata.name": o.Metadata.Name} {
			if v == "" {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, fmt.Errorf("%s (document %d): missing %s: every package file must be a Kubernetes object", path, i, strings.Join(missing, ", "))
		}
		objs = append(objs, o)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
