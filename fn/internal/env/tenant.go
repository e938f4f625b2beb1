package env

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/naming"
)

// NamespacesKey is the key of the ServiceBundle section's mapping of claim
// namespaces to teams.
const NamespacesKey = "namespaces"

// Placeholders of the Argo CD project pattern (argoCDProject).
const (
	PlaceholderTeam      = "{team}"
	PlaceholderNamespace = "{namespace}"
	// placeholderOwner was the claim's spec.owner: text the tenant types.
	// A pattern that still uses it is refused, never read as a literal.
	placeholderOwner = "{owner}"
)

// ArgoCDDefaultProject is Argo CD's built-in project: it "permits
// deployments from any source repo, to any cluster, and all resource
// Kinds" (https://argo-cd.readthedocs.io/en/stable/user-guide/projects/#the-default-project).
// An Application in Argo CD's own namespace may name any AppProject, and
// the project is what stops a team escalating through another's
// (https://argo-cd.readthedocs.io/en/stable/operator-manual/app-any-namespace/),
// so paved uses "default" only where the platform maps a namespace to it
// by name (namespaces.<ns>.argoCDProject), never from the pattern.
const ArgoCDDefaultProject = "default"

// A Tenant is who a claim's namespace belongs to, as the platform says:
// never what the claim says. A claim's author controls its namespace only
// as far as Kubernetes RBAC lets them create claims there.
type Tenant struct {
	// Namespace is the claim's namespace.
	Namespace string
	// Team owns what is composed for the claim: the Backstage owner
	// (group:default/<team>) and the "team" label.
	Team string
	// ArgoCDProject is the AppProject of the claim's Applications.
	ArgoCDProject string
	// Mapped says the namespace is in namespaces; otherwise Team and
	// ArgoCDProject are the defaults for an unmapped namespace.
	Mapped bool
}

// Tenant returns the tenant of a claim's namespace: its entry in
// namespaces, or else the default, the team named after the namespace
// with the project the pattern makes for it. The default is refused (an
// *Error, the platform's to fix) when it would give the namespace a team
// or project that namespaces gives another namespace: a namespace the
// platform did not map must not share a team's privileges by its name.
// It assumes the section is valid (ValidateTenancy).
func (sb *ServiceBundle) Tenant(namespace string) (Tenant, error) {
	if t, ok := sb.teams()[namespace]; ok {
		mapped := Tenant{Namespace: namespace, Team: t.Team, ArgoCDProject: sb.mappedProject(namespace, t), Mapped: true}
		if err := sb.destinationsApart(mapped).Err(); err != nil {
			return Tenant{}, &Error{err}
		}
		return mapped, nil
	}
	t := Tenant{Namespace: namespace, Team: namespace, ArgoCDProject: Project(sb.ArgoCDProject, namespace, namespace)}
	errs := sb.destinationsApart(t)
	// The claim's namespace is not the platform's setting, but the fix is
	// the platform's: map the namespace.
	at := ServiceBundleKey + "." + NamespacesKey
	if !IsTeam(t.Team) {
		errs.Add(field.Invalid(at, namespace, "a namespace that is mapped to a team: this one is not, and its name is not a team name (lowercase letters, digits and single hyphens) that could be its default team"))
	}
	if t.ArgoCDProject == ArgoCDDefaultProject {
		errs.Add(field.Invalid(at, namespace, fmt.Sprintf("a namespace that is mapped to a team: this one is not, and argoCDProject %q makes Argo CD's %q project for it, which allows every repository, destination and kind", sb.ArgoCDProject, ArgoCDDefaultProject)))
	}
	for _, ns := range sortedKeys(sb.teams()) {
		m := sb.teams()[ns]
		if m.Team == t.Team {
			errs.Add(field.Invalid(at, namespace, fmt.Sprintf("a namespace that is mapped to a team: this one is not, and its default team %q is the team of namespace %q", t.Team, ns)))
		}
		if p := sb.mappedProject(ns, m); p == t.ArgoCDProject {
			errs.Add(field.Invalid(at, namespace, fmt.Sprintf("a namespace that is mapped to a team: this one is not, and its default Argo CD project %q is the project of namespace %q", p, ns)))
		}
	}
	if err := errs.Err(); err != nil {
		return Tenant{}, &Error{err}
	}
	return t, nil
}

