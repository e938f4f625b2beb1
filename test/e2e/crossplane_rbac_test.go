//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Crossplane's service account and the ClusterRole its Helm chart binds to
// it (crossplane v2.4.0 cluster/charts/crossplane/templates/serviceaccount.yaml
// and clusterrolebinding.yaml, default values: serviceAccount.create true,
// the chart's name "crossplane", the release namespace).
const (
	crossplaneSA        = "crossplane"
	crossplaneRole      = "crossplane"
	crossplaneNamespace = "crossplane-system"
)

// chartClusterRoles renders Crossplane v2.4.0's
// cluster/charts/crossplane/templates/clusterrole.yaml with the chart's
// default values (rbacManager.deploy: true, no nameOverride): the
// `crossplane` ClusterRole, whose aggregationRule selects every ClusterRole
// labelled rbac.crossplane.io/aggregate-to-crossplane: "true", and
// `crossplane:system:aggregate-to-crossplane` with core's own rules. The
// file is read from the core module (next to the cluster/crds the harness
// installs); only the template directives it holds are rendered, and any
// other directive fails the test rather than being guessed.
func chartClusterRoles(t *testing.T) []*rbacv1.ClusterRole {
	t.Helper()
	crds := os.Getenv("PAVED_E2E_CROSSPLANE_CRDS")
	if crds == "" {
		t.Fatal("PAVED_E2E_CROSSPLANE_CRDS is not set (harness.BinariesFromEnv)")
	}
	path := filepath.Join(filepath.Dir(crds), "charts", "crossplane", "templates", "clusterrole.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		switch strings.TrimSpace(line) {
		case `{{- if .Values.rbacManager.deploy }}`, `{{- end }}`:
			continue // rbacManager.deploy defaults to true: keep what it guards.
		case `{{- include "crossplane.labels" . | indent 4 }}`:
			continue // helm.sh/chart, app.kubernetes.io/*: not what RBAC reads.
		}
		line = strings.ReplaceAll(line, `{{ template "crossplane.name" . }}`, "crossplane")
		if strings.Contains(line, "{{") {
			t.Fatalf("%s: template directive this test does not render: %q", path, line)
		}
		out = append(out, line)
	}
	var roles []*rbacv1.ClusterRole
	for doc := range strings.SplitSeq(strings.Join(out, "\n"), "\n---\n") {
		r := &rbacv1.ClusterRole{}
		if err := yaml.UnmarshalStrict([]byte(doc), r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		roles = append(roles, r)
	}
	if len(roles) != 2 || roles[0].Name != crossplaneRole || roles[0].AggregationRule == nil {
		t.Fatalf("%s: want the aggregated %q ClusterRole and its system rules, got %d roles", path, crossplaneRole, len(roles))
	}
	return roles
}

