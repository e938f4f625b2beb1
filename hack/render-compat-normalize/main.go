// Command render-compat-normalize reads a render (yaml) or a failed render's
// message (error) on stdin and writes it in a form that
// hack/render-compat.sh compares across crossplane CLI v2.5.0 (core v2.4.0's
// reconciler) and v1.20.1 (the in-process engine): documents sorted by kind
// and name with sorted keys, without what the engines write differently by
// design (see drop), and a fatal result reduced to the function's message.
package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) != 2 || (os.Args[1] != "yaml" && os.Args[1] != "error") {
		fmt.Fprintln(os.Stderr, "usage: render-compat-normalize yaml|error <in >out")
		os.Exit(2)
	}
	in, err := io.ReadAll(os.Stdin)
	if err == nil {
		var out string
		if os.Args[1] == "error" {
			out = normalizeError(string(in))
		} else {
			out, err = normalizeYAML(in)
		}
		if err == nil {
			_, err = io.WriteString(os.Stdout, out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "render-compat-normalize:", err)
		os.Exit(1)
	}
}

var fatal = regexp.MustCompile(`returned a fatal result: (.*)`)

// normalizeError keeps the function's fatal message: the wrapping around it
// names each CLI's own layers.
func normalizeError(s string) string {
	if m := fatal.FindStringSubmatch(s); m != nil {
		return "fatal: " + strings.TrimSpace(m[1]) + "\n"
	}
	return s
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

func normalizeYAML(in []byte) (string, error) {
	type doc struct {
		key string
		b   []byte
	}
	var docs []doc
	for _, d := range docSep.Split(string(in), -1) {
		if strings.TrimSpace(d) == "" {
			continue
		}
		var o map[string]any
		if err := yaml.Unmarshal([]byte(d), &o); err != nil {
			return "", err
		}
		if o == nil {
			continue
		}
		drop(o)
		b, err := yaml.Marshal(o)
		if err != nil {
			return "", err
		}
		md, _ := o["metadata"].(map[string]any)
		docs = append(docs, doc{key: fmt.Sprintf("%v/%v", o["kind"], md["name"]), b: b})
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].key < docs[j].key })
	var sb strings.Builder
	for _, d := range docs {
		sb.WriteString("---\n")
		sb.Write(d.b)
	}
	return sb.String(), nil
}

// drop removes what the engines write differently by design:
//   - metadata.generateName of a composed resource that has a name: v1.20's
//     engine keeps the prefix it would generate from; v2's reconciler
//     renders the object as it applies it, named;
//   - the XR's spec.resourceRefs: v2's reconciler records the composed
//     resources there, v1.20's render leaves the XR's spec as given;
//   - what v2's reconciler adds to the XR's status besides the function's
//     conditions: status.claimConditionTypes and its own Synced
//     (ReconcileSuccess) and Responsive (WatchCircuitClosed) conditions;
//     the remaining conditions are compared in type order;
//   - the message of the XR's Ready condition: paved's function states the
//     XR's readiness, which v1.20's reconciler and v2's honour (Creating
//     without a message; crossplane v1.20.1
//     internal/controller/apiextensions/composite/reconciler.go, "If the
//     composer explicitly specified the XR's readiness it supersedes
//     readiness derived from composed resources"), while v1.20's render
//     derives it from the composed resources alone, naming them
//     ("Unready resources: ...", cmd/crank/render/render.go). Status and
//     reason agree.
func drop(o map[string]any) {
	if md, ok := o["metadata"].(map[string]any); ok && md["name"] != nil {
		delete(md, "generateName")
	}
	spec, ok := o["spec"].(map[string]any)
	if !ok || spec["compositionRef"] == nil {
		return
	}
	delete(spec, "resourceRefs")
	status, ok := o["status"].(map[string]any)
	if !ok {
		return
	}
	delete(status, "claimConditionTypes")
	conds, _ := status["conditions"].([]any)
	kept := []any{}
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && (m["type"] == "Synced" || m["type"] == "Responsive") {
			continue
		}
		if ok && m["type"] == "Ready" {
			delete(m, "message")
		}
		kept = append(kept, c)
	}
	sort.SliceStable(kept, func(i, j int) bool {
		return fmt.Sprint(kept[i].(map[string]any)["type"]) < fmt.Sprint(kept[j].(map[string]any)["type"])
	})
	status["conditions"] = kept
}