// MappedTenants returns the tenant of every namespace the section maps,
// sorted by namespace, each as Tenant resolves it for a claim there; the
// error joins what Tenant refuses of any of them. Programs other than the
// function (paved doctor, through fn/envconfig) list the AppProjects a
// platform must provide with it, by the function's own rule. It assumes
// the section is valid (ValidateTenancy).
func (sb *ServiceBundle) MappedTenants() ([]Tenant, error) {
	out := make([]Tenant, 0, len(sb.teams()))
	var errs []error
	for _, ns := range sortedKeys(sb.teams()) {
		t, err := sb.Tenant(ns)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// destinationsApart refuses a tenant whose Applications would deploy into
// a namespace the platform maps to a team as its claims' namespace (the
// applicationNamespace pattern makes "foo-staging" for namespace foo,
// which may be another team's own): a team's AppProject that allows its
// environments' namespaces would then let it deploy into that team's
// namespace. Namespaces the platform did not map are not known here; the
// AppProjects' destinations guard those (docs/security.md).
func (sb *ServiceBundle) destinationsApart(t Tenant) field.List {
	var errs field.List
	for _, e := range Environments {
		d := DestinationNamespace(sb.ApplicationNamespace, t.Team, t.Namespace, e)
		if _, ok := sb.teams()[d]; ok {
			errs.Add(field.Invalid(ServiceBundleKey+".applicationNamespace", sb.ApplicationNamespace,
				fmt.Sprintf("a pattern that makes no claim namespace: for namespace %q it makes %q, the %s namespace, which namespaces maps to team %q as its claims' namespace", t.Namespace, d, e, sb.teams()[d].Team)))
		}
	}
	return errs
}

// mappedProject is the project of a mapped namespace: its own, or the
// pattern's for its team.
func (sb *ServiceBundle) mappedProject(namespace string, t environment.NamespaceTeam) string {
	if t.ArgoCDProject != "" {
		return t.ArgoCDProject
	}
	return Project(sb.ArgoCDProject, t.Team, namespace)
}

// ValidateTenancy reports what is wrong with the argoCDProject and
// applicationNamespace patterns and the namespaces mapping, naming where each value was set. src names a
// field of the section by its JSON name.
func (sb *ServiceBundle) ValidateTenancy(src func(name string) string) field.List {
	var errs field.List
	p := sb.ArgoCDProject
	// The pattern is checked with the longest team and namespace a claim
	// may have, so that a valid claim never makes an invalid project name.
	long := strings.Repeat("a", 63)
	probe := Project(p, long, long)
	switch {
	case strings.Contains(p, placeholderOwner):
		errs.Add(field.Invalid(src("argoCDProject"), p, `an Argo CD project pattern without "{owner}": the claim's spec.owner is text the tenant types and cannot choose the project; use "{team}" (the namespace's team) or "{namespace}"`))
	case !strings.Contains(p, PlaceholderTeam) && !strings.Contains(p, PlaceholderNamespace):
		errs.Add(field.Invalid(src("argoCDProject"), p, `an Argo CD project pattern with "{team}" or "{namespace}", so that each team gets its own project (e.g. "{team}-project"); map a namespace to a fixed project in namespaces`))
	case strings.ContainsAny(probe, "{}") || len(probe) > 253 || !naming.ValidObject(probe) || !naming.ValidObject(Project(p, "a", "a")):
		errs.Add(field.Invalid(src("argoCDProject"), p,
			`an Argo CD project name, in which {team} stands for the claim's namespace's team and {namespace} for the namespace, e.g. "{team}-project"`))
	}
	for _, ns := range sortedKeys(sb.teams()) {
		t := sb.teams()[ns]
		at := src(NamespacesKey + "." + ns)
		if len(ns) > 63 || !naming.ValidNamespace(ns) {
			errs.Add(field.Invalid(at, ns, "a namespace name as the key"))
		}
		if len(t.Team) > 63 || !IsTeam(t.Team) {
			errs.Add(field.Invalid(at+".team", t.Team, "a team name, as its Backstage group is named: at most 63 lowercase letters, digits and single hyphens"))
		}
		if t.ArgoCDProject != "" && (len(t.ArgoCDProject) > 253 || !naming.ValidObject(t.ArgoCDProject)) {
			errs.Add(field.Invalid(at+".argoCDProject", t.ArgoCDProject, "the name of an Argo CD AppProject"))
		}
	}
	errs.Add(sb.validateApplicationNamespace(src))
	errs.Add(sb.validateRepositoryName(src))
	return errs
}

// IsTeam is a team's name rule, ^[a-z0-9]([a-z0-9]|-[a-z0-9])*$: a
// Backstage Group's name (sequences of [a-z0-9] separated by single
// hyphens, https://backstage.io/docs/features/software-catalog/descriptor-format#name-required),
// a Kubernetes label value and part of an Argo CD project's name, all at
// once. It is written out rather than as a regular expression: it is
// checked on every request.
func IsTeam(s string) bool {
	hyphen := true // nor may s begin with one
	for i := range len(s) {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			hyphen = false
		case c == '-' && !hyphen:
			hyphen = true
		default:
			return false
		}
	}
	return !hyphen
}

// Project is the Argo CD project pattern with its placeholders replaced.
func Project(pattern, team, namespace string) string {
	return expand(pattern, [][2]string{{PlaceholderTeam, team}, {PlaceholderNamespace, namespace}})
}

// expand replaces the placeholders of pattern (each a pair of placeholder
// and value) in one pass, left to right, as strings.NewReplacer would,
// without building a replacer on every request.
func expand(pattern string, placeholders [][2]string) string {
	n := len(pattern)
	for _, p := range placeholders {
		n += len(p[1])
	}
	var b strings.Builder
	b.Grow(n)
next:
	for pattern != "" {
		for _, p := range placeholders {
			if strings.HasPrefix(pattern, p[0]) {
				b.WriteString(p[1])
				pattern = pattern[len(p[0]):]
				continue next
			}
		}
		i := strings.IndexByte(pattern[1:], '{') + 1
		if i == 0 {
			i = len(pattern)
		}
		b.WriteString(pattern[:i])
		pattern = pattern[i:]
	}
	return b.String()
}

// teams is the namespaces mapping, nil if there is none.
func (sb *ServiceBundle) teams() Teams {
	if sb.Namespaces == nil {
		return nil
	}
	return *sb.Namespaces
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
