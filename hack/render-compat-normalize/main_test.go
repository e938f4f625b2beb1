package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const v2 = `---
apiVersion: platform.paved.dev/v1alpha1
kind: XDatabase
metadata:
  name: db
spec:
  compositionRef: {name: c}
  resourceRefs: [{kind: Instance, name: db-instance}]
status:
  claimConditionTypes: [DatabaseReady]
  conditions:
  - {type: Responsive, status: "True", reason: WatchCircuitClosed}
  - {type: Synced, status: "True", reason: ReconcileSuccess}
  - {type: Ready, status: "False", reason: Creating}
  - {type: DatabaseReady, status: "False", reason: Creating}
---
apiVersion: rds.aws.upbound.io/v1beta2
kind: Instance
metadata:
  name: db-instance
spec: {forProvider: {publiclyAccessible: false}}
`

const v1 = `---
apiVersion: rds.aws.upbound.io/v1beta2
kind: Instance
metadata:
  generateName: db-
  name: db-instance
spec: {forProvider: {publiclyAccessible: false}}
---
apiVersion: platform.paved.dev/v1alpha1
kind: XDatabase
metadata:
  name: db
spec:
  compositionRef: {name: c}
status:
  conditions:
  - {type: DatabaseReady, status: "False", reason: Creating}
  - {type: Ready, status: "False", reason: Creating, message: "Unready resources: instance"}
`

// What the engines write differently by design normalizes away; what the
// function composes does not.
func TestNormalizeYAML(t *testing.T) {
	a, err := normalizeYAML([]byte(v2))
	if err != nil {
		t.Fatal(err)
	}
	b, err := normalizeYAML([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("v2 and v1 renders of the same composition differ (-v2 +v1):\n%s", diff)
	}
	for name, change := range map[string][2]string{
		"ComposedField":       {"publiclyAccessible: false", "publiclyAccessible: true"},
		"FunctionCondition":   {"{type: DatabaseReady, status: \"False\"", "{type: DatabaseReady, status: \"True\""},
		"ComposedNameChanged": {"  name: db-instance\nspec", "  name: db-other\nspec"},
		"Readiness":           {"{type: Ready, status: \"False\", reason: Creating", "{type: Ready, status: \"True\", reason: Available"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := normalizeYAML([]byte(strings.Replace(v1, change[0], change[1], 1)))
			if err != nil {
				t.Fatal(err)
			}
			if c == a {
				t.Errorf("changing %q to %q normalized away", change[0], change[1])
			}
		})
	}
}

func TestNormalizeError(t *testing.T) {
	v2 := "exit code: 1\ncrossplane: error: cannot render composite resource: crossplane internal render: pipeline returned fatal: crossplane: error: cannot render composite resource: cannot compose resources: pipeline step \"compose\" returned a fatal result: spec.size: invalid value \"huge\"\n"
	v1 := "exit code: 1\ncrossplane: error: cannot render composite resource: pipeline step \"compose\" returned a fatal result: spec.size: invalid value \"huge\"\n"
	if a, b := normalizeError(v2), normalizeError(v1); a != b || a != "fatal: spec.size: invalid value \"huge\"\n" {
		t.Errorf("normalizeError: %q and %q", a, b)
	}
}
