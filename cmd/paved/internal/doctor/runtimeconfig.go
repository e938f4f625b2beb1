package doctor

import (
	"context"
	"fmt"
	"strings"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The platform metrics' RBAC as make xpkg ships it
// (package/provider/install/platform-metrics-rbac.yaml): a ClusterRoleBinding
// that lets one service account read paved's composites and Argo CD's
// Applications, and the DeploymentRuntimeConfig that runs provider-paved
// as that account.
const (
	metricsBinding = "paved:provider-paved:platform-metrics"
	metricsRole    = "paved:provider-paved:platform-metrics"
	metricsInstall = "_output/xpkg/install/provider-platform-metrics-rbac.yaml"
)

// runtimeConfig checks that provider-paved runs as the service account the
// platform metrics' ClusterRoleBinding binds. Without it the provider
// works, but its platform metrics report paved's composites and Argo CD's
// Applications unavailable (platform_signals_source_available 0;
// docs/operations.md, "Platform metrics"): a warning, not a failure.
//
// A Provider runs as the service account its DeploymentRuntimeConfig's
// spec.serviceAccountTemplate.metadata.name names, in Crossplane's
// namespace (crossplane v2.4.0 internal/controller/pkg/runtime/runtime.go);
// a Provider without spec.runtimeConfigRef uses the DeploymentRuntimeConfig
// "default" (crossplane apis v2 pkg/v1/package_runtime_types.go,
// +kubebuilder:default={"name": "default"}), whose service account is one
// Crossplane names per package revision, which no binding can name ahead.
func (d *Doctor) runtimeConfig(ctx context.Context) Result {
	const what = "provider-paved platform metrics"
	p, res, found := d.providerPaved(ctx, what)
	if !found {
		return res
	}
	sa, res, found := d.metricsAccount(ctx, what)
	if !found {
		return res
	}
	rc, _, _ := unstructured.NestedString(p.Object, "spec", "runtimeConfigRef", "name")
	if rc == "" {
		rc = "default"
	}
	// A service account's name is a DNS subdomain: %q quotes it as JSON does.
	patch := fmt.Sprintf(`kubectl patch provider.pkg.crossplane.io %s --type merge -p '{"spec":{"runtimeConfigRef":{"name":%q}}}'`, p.GetName(), sa.Name)
	drc := &unstructured.Unstructured{}
	drc.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1beta1", Kind: "DeploymentRuntimeConfig"})
	if err := d.Client.Get(ctx, client.ObjectKey{Name: rc}, drc); err != nil {
		if kerrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			return warn(what, "Provider %s names DeploymentRuntimeConfig %s, which does not exist; apply %s and point the Provider at it: %s", p.GetName(), rc, metricsInstall, patch)
		}
		return fail(what, "cannot read DeploymentRuntimeConfig %s: %v", rc, err)
	}
	runAs, _, _ := unstructured.NestedString(drc.Object, "spec", "serviceAccountTemplate", "metadata", "name")
	if sa.Namespace != d.Namespace || runAs != sa.Name {
		return warn(what, "Provider %s runs with DeploymentRuntimeConfig %s (service account %s), but ClusterRoleBinding %s lets %s/%s read composites and Applications, so the platform metrics report them unavailable; point the Provider at the install's DeploymentRuntimeConfig: %s",
			p.GetName(), rc, orPerRevision(runAs), metricsBinding, sa.Namespace, sa.Name, patch)
	}
	return ok(what, "Provider %s runs as service account %s/%s (DeploymentRuntimeConfig %s), which ClusterRoleBinding %s lets read composites and Applications", p.GetName(), sa.Namespace, sa.Name, rc, metricsBinding)
}

// providerPaved returns the Provider of package provider-paved; packages
// reports it missing, so this check only says it cannot look.
func (d *Doctor) providerPaved(ctx context.Context, what string) (*unstructured.Unstructured, Result, bool) {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "ProviderList"})
	if err := d.Client.List(ctx, l); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fail(what, "the API server does not serve pkg.crossplane.io/v1 Provider: install Crossplane"), false
		}
		return nil, fail(what, "cannot list Providers: %v", err), false
	}
	for i := range l.Items {
		ref, _, _ := unstructured.NestedString(l.Items[i].Object, "spec", "package")
		repo, _ := splitPackage(ref)
		if repo[strings.LastIndexByte(repo, '/')+1:] == "provider-paved" {
			return &l.Items[i], Result{}, true
		}
	}
	return nil, fail(what, "no Provider of package provider-paved to check: install the Configuration paved (README, Install)"), false
}

// metricsAccount returns the service account the metrics'
// ClusterRoleBinding binds to the metrics' ClusterRole.
func (d *Doctor) metricsAccount(ctx context.Context, what string) (client.ObjectKey, Result, bool) {
	b := &unstructured.Unstructured{}
	b.SetGroupVersionKind(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"})
	if err := d.Client.Get(ctx, client.ObjectKey{Name: metricsBinding}, b); err != nil {
		if kerrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			return client.ObjectKey{}, warn(what, "no ClusterRoleBinding %s, so the platform metrics report composites and Applications unavailable; apply %s and point the Provider at its DeploymentRuntimeConfig (docs/operations.md, Platform metrics)", metricsBinding, metricsInstall), false
		}
		return client.ObjectKey{}, fail(what, "cannot read ClusterRoleBinding %s: %v", metricsBinding, err), false
	}
	role, _, _ := unstructured.NestedString(b.Object, "roleRef", "name")
	subjects, _, _ := unstructured.NestedSlice(b.Object, "subjects")
	for _, s := range subjects {
		m, _ := s.(map[string]any)
		if m["kind"] != "ServiceAccount" || role != metricsRole {
			continue
		}
		name, _ := m["name"].(string)
		ns, _ := m["namespace"].(string)
		return client.ObjectKey{Namespace: ns, Name: name}, Result{}, true
	}
	return client.ObjectKey{}, warn(what, "ClusterRoleBinding %s binds no service account to ClusterRole %s; re-apply %s", metricsBinding, metricsRole, metricsInstall), false
}

func orPerRevision(sa string) string {
	if sa == "" {
		return "one Crossplane names per package revision"
	}
	return sa
}
