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