// TestCrossplaneRBAC installs Crossplane's RBAC as its v2.4.0 Helm chart
// does, then paved's apis/servicebundle/rbac.yaml, and asks the API
// server (SubjectAccessReviews) what Crossplane's service account may do:
// kube-controller-manager's clusterrole-aggregation controller (the
// harness runs it) folds rbac.yaml into Crossplane's ClusterRole, which
// then lets Crossplane manage Argo CD Applications, and nothing else
// besides what Crossplane already had. Deleting rbac.yaml's ClusterRole
// takes the permission away again.
func TestCrossplaneRBAC(t *testing.T) {
	ctx := context.Background()
	// paved's ClusterRole, as the README says to apply it (from
	// apis/servicebundle; make xpkg stages it into _output/xpkg/install).
	paved := readObjects(t, filepath.Join(repoRoot, "apis", "servicebundle", "rbac.yaml"))
	if len(paved) != 1 || paved[0].GetKind() != "ClusterRole" {
		t.Fatalf("apis/servicebundle/rbac.yaml: want one ClusterRole, got %d objects", len(paved))
	}
	pavedRole := &rbacv1.ClusterRole{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(paved[0].Object, pavedRole); err != nil {
		t.Fatal(err)
	}
	// Start from a cluster without it (a test before may have applied it).
	if err := cp.Client.Delete(ctx, pavedRole); err != nil && !kerrors.IsNotFound(err) {
		t.Fatal(err)
	}

	createNamespace(ctx, t, crossplaneNamespace)
	roles := chartClusterRoles(t)
	var objs []client.Object
	for _, r := range roles {
		objs = append(objs, r)
	}
	objs = append(objs,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: crossplaneSA, Namespace: crossplaneNamespace}},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: crossplaneRole},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: crossplaneRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: crossplaneSA, Namespace: crossplaneNamespace}},
		})
	for _, o := range objs {
		if err := cp.Client.Create(ctx, o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
	system := roles[1]
	sa := "system:serviceaccount:" + crossplaneNamespace + ":" + crossplaneSA

	// The aggregation controller gives the empty `crossplane` role the
	// rules of every selected role: at first only core's own.
	aggregated(ctx, t, system.Rules)
	awaitAccess(ctx, t, sa, authzv1.ResourceAttributes{Group: "", Resource: "secrets", Verb: "get", Namespace: "team-orders"}, true)
	for _, a := range []authzv1.ResourceAttributes{
		{Group: "", Resource: "secrets", Verb: "get", Namespace: "team-orders"},
		{Group: "protection.crossplane.io", Resource: "usages", Verb: "create", Namespace: "argocd"},
	} {
		expectAccess(ctx, t, sa, a, true)
	}
	for _, verb := range []string{"get", "create"} {
		expectAccess(ctx, t, sa, authzv1.ResourceAttributes{Group: "argoproj.io", Resource: "applications", Verb: verb, Namespace: "argocd"}, false)
	}

	// Apply it.
	begin := time.Now()
	createAll(ctx, t, paved...)
	// Crossplane's role gains exactly rbac.yaml's rules, nothing more.
	aggregated(ctx, t, append(slices.Clone(system.Rules), pavedRole.Rules...))
	t.Logf("figure: rbac.yaml aggregated into Crossplane's ClusterRole %.2fs after it was applied", time.Since(begin).Seconds())
	awaitAccess(ctx, t, sa, authzv1.ResourceAttributes{Group: "argoproj.io", Resource: "applications", Verb: "create", Namespace: "argocd"}, true)

	for _, ns := range []string{"argocd", ""} {
		for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
			expectAccess(ctx, t, sa, authzv1.ResourceAttributes{Group: "argoproj.io", Resource: "applications", Verb: verb, Namespace: ns}, true)
		}
	}
	for _, a := range []authzv1.ResourceAttributes{
		// Not more on Applications than composing them needs...
		{Group: "argoproj.io", Resource: "applications", Verb: "deletecollection", Namespace: "argocd"},
		{Group: "argoproj.io", Resource: "applications", Subresource: "status", Verb: "update", Namespace: "argocd"},
		// ...and nothing else of Argo CD's: a project decides what a team
		// may deploy where, and ApplicationSets generate Applications.
		{Group: "argoproj.io", Resource: "appprojects", Verb: "get", Namespace: "argocd"},
		{Group: "argoproj.io", Resource: "appprojects", Verb: "update", Namespace: "argocd"},
		{Group: "argoproj.io", Resource: "applicationsets", Verb: "create", Namespace: "argocd"},
	} {
		expectAccess(ctx, t, sa, a, false)
	}

	// rbac.yaml's role on its own grants nothing but Applications: a
	// subject bound only to it may not read secrets or projects.
	const probe = "paved-rbac-probe"
	for _, o := range []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: probe, Namespace: crossplaneNamespace}},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: probe},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pavedRole.Name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: probe, Namespace: crossplaneNamespace}},
		},
	} {
		if err := cp.Client.Create(ctx, o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
	probeSA := "system:serviceaccount:" + crossplaneNamespace + ":" + probe
	// The authorizer sees the new binding through its informer.
	awaitAccess(ctx, t, probeSA, authzv1.ResourceAttributes{Group: "argoproj.io", Resource: "applications", Verb: "create", Namespace: "argocd"}, true)
	for _, a := range []authzv1.ResourceAttributes{
		{Group: "", Resource: "secrets", Verb: "get", Namespace: "argocd"},
		{Group: "", Resource: "secrets", Verb: "list", Namespace: ""},
		{Group: "argoproj.io", Resource: "appprojects", Verb: "get", Namespace: "argocd"},
		{Group: "protection.crossplane.io", Resource: "usages", Verb: "create", Namespace: "argocd"},
	} {
		expectAccess(ctx, t, probeSA, a, false)
	}

	// Deleting rbac.yaml's role takes the permission away again: it is
	// the aggregation, not anything else, that grants it.
	if err := cp.Client.Delete(ctx, pavedRole); err != nil {
		t.Fatal(err)
	}
	aggregated(ctx, t, system.Rules)
	createApps := authzv1.ResourceAttributes{Group: "argoproj.io", Resource: "applications", Verb: "create", Namespace: "argocd"}
	awaitAccess(ctx, t, sa, createApps, false)
	expectAccess(ctx, t, sa, createApps, false)
	// Put it back for whatever runs next, as a platform team has it.
	createAll(ctx, t, paved...)
	aggregated(ctx, t, append(slices.Clone(system.Rules), pavedRole.Rules...))
}

// aggregated waits until Crossplane's ClusterRole holds exactly want, as
// the clusterrole-aggregation controller writes it.
func aggregated(ctx context.Context, t *testing.T, want []rbacv1.PolicyRule) {
	t.Helper()
	eventually(ctx, t, time.Minute, "Crossplane's ClusterRole aggregates "+rulesString(want), func(ctx context.Context) error {
		r := &rbacv1.ClusterRole{}
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: crossplaneRole}, r); err != nil {
			return err
		}
		if !sameRules(r.Rules, want) {
			return fmt.Errorf("rules %s", rulesString(r.Rules))
		}
		return nil
	})
}

