// Command claimxr turns claims into the composite resources Crossplane would
// make of them, so that `crossplane composition render` (which renders XRs,
// not claims) can render a team's claims through paved's Compositions. It is
// the claim step of examples/ci/render-claims.sh.
//
//	claimxr -apis apis -out DIR FILE...
//
// For every claim in FILE it writes DIR/NAMESPACE-NAME.yaml and prints one
// line "NAME XR COMPOSITION XRD". A file's composite resources (already XRs)
// are passed through.
package main

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "claimxr:", err)
		os.Exit(1)
	}
}

// xrd is the part of an XRD and its Composition that the conversion needs.
type xrd struct {
	File, Group, Kind, ClaimKind, Composition, CompositionFile string
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("claimxr", flag.ContinueOnError)
	apis := fs.String("apis", "apis", "Directory of paved's XRDs and Compositions (apis/<kind>/definition.yaml and composition.yaml).")
	out := fs.String("out", "", "Directory to write the composite resources to.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return errors.New("usage: claimxr -apis DIR -out DIR FILE [FILE ...]")
	}
	xrds, err := loadXRDs(*apis)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, f := range fs.Args() {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		for i, doc := range documents(b) {
			var o map[string]any
			if err := yaml.Unmarshal(doc, &o); err != nil {
				return fmt.Errorf("%s (document %d): %w", f, i+1, err)
			}
			if o == nil {
				continue
			}
			xr, x, err := Convert(o, xrds)
			if err != nil {
				return fmt.Errorf("%s (document %d): %w", f, i+1, err)
			}
			md, _ := o["metadata"].(map[string]any)
			name := fmt.Sprintf("%v-%v", orDefault(md["namespace"], "default"), md["name"])
			b, err := yaml.Marshal(xr)
			if err != nil {
				return err
			}
			p := filepath.Join(*out, name+".yaml")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintln(stdout, name, p, x.CompositionFile, x.File)
		}
	}
	return nil
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

func documents(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range docSep.Split(string(b), -1) {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func loadXRDs(apis string) ([]xrd, error) {
	defs, err := filepath.Glob(filepath.Join(apis, "*", "definition.yaml"))
	if err != nil {
		return nil, fmt.Errorf("cannot list XRDs in %s: %w", apis, err)
	}
	if len(defs) == 0 {
		return nil, fmt.Errorf("no XRDs in %s/*/definition.yaml", apis)
	}
	var xs []xrd
	for _, d := range defs {
		var def struct {
			Spec struct {
				Group string
				Names struct{ Kind string }
				// Only legacy XRDs (apiextensions.crossplane.io/v1) have claims.
				ClaimNames            *struct{ Kind string } `json:"claimNames"`
				DefaultCompositionRef *struct{ Name string } `json:"defaultCompositionRef"`
			}
		}
		b, err := os.ReadFile(d)
		if err != nil {
			return nil, err
		}
		if err := yaml.Unmarshal(b, &def); err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		x := xrd{File: d, Group: def.Spec.Group, Kind: def.Spec.Names.Kind, CompositionFile: filepath.Join(filepath.Dir(d), "composition.yaml")}
		if def.Spec.ClaimNames != nil {
			x.ClaimKind = def.Spec.ClaimNames.Kind
		}
		var comp struct{ Metadata struct{ Name string } }
		if cb, err := os.ReadFile(x.CompositionFile); err == nil && yaml.Unmarshal(cb, &comp) == nil {
			x.Composition = comp.Metadata.Name
		}
		if def.Spec.DefaultCompositionRef != nil {
			x.Composition = def.Spec.DefaultCompositionRef.Name
		}
		xs = append(xs, x)
	}
	return xs, nil
}

// Convert returns the composite resource Crossplane makes of a claim: the
// claim's spec, the claim labels and spec.claimRef, the Composition, and the
// connection secret in crossplane-system named by the XR's uid, as
// Crossplane's claim reconciler does (crossplane v2.4.0
// internal/controller/apiextensions/claim/syncer_csa.go and configurator.go).
// The generated name suffix and the uid are derived from the claim's
// namespace and name, so renders are stable. An XR is returned unchanged.
func Convert(o map[string]any, xrds []xrd) (map[string]any, xrd, error) {
	apiVersion, _ := o["apiVersion"].(string)
	kind, _ := o["kind"].(string)
	group, _, _ := strings.Cut(apiVersion, "/")
	for _, x := range xrds {
		if x.Group == group && x.Kind == kind {
			return o, x, nil
		}
		if x.Group != group || x.ClaimKind == "" || x.ClaimKind != kind {
			continue
		}
		md, _ := o["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		ns, _ := md["namespace"].(string)
		if name == "" || ns == "" {
			return nil, x, fmt.Errorf("%s: metadata.name %q and metadata.namespace %q: a claim needs both", kind, name, ns)
		}
		sum := sha256.Sum256([]byte(ns + "/" + name))
		h := fmt.Sprintf("%x", sum)
		uid := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		spec := map[string]any{}
		if s, ok := o["spec"].(map[string]any); ok {
			maps.Copy(spec, s)
		}
		spec["claimRef"] = map[string]any{"apiVersion": apiVersion, "kind": kind, "name": name, "namespace": ns}
		if _, ok := spec["compositionRef"]; !ok && x.Composition != "" {
			spec["compositionRef"] = map[string]any{"name": x.Composition}
		}
		if _, ok := spec["writeConnectionSecretToRef"]; ok {
			spec["writeConnectionSecretToRef"] = map[string]any{"name": uid, "namespace": "crossplane-system"}
		}
		xr := map[string]any{
			"apiVersion": apiVersion,
			"kind":       x.Kind,
			"metadata": map[string]any{
				"name": name + "-" + h[32:37],
				"uid":  uid,
				"labels": map[string]any{
					"crossplane.io/claim-name":      name,
					"crossplane.io/claim-namespace": ns,
				},
			},
			"spec": spec,
		}
		return xr, x, nil
	}
	return nil, xrd{}, fmt.Errorf("apiVersion %q, kind %q: not a claim or composite resource of paved's XRDs", apiVersion, kind)
}

func orDefault(v any, d string) any {
	if s, _ := v.(string); s != "" {
		return s
	}
	return d
}
