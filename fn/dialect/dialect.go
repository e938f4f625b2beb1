// Package dialect opens to paved's command (cmd/paved, migrate) what the
// function knows of its two dialects: the namespaced provider-aws kind of
// each legacy one it composes, how a legacy managed resource's parameters
// read in the namespaced kind, and the names it gives composed resources.
// One home: the function's own code (fn/internal/compose, naming), not a
// copy.
package dialect

import (
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/naming"
)

// NamespacedKind returns the apiVersion of the namespaced provider-aws
// kind (same kind name) of a legacy one paved composes, and whether there
// is one.
func NamespacedKind(apiVersion, kind string) (string, bool) {
	return compose.NamespacedKind(apiVersion, kind)
}

// Parameters returns a legacy managed resource's parameters
// (spec.forProvider) as its namespaced kind takes them.
func Parameters(apiVersion, kind string, params map[string]any) (map[string]any, error) {
	in, err := structpb.NewStruct(params)
	if err != nil {
		return nil, err
	}
	out, err := compose.NamespacedParameters(apiVersion, kind, in)
	if err != nil {
		return nil, err
	}
	return out.GetStructValue().AsMap(), nil
}

// ObjectName is the Kubernetes name the function gives the composed
// resource called name (its name in the pipeline) of a composite.
func ObjectName(composite, name string) string { return naming.Object(composite, name) }
