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

// RepositoryNameOf returns another tenant the repositoryName pattern could
// make name for, and its service, when that service's name is shorter than
// service: name is then that tenant's, not the claim's. Team and
// namespace names share the service names' hyphens, so with
// "{team}-{service}" team orders' service eu-api and team orders-eu's
// service api both make orders-eu-api. Repository names are first come,
// first served (validateRepositoryName), and paved refuses to take over
// one that exists (compose.Set.Creates): without this rule team orders
// could hold a name that team orders-eu's service api needs. The name
// belongs to the tenant whose pattern reads the longest literal part, the
// shortest service, from it. Only the namespaces the platform maps are
// known. Two namespaces of one team share its names: the pattern reads the
// same service from a name for both.
func (sb *ServiceBundle) RepositoryNameOf(name, service string, t Tenant) (Tenant, string, bool) {
	p := sb.RepositoryName
	if !strings.Contains(p, PlaceholderTeam) && !strings.Contains(p, PlaceholderNamespace) {
		return Tenant{}, "", false
	}
	for _, ns := range sortedKeys(sb.teams()) {
		other := Tenant{Namespace: ns, Team: sb.teams()[ns].Team, Mapped: true}
		if ns == t.Namespace {
			continue
		}
		if s, ok := serviceOf(p, name, other); ok && len(s) < len(service) {
			return other, s, true
		}
	}
	return Tenant{}, "", false
}

// serviceOf returns the service for which the pattern makes name for the
// tenant, if there is one. Every "{service}" of the pattern stands for the
// same name, so its length follows from the pattern's other parts.
func serviceOf(pattern, name string, t Tenant) (string, bool) {
	parts := strings.Split(RepositoryName(pattern, "\x00", t.Team, t.Namespace), "\x00")
	k := len(parts) - 1
	rest := len(name)
	for _, l := range parts {
		rest -= len(l)
	}
	if k == 0 || rest <= 0 || rest%k != 0 || !strings.HasPrefix(name, parts[0]) {
		return "", false
	}
	s := name[len(parts[0]) : len(parts[0])+rest/k]
	if !IsTeam(s) || RepositoryName(pattern, s, t.Team, t.Namespace) != name {
		return "", false
	}
	return s, true
}