// sameRules compares rules as sets: the controller orders them by the
// name of the role they come from.
func sameRules(got, want []rbacv1.PolicyRule) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(g, w) }) {
			return false
		}
	}
	return true
}

func rulesString(rules []rbacv1.PolicyRule) string {
	s := make([]string, 0, len(rules))
	for _, r := range rules {
		s = append(s, fmt.Sprintf("%v/%v:%v", r.APIGroups, r.Resources, r.Verbs))
	}
	return strings.Join(s, " ")
}

// expectAccess asks the API server's authorizer whether the service
// account user may do a, and fails unless the answer is want.
// awaitAccess waits until the API server's authorizer answers want for a:
// it reads roles from its own informer, which may see a change of the
// aggregated role a moment after a GET of the role does.
func awaitAccess(ctx context.Context, t *testing.T, user string, a authzv1.ResourceAttributes, want bool) {
	t.Helper()
	eventually(ctx, t, time.Minute, fmt.Sprintf("%s may %s %s.%s: %t", user, a.Verb, a.Resource, a.Group, want), func(ctx context.Context) error {
		allowed, reason, err := access(ctx, user, a)
		if err != nil {
			return err
		}
		if allowed != want {
			return fmt.Errorf("%t (%s)", allowed, reason)
		}
		return nil
	})
}

// access asks the API server whether user may do a (SubjectAccessReview).
func access(ctx context.Context, user string, a authzv1.ResourceAttributes) (bool, string, error) {
	ns := strings.Split(user, ":")[2]
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User:               user,
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
		ResourceAttributes: &a,
	}}
	if err := cp.Client.Create(ctx, sar); err != nil {
		return false, "", fmt.Errorf("SubjectAccessReview: %w", err)
	}
	return sar.Status.Allowed, sar.Status.Reason, nil
}

func expectAccess(ctx context.Context, t *testing.T, user string, a authzv1.ResourceAttributes, want bool) {
	t.Helper()
	allowed, reason, err := access(ctx, user, a)
	if err != nil {
		t.Fatal(err)
	}
	if allowed != want {
		where := "cluster-wide"
		if a.Namespace != "" {
			where = "in " + a.Namespace
		}
		res := a.Resource
		if a.Subresource != "" {
			res += "/" + a.Subresource
		}
		t.Errorf("%s may %s %s.%s %s: %t, want %t (%s)", user, a.Verb, res, a.Group, where, allowed, want, reason)
	}
}
