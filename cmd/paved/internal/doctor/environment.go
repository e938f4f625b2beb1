package doctor

import (
	"context"

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

// Environment is what the other checks need of the EnvironmentConfig,
// nil where it is missing or unreadable.
type Environment struct {
	environment.Environment
	// Bundle is the serviceBundle section as function-paved resolves it
	// (defaults applied), nil where there is none or it cannot be read.
	Bundle *envconfig.ServiceBundle
	// BundleErr is what function-paved refuses of the section.
	BundleErr error
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
	env.Bundle, env.BundleErr = envconfig.ResolveServiceBundle(s)
	if err := envconfig.ValidateForDatabases(s); err != nil {
		return env, fail(what, "function-paved refuses it, so every database and bucket fails to compose: %v; fix the EnvironmentConfig (docs/environment.md)", err)
	}
	return env, ok(what, "EnvironmentConfig %q is valid: region %s, VPC %s, %d subnets", d.EnvironmentConfig, env.Region, env.VPCID, len(env.SubnetIDs))
}
