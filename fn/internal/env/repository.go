package env

import (
	"strings"

	"github.com/paved-dev/paved/fn/internal/field"
)

// PlaceholderService stands for the service's name (the claim's) in the
// repositoryName pattern, beside PlaceholderTeam and PlaceholderNamespace.
const PlaceholderService = "{service}"

// RepositoryName is a repositoryName pattern with its placeholders
// replaced: the name of a new service's GitHub repository, which is also
// its Backstage Component's. The ServiceBundle composer refuses a claim
// whose name makes one that is not a Backstage entity name.
func RepositoryName(pattern, service, team, namespace string) string {
	return expand(pattern, [][2]string{{PlaceholderService, service}, {PlaceholderTeam, team}, {PlaceholderNamespace, namespace}})
}

// MaxRepositoryName is the longest repository name paved makes: it is also
// a Backstage entity's name, at most 63 characters
// (https://backstage.io/docs/features/software-catalog/descriptor-format#name-required);
// GitHub allows 100.
const MaxRepositoryName = 63

// ValidRepositoryName reports whether name can be a service's repository
// and Component name: at most MaxRepositoryName lowercase letters, digits
// and single hyphens (IsTeam), which both GitHub's repository names
// (letters, digits, '-', '_' and '.') and Backstage's entity names
// (sequences of [a-zA-Z0-9] separated by one of [-_.]) allow.
func ValidRepositoryName(name string) bool {
	return name != "" && len(name) <= MaxRepositoryName && IsTeam(name)
}

// validateRepositoryName reports what is wrong with the repositoryName
// pattern. Repository names are one namespace per GitHub organisation, and
// Backstage's default entity namespace one for the whole catalog: with
// "{service}" alone the first team to claim a name has it. "{team}" or
// "{namespace}" gives each team names no other team can take, and a prefix
// the platform can scope Argo CD repository credentials and AppProject
// sourceRepos to (docs/security.md, "Repositories of other teams"). It
// must name the service ("{service}"), and may not hold "{owner}", text the
// tenant types, nor "{environment}": one repository serves every
// environment.
func (sb *ServiceBundle) validateRepositoryName(src func(name string) string) *field.Error {
	p := sb.RepositoryName
	at := src("repositoryName")
	switch {
	case strings.Contains(p, placeholderOwner):
		return field.Invalid(at, p, `a repository name pattern without "{owner}": the claim's spec.owner is text the tenant types; use "{team}" (the namespace's team) or "{namespace}"`)
	case strings.Contains(p, PlaceholderEnvironment):
		return field.Invalid(at, p, `a repository name pattern without "{environment}": one repository serves every environment`)
	case !strings.Contains(p, PlaceholderService):
		return field.Invalid(at, p, `a repository name pattern with "{service}" (the claim's name), e.g. "{service}" or "{team}-{service}"`)
	}
	// The shortest service, team and namespace must make a name: the
	// pattern's own characters are then what is checked. A longer claim's
	// name is checked when it is composed.
	if !ValidRepositoryName(RepositoryName(p, "a", "a", "a")) {
		return field.Invalid(at, p, `a repository name pattern that makes a GitHub repository and Backstage entity name, lowercase letters, digits and single hyphens, in which {service} stands for the claim's name, {team} for its namespace's team and {namespace} for its namespace, e.g. "{team}-{service}"`)
	}
	return nil
}
