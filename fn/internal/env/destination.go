package env

import (
	"strings"

	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/naming"
)

// PlaceholderEnvironment stands for the environment (Environments) in the
// applicationNamespace pattern, beside PlaceholderTeam and
// PlaceholderNamespace.
const PlaceholderEnvironment = "{environment}"

// Environments a ServiceBundle's service is delivered to, each by its own
// Argo CD Application into its own namespace, in delivery order.
var Environments = []string{"staging", "production"}

// DestinationNamespace is an applicationNamespace pattern with its
// placeholders replaced, shortened as Application names are when it is
// longer than naming.Label keeps whole: its beginning, a digest of the
// whole and "-<environment>", at most 63 characters, so that the longest
// namespace and team still make a namespace name and two environments
// never make the same one.
func DestinationNamespace(pattern, team, namespace, environment string) string {
	full := expand(pattern, [][2]string{{PlaceholderTeam, team}, {PlaceholderNamespace, namespace}, {PlaceholderEnvironment, environment}})
	return naming.Label(full, environment)
}

// validateApplicationNamespace reports what is wrong with the
// applicationNamespace pattern: staging and production of one service
// render the same object names, so two Applications deploying into one
// namespace would overwrite and prune each other's objects. The pattern
// must therefore tell environments apart ({environment}) and teams apart
// ({namespace} or {team}), and make a namespace name for the shortest and
// the longest namespace and team a claim may have.
func (sb *ServiceBundle) validateApplicationNamespace(src func(name string) string) *field.Error {
	p := sb.ApplicationNamespace
	at := src("applicationNamespace")
	switch {
	case strings.Contains(p, placeholderOwner):
		return field.Invalid(at, p, `a namespace pattern without "{owner}": the claim's spec.owner is text the tenant types and cannot choose where its Applications deploy; use "{namespace}" (the claim's namespace) or "{team}" (its team)`)
	case !strings.Contains(p, PlaceholderEnvironment):
		return field.Invalid(at, p, `a namespace pattern with "{environment}", so that staging and production never deploy into one namespace and overwrite or prune each other's objects (e.g. "{namespace}-{environment}")`)
	case !strings.Contains(p, PlaceholderTeam) && !strings.Contains(p, PlaceholderNamespace):
		return field.Invalid(at, p, `a namespace pattern with "{namespace}" or "{team}", so that each team's Applications deploy into its own namespaces (e.g. "{namespace}-{environment}")`)
	}
	long := strings.Repeat("a", 63)
	for _, e := range Environments {
		for _, in := range []string{"a", long} {
			if ns := DestinationNamespace(p, in, in, e); !naming.ValidNamespace(ns) {
				return field.Invalid(at, p, `a namespace name, in which {namespace} stands for the claim's namespace, {team} for its team and {environment} for staging or production, e.g. "{namespace}-{environment}"`)
			}
		}
	}
	return nil
}
