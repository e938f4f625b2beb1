//go:build operationrender

package fn

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// TestDayTwoOperationRender renders the shipped CronOperation's operation
// (package/operations/daytwo.yaml) with the crossplane CLI's `operation
// render` and Crossplane core's own Operation engine (`crossplane internal
// render` of the pinned core, --crossplane-binary), the function served on
// loopback as render's Development runtime calls it, on the day-two
// objects of TestDayTwoOperationGRPC: a database whose CA expires in 20
// days and whose engine left standard support. Both are reported, and the
// only objects the Operation would apply are the two Events on its claim.
// make operation-render (in make test) sets the binaries and the
// operationrender build tag.
func TestDayTwoOperationRender(t *testing.T) {
	cli, core := os.Getenv("PAVED_CROSSPLANE_CLI"), os.Getenv("PAVED_CROSSPLANE_CORE")
	if cli == "" || core == "" {
		t.Fatal("PAVED_CROSSPLANE_CLI and PAVED_CROSSPLANE_CORE are not set: run make operation-render")
	}
	f := New(logging.NewNopLogger())
	f.now = func() time.Time { return aug2 }
	addr := serve(t, f)
	dir := t.TempDir()

	// The Operation each run of the CronOperation creates: its template.
	b, err := os.ReadFile(filepath.Join("..", "package", "operations", "daytwo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cron struct {
		Spec struct {
			OperationTemplate struct {
				Spec map[string]any `json:"spec"`
			} `json:"operationTemplate"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &cron); err != nil {
		t.Fatal(err)
	}
	write := func(name string, docs ...any) string {
		var out []byte
		for _, d := range docs {
			y, err := yaml.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			out = append(append(out, "---\n"...), y...)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, out, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	op := write("operation.yaml", map[string]any{
		"apiVersion": "ops.crossplane.io/v1alpha1", "kind": "Operation",
		"metadata": map[string]any{"name": "paved-database-checks-28712345"},
		"spec":     cron.Spec.OperationTemplate.Spec,
	})
	fns := write("functions.yaml", map[string]any{
		"apiVersion": "pkg.crossplane.io/v1", "kind": "Function",
		"metadata": map[string]any{"name": "function-paved", "annotations": map[string]any{
			"render.crossplane.io/runtime":                    "Development",
			"render.crossplane.io/runtime-development-target": addr,
		}},
		"spec": map[string]any{"package": "xpkg.paved.dev/paved-dev/function-paved:v0.1.0"},
	})
	instances, composites, claims := dayTwoObjects()
	var objs []any
	for _, r := range append(append(instances, composites...), claims...) {
		j, err := protojson.Marshal(r.GetResource())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(j, &m); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, m)
	}
	req := write("required.yaml", objs...)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, cli, "operation", "render", op, fns, "--crossplane-binary="+core, "-e", req, "-r")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("crossplane operation render: %v\n%s\n%s", err, stderr.String(), stdout.String())
	}

	var kinds, events, warnings []string
	var output map[string]any
	for doc := range strings.SplitSeq(stdout.String(), "\n---\n") {
		var o map[string]any
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil || o == nil {
			continue
		}
		kind, _ := o["kind"].(string)
		kinds = append(kinds, kind)
		switch kind {
		case "Operation":
			st, _ := o["status"].(map[string]any)
			ps, _ := st["pipeline"].([]any)
			if len(ps) == 1 {
				output, _ = ps[0].(map[string]any)["output"].(map[string]any)
			}
		case "Event":
			io, _ := o["involvedObject"].(map[string]any)
			events = append(events, o["reason"].(string)+" on "+io["kind"].(string)+" "+io["namespace"].(string)+"/"+io["name"].(string)+" uid "+io["uid"].(string))
		case "Result":
			// The Operation's events, as core records them
			// (reason RunPipelineStep).
			if o["severity"] == "Warning" {
				warnings = append(warnings, o["message"].(string))
			}
		}
	}
	t.Logf("rendered: %v", kinds)
	// operation render prints what the Operation would apply in no fixed
	// order (the two Events came out either way round, one run in two),
	// so both lists are compared sorted.
	slices.Sort(events)
	slices.Sort(warnings)
	wantEvents := []string{
		"CACertificateExpiry on DatabaseClaim team-ledger/legacy-db uid c-1",
		"StandardSupportEnd on DatabaseClaim team-ledger/legacy-db uid c-1",
	}
	if strings.Join(events, "\n") != strings.Join(wantEvents, "\n") {
		t.Errorf("Events the Operation would apply:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(wantEvents, "\n"))
	}
	for _, k := range kinds {
		if k != "Operation" && k != "Event" && k != "Result" {
			t.Errorf("the Operation would apply a %s: the checks may only report", k)
		}
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "MySQL 5.7 reached the end of RDS standard support on 2024-02-29") ||
		!strings.Contains(warnings[1], "rds-ca-2019 expires on 2024-08-22 (20 days)") {
		t.Errorf("warnings %q, want the CA's expiry in 20 days and the end of standard support", warnings)
	}
	if output == nil || output["checked"] != float64(2) {
		t.Errorf("the Operation's status.pipeline output %v, want 2 databases checked", output)
	}
}
