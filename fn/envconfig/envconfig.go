// Package envconfig is paved's EnvironmentConfig for programs other than
// the function (cmd/paved): its API, its name, and the validation
// function-paved applies to it. The validation is the function's own code
// (package env), not a copy, so a tool that writes or checks an
// EnvironmentConfig accepts exactly what the function accepts.
package envconfig

import (
	"net/netip"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// The EnvironmentConfig's API (fn.EnvironmentConfigAPIVersion and
// fn.EnvironmentConfigKind, which the function requires).
const (
	APIVersion = "apiextensions.crossplane.io/v1beta1"
	Kind       = "EnvironmentConfig"
)

// DataKey is the key under the EnvironmentConfig's data that holds paved's
// settings (an environment.Environment).
const DataKey = env.DataKey

// DefaultName is the EnvironmentConfig paved's Compositions name in their
// function input (environmentConfigName, apis/*/composition.yaml).
const DefaultName = "paved-environment"

// ValidateForDatabases resolves the EnvironmentConfig ec as function-paved
// does, over a function input that sets nothing, and returns what a
// database would refuse: every AWS setting databases and buckets check
// (region, VPC, subnets, CIDRs, KMS key, ...), then the network settings a
// database requires (region, VPC, two subnets, allowed CIDRs). Each error
// names its field as `EnvironmentConfig "<name>" data.paved.<field>`.
func ValidateForDatabases(ec *structpb.Struct) error {
	name, _ := pb.String(ec, "metadata", "name")
	e, err := env.Resolve(environment.Environment{}, name, ec)
	if err != nil {
		return err
	}
	if err := e.ValidateAWS(); err != nil {
		return err
	}
	return e.RequireNetwork()
}

// Private reports whether every address of block lies in one private
// range, RFC 1918 for IPv4 and RFC 4193 (unique local) for IPv6: the only
// blocks the function accepts in allowedCidrs.
func Private(block netip.Prefix) bool { return env.Private(block) }

// Partition returns the AWS partition of region ("aws", "aws-cn", ...) as
// the function resolves it, and false for a string that is no region the
// function accepts.
func Partition(region string) (string, bool) { return env.Partition(region) }

// ServiceBundle is the EnvironmentConfig's serviceBundle section as
// function-paved resolves it, each unset field its default. Its
// MappedTenants lists the tenant of every namespace it maps by the
// function's own rule (Tenant): the AppProjects a platform must provide.
type ServiceBundle = env.ServiceBundle

// A Tenant is who a claim namespace belongs to, as function-paved decides
// it (env.ServiceBundle.Tenant): the team and the Argo CD AppProject of
// its Applications.
type Tenant = env.Tenant

// ResolveServiceBundle resolves the serviceBundle section of the
// EnvironmentConfig ec as function-paved does, over a function input that
// sets nothing, and returns what of it the ServiceBundle composer refuses
// before it resolves a claim's namespace: a section that does not decode,
// an invalid argoCDProject or applicationNamespace pattern or namespaces
// mapping (env.ServiceBundle.ValidateTenancy). The section is nil when ec
// has none or it does not decode; otherwise it is returned with its error,
// if any. It fails as the function does when the rest of data.paved does
// not decode.
func ResolveServiceBundle(ec *structpb.Struct) (*ServiceBundle, error) {
	if pb.Struct(ec, "data", DataKey).GetFields()[env.ServiceBundleKey] == nil {
		return nil, nil
	}
	name, _ := pb.String(ec, "metadata", "name")
	e, err := env.Resolve(environment.Environment{}, name, ec)
	if err != nil {
		// The rest of data.paved does not decode, and the function
		// refuses every kind for it, ServiceBundles too.
		return nil, err
	}
	if err := e.ServiceBundleError(); err != nil {
		return nil, err
	}
	sb := e.ServiceBundle
	src := func(field string) string { return e.Source(env.ServiceBundleKey + "." + field) }
	if errs := sb.ValidateTenancy(src); len(errs) > 0 {
		return &sb, env.Wrap(errs)
	}
	return &sb, nil
}
