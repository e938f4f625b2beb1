package doctor

import (
	"context"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/paved-dev/paved/fn/envconfig"
	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
)

const whatEnvironment = "environment"

// The ServiceBundle section's defaults, as its API documents them
// (fn/input/v1alpha1/environment, ServiceBundleEnvironment) and the
// shipped Composition's input sets them (apis/servicebundle/composition.yaml).
const (
	defaultProviderConfig  = "default"
	defaultArgoCDNamespace = "argocd"
	defaultArgoCDProject   = "{team}-project"
)

// Environment is what the other checks need of the EnvironmentConfig,
// nil where it is missing or unreadable.
type Environment struct {
	environment.Environment
}

// serviceBundle returns the ServiceBundle section with its defaults.
func (e *Environment) serviceBundle() environment.ServiceBundleEnvironment {
	var sb environment.ServiceBundleEnvironment
	if e != nil && e.ServiceBundle != nil {
		sb = *e.ServiceBundle
	}
	if sb.GitHubProviderConfig == "" {
		sb.GitHubProviderConfig = defaultProviderConfig
	}
	if sb.BackstageProviderConfig == "" {
		sb.BackstageProviderConfig = defaultProviderConfig
	}
	if sb.ArgoCDNamespace == "" {
		sb.ArgoCDNamespace = defaultArgoCDNamespace
	}
	if sb.ArgoCDProject == "" {
		sb.ArgoCDProject = defaultArgoCDProject
	}
	return sb
}

var gvkEnvironmentConfig = schema.FromAPIVersionAndKind(envconfig.APIVersion, envconfig.Kind)

// environment checks the EnvironmentConfig with function-paved's own
// validation (fn/envconfig): what it accepts, a DatabaseClaim's
// composition accepts.
func (d *Doctor) environment(ctx context.Context) (*Environment, Result) {
	what := whatEnvironment + " " + d.EnvironmentConfig
	ec := &unstructured.Unstructured{}
	ec.SetGroupVersionKind(gvkEnvironmentConfig)
	err := d.Client.Get(ctx, client.ObjectKey{Name: d.EnvironmentConfig}, ec)
	switch {
	case kerrors.IsNotFound(err):
		return nil, fail(what, "no EnvironmentConfig %q: claims compose with the Compositions' input alone, which names no VPC or subnets; write it with `paved environment discover` and apply it (docs/environment.md)", d.EnvironmentConfig)
	case meta.IsNoMatchError(err):
		return nil, fail(what, "the API server does not serve %s %s: install Crossplane v2", envconfig.APIVersion, envconfig.Kind)
	case err != nil:
		return nil, fail(what, "cannot read EnvironmentConfig %q: %v", d.EnvironmentConfig, err)
	}
	s, err := structpb.NewStruct(ec.Object)
	if err != nil {
		return nil, fail(what, "cannot read EnvironmentConfig %q: %v", d.EnvironmentConfig, err)
	}
	env := &Environment{}
	if data, found, _ := unstructured.NestedMap(ec.Object, "data", envconfig.DataKey); found {
		// Not strict: unknown keys are the validation's to report.
		_ = runtime.DefaultUnstructuredConverter.FromUnstructured(data, &env.Environment)
	}
	if err := envconfig.ValidateForDatabases(s); err != nil {
		return env, fail(what, "function-paved refuses it, so every database and bucket fails to compose: %v; fix the EnvironmentConfig (docs/environment.md)", err)
	}
	return env, ok(what, "EnvironmentConfig %q is valid: region %s, VPC %s, %d subnets", d.EnvironmentConfig, env.Region, env.VPCID, len(env.SubnetIDs))
}

// A tenancy is a claim namespace the environment maps to an Argo CD
// project.
type tenancy struct {
	Namespace, Team, Project string
}

// tenancies returns the namespaces the ServiceBundle section maps, each
// with its project: its own argoCDProject, else the pattern with "{team}"
// and "{namespace}" replaced. This is the rule of function-paved's
// env.ServiceBundle.Tenant (fn/internal/env/tenant.go) for a mapped
// namespace, which fn/envconfig does not export yet; unmapped namespaces
// get their project only when a claim names them.
func tenancies(sb environment.ServiceBundleEnvironment) []tenancy {
	out := make([]tenancy, 0, len(sb.Namespaces))
	for ns, t := range sb.Namespaces {
		p := t.ArgoCDProject
		if p == "" {
			p = strings.NewReplacer("{team}", t.Team, "{namespace}", ns).Replace(sb.ArgoCDProject)
		}
		out = append(out, tenancy{Namespace: ns, Team: t.Team, Project: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out
}
