package doctor

import (
	"context"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const whatAppProject = "argocd appproject"

// Argo CD's AppProject (https://argo-cd.readthedocs.io/en/stable/operator-manual/project.yaml).
var gvkAppProject = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "AppProject"}

// appProjects checks that the AppProject of every namespace the
// environment maps exists in Argo CD's namespace: an Application whose
// project does not exist is never Ready and cannot be deleted
// (docs/operations.md, "What ServiceBundles need outside Crossplane").
// Which project each namespace gets is function-paved's own rule
// (envconfig.ServiceBundle.MappedTenants).
func (d *Doctor) appProjects(ctx context.Context, env *Environment) []Result {
	if env == nil || (env.Bundle == nil && env.BundleErr == nil) {
		return []Result{ok(whatAppProject, "no serviceBundle section in the EnvironmentConfig: ServiceBundles are not set up, so no AppProject is needed yet")}
	}
	if env.BundleErr != nil {
		return []Result{fail(whatAppProject, "function-paved refuses the EnvironmentConfig's serviceBundle section, so every ServiceBundle fails to compose: %v; fix it (docs/environment.md)", env.BundleErr)}
	}
	sb := env.Bundle
	ts, err := sb.MappedTenants()
	if err != nil {
		return []Result{fail(whatAppProject, "function-paved refuses claims in mapped namespaces: %v; fix the EnvironmentConfig's serviceBundle (docs/environment.md)", err)}
	}
	if len(ts) == 0 {
		return []Result{warn(whatAppProject, "serviceBundle.namespaces maps no namespace, so every claim namespace gets the project %q makes for it, which doctor cannot list: create one AppProject per team namespace in %s, or map the namespaces (docs/environment.md)", sb.ArgoCDProject, sb.ArgoCDNamespace)}
	}
	var out []Result
	for _, t := range ts {
		what := whatAppProject + " " + sb.ArgoCDNamespace + "/" + t.ArgoCDProject
		p := &unstructured.Unstructured{}
		p.SetGroupVersionKind(gvkAppProject)
		err := d.Client.Get(ctx, client.ObjectKey{Namespace: sb.ArgoCDNamespace, Name: t.ArgoCDProject}, p)
		switch {
		case meta.IsNoMatchError(err):
			return append(out, fail(whatAppProject, "the API server does not serve %s AppProject: install Argo CD, which ServiceBundles deliver with", gvkAppProject.GroupVersion()))
		case kerrors.IsNotFound(err):
			out = append(out, fail(what, "missing: namespace %s (team %s) maps to it, and its ServiceBundles' Applications are never Ready and cannot be deleted without it; create it, limited to the team's repositories and namespaces (docs/operations.md)", t.Namespace, t.Team))
		case err != nil:
			out = append(out, fail(what, "cannot read AppProject: %v", err))
		default:
			out = append(out, ok(what, "exists for namespace %s (team %s)", t.Namespace, t.Team))
		}
	}
	return out
}
