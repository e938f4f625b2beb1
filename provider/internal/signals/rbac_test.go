package signals

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

const rbacFile = "../../../package/provider/install/platform-metrics-rbac.yaml"

// plurals of the kinds the metrics read: paved's from its XRDs (apis/), Argo
// CD's Application from its CRD (argo-cd v3.1.0
// manifests/crds/application-crd.yaml, spec.names.plural).
func plurals(t *testing.T) map[schema.GroupKind]string {
	t.Helper()
	// Crossplane's Operation: crossplane v2.4.0
	// cluster/crds/ops.crossplane.io_operations.yaml, spec.names.plural.
	p := map[schema.GroupKind]string{Application.GroupKind(): "applications", Operation.GroupKind(): "operations"}
	defs, err := filepath.Glob("../../../apis/*/definition.yaml")
	if err != nil || len(defs) == 0 {
		t.Fatalf("no XRDs under apis/: %v", err)
	}
	for _, f := range defs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var xrd struct {
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind   string `json:"kind"`
					Plural string `json:"plural"`
				} `json:"names"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &xrd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		p[schema.GroupKind{Group: xrd.Spec.Group, Kind: xrd.Spec.Names.Kind}] = xrd.Spec.Names.Plural
	}
	return p
}

// TestRBACCoversSources: the ClusterRole make xpkg ships for the metrics
// lets provider-paved get, list and watch every kind they read, and
// nothing more; its binding names the service account the
// DeploymentRuntimeConfig gives provider-paved. (make xpkg-test checks the
// file reaches _output/xpkg/install unchanged.)
func TestRBACCoversSources(t *testing.T) {
	b, err := os.ReadFile(rbacFile)
	if err != nil {
		t.Fatal(err)
	}
	var (
		role    *rbacv1.ClusterRole
		binding *rbacv1.ClusterRoleBinding
		saName  string
	)
	for doc := range strings.SplitSeq(string(b), "\n---\n") {
		var meta struct {
			Kind string `json:"kind"`
			Spec struct {
				ServiceAccountTemplate struct {
					Metadata struct {
						Name string `json:"name"`
					} `json:"metadata"`
				} `json:"serviceAccountTemplate"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("%s: %v", rbacFile, err)
		}
		switch meta.Kind {
		case "ClusterRole":
			role = &rbacv1.ClusterRole{}
			err = yaml.UnmarshalStrict([]byte(doc), role)
		case "ClusterRoleBinding":
			binding = &rbacv1.ClusterRoleBinding{}
			err = yaml.UnmarshalStrict([]byte(doc), binding)
		case "DeploymentRuntimeConfig":
			saName = meta.Spec.ServiceAccountTemplate.Metadata.Name
		default:
			t.Errorf("%s: unexpected kind %q", rbacFile, meta.Kind)
		}
		if err != nil {
			t.Fatalf("%s: %s: %v", rbacFile, meta.Kind, err)
		}
	}
	if role == nil || binding == nil || saName == "" {
		t.Fatalf("%s: want a ClusterRole, a ClusterRoleBinding and a DeploymentRuntimeConfig naming a service account", rbacFile)
	}

	read := []string{"get", "list", "watch"}
	for _, r := range role.Rules {
		if !slices.Equal(r.Verbs, read) || len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %+v: want verbs %v on whole resources only", r, read)
		}
	}
	allows := func(group, resource string) bool {
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) {
				return true
			}
		}
		return false
	}
	p := plurals(t)
	for _, gvk := range Watched {
		plural, ok := p[gvk.GroupKind()]
		if !ok {
			t.Errorf("no XRD or CRD gives the plural of %s", gvk.GroupKind())
			continue
		}
		if !allows(gvk.Group, plural) {
			t.Errorf("%s does not let provider-paved read %s.%s", role.Name, plural, gvk.Group)
		}
	}

	if binding.RoleRef.Kind != "ClusterRole" || binding.RoleRef.Name != role.Name {
		t.Errorf("binding refers to %s %q, want ClusterRole %q", binding.RoleRef.Kind, binding.RoleRef.Name, role.Name)
	}
	if len(binding.Subjects) != 1 || binding.Subjects[0].Kind != "ServiceAccount" || binding.Subjects[0].Name != saName || binding.Subjects[0].Namespace != "crossplane-system" {
		t.Errorf("binding subjects %+v, want the ServiceAccount crossplane-system/%s", binding.Subjects, saName)
	}
}
