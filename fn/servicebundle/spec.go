package servicebundle

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/bucket"
	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/queue"
)

// Templates a service is generated from, with the language topic and
// catalog tag of each: the golden-path template repository is
// golden-path-<template> in the platform's GitHub owner.
var Templates = map[string]string{
	"node-service":   "nodejs",
	"python-service": "python",
	"go-service":     "go",
}

// TemplateNames are the templates in the order the claim's errors list them.
var TemplateNames = []string{"node-service", "python-service", "go-service"}

// Lifecycles of a Backstage Component a claim can ask for
// (https://backstage.io/docs/features/software-catalog/descriptor-format#speclifecycle-required).
var Lifecycles = []string{"experimental", "production", "deprecated"}

// Environments a service can be delivered to, in delivery order.
var Environments = env.Environments

// Defaults and bounds of the claim.
const (
	DefaultLifecycle    = "experimental"
	DefaultReplicaCount = 3
	MinReplicaCount     = 2
	MaxReplicaCount     = 10
	// MaxNameLength of a service: it names a Backstage entity, whose names
	// are at most 63 characters
	// (https://backstage.io/docs/features/software-catalog/descriptor-format#name-required),
	// and a GitHub repository.
	MaxNameLength = 63
	// MaxDescriptionLength of spec.description, which becomes the GitHub
	// repository's description: GitHub refuses a longer one ("Description
	// cannot be more than 350 characters"). GitHub's REST reference and
	// its OpenAPI description state no maximum; the limit is GitHub's
	// known behaviour since 2022
	// (https://github.com/orgs/community/discussions/35743,
	// https://github.com/Ylianst/MeshCentral/issues/4724). It counts
	// characters, as the XRD's maxLength does (apiextensions-apiserver
	// validates maxLength with utf8.RuneCountInString).
	MaxDescriptionLength = 350
)

// The name rules of a claim, written out rather than as regular
// expressions (TestNameRules holds them to the expressions in their
// comments): the claim is parsed by Check, Compose and Status on every
// request, and matching the expressions took a tenth of a bundle's
// composition.

// isService is the claim's name rule, ^[a-z]([a-z0-9]|-[a-z0-9])*$,
// narrowed to what a Backstage entity name allows: sequences of [a-z0-9]
// separated by single hyphens, so no trailing or doubled hyphen
// (https://backstage.io/docs/features/software-catalog/descriptor-format#name-required).
func isService(s string) bool { return s != "" && s[0] >= 'a' && s[0] <= 'z' && isTeam(s) }

// isTeam is a team's name rule (env.IsTeam).
func isTeam(s string) bool { return env.IsTeam(s) }

// isDNSLabel is a namespace name, ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$, at most
// 63 characters
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names).
func isDNSLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// service is a validated ServiceBundle.
type service struct {
	name        string
	namespace   string // the team's namespace: the claim's
	description string
	// owner is what the claim says of its owner, if anything; the team
	// that owns the service is the platform's (team).
	owner     string
	template  string
	system    string
	lifecycle string
	database  *structpb.Struct // nil: none
	bucket    *structpb.Struct // nil: none
	// queue is the guide's needsQueue, spelled as database and bucket
	// are: an object ({} for the defaults), or none.
	queue        *structpb.Struct // nil: none
	environments []string
	replicaCount int
	// claimed: the composite has a claim, or is a namespaced composite;
	// either's namespace is the tenant's.
	claimed bool

	// team and project are the namespace's tenant as the platform maps it
	// (env.ServiceBundle.Tenant), set by withTenant: they are never what
	// the claim says.
	team    string
	project string
	// mapped: the platform maps the namespace to its team (namespaces),
	// rather than the default team named after the namespace. Only a
	// mapped team is given access to the repository (teamaccess.go).
	mapped bool
	// apps are the names of the Applications that exist, by environment
	// (observed.appName), set by Compose.
	apps map[string]string
	// repository is the name of the service's GitHub repository and of
	// its Backstage Component, its name across the platform: the one its
	// Repository has, or the platform's pattern's (withRepository).
	repository string
}

// application is the name of the service's Application for environment:
// the one it has if it exists, or else applicationName's.
func (s *service) application(environment string) string {
	if n := s.apps[environment]; n != "" {
		return n
	}
	return applicationName(s.namespace, s.name, environment)
}

// parse validates a ServiceBundle and reports every bad field at once.
// replicaCountAllowed says, for an error, what the claim may set.
var replicaCountAllowed = fmt.Sprintf("a whole number from %d to %d: the production replica count", MinReplicaCount, MaxReplicaCount)

func parse(xr *compose.Composite) (*service, error) {
	spec := xr.Spec()
	var errs field.List
	s := &service{lifecycle: DefaultLifecycle, replicaCount: DefaultReplicaCount, environments: []string{"staging"}}

	// The claim's name is the service's name; a composite made without a
	// claim names it itself. A namespaced ServiceBundle (Crossplane v2) is
	// what its team applied in its own namespace: it is the claim, and its
	// namespace the team's.
	s.name, s.namespace = xr.ClaimName, xr.ClaimNamespace
	if xr.Namespaced() {
		s.name, s.namespace = xr.Name, xr.Namespace
	}
	if s.name == "" {
		s.name = xr.Name
	}
	if len(s.name) > MaxNameLength || !isService(s.name) {
		errs.Add(field.Invalid("metadata.name", s.name, fmt.Sprintf(
			"the service's name: at most %d lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen", MaxNameLength)))
	}

	// Crossplane names the claim's namespace; secrets land in it and the
	// namespaces Applications deploy into are made from it, so it must be
	// one.
	if s.namespace != "" && (len(s.namespace) > 63 || !isDNSLabel(s.namespace)) {
		errs.Add(field.Invalid("spec.claimRef.namespace", s.namespace, "a Kubernetes namespace name"))
	}

	s.description = requiredString(spec, "description", "a short description of the service", &errs)
	if n := utf8.RuneCountInString(s.description); n > MaxDescriptionLength {
		errs.Add(field.Invalid("spec.description", fmt.Sprintf("%.40s...", s.description), fmt.Sprintf(
			"at most %d characters (it has %d): it becomes the GitHub repository's description, which GitHub refuses longer", MaxDescriptionLength, n)))
	}
	// spec.owner describes; it chooses nothing (withTenant). Only a
	// composite made without a claim, by the platform, names its team's
	// namespace with it.
	s.claimed = s.namespace != ""
	if v, ok := stringField(spec, "owner", &errs); ok {
		if len(v) > 63 || !isTeam(v) {
			errs.Add(field.Invalid("spec.owner", v, "a team name: at most 63 lowercase letters, digits and single hyphens"))
		}
		s.owner = v
	}
	if !s.claimed {
		if s.owner == "" {
			errs.Add(field.Required("spec.owner", "a composite made without a claim names its team's namespace, whose environment namespaces its Applications deploy into, in spec.owner"))
		}
		s.namespace = s.owner
	}

	if t, ok := stringField(spec, "template", &errs); !ok {
		errs.Add(field.Required("spec.template", allowed(TemplateNames)))
	} else if _, known := Templates[t]; !known {
		errs.Add(field.OneOf("spec.template", t, TemplateNames...))
	} else {
		s.template = t
	}

	// The default system, <team>-platform, is made by withTenant.
	if v, ok := stringField(spec, "system", &errs); ok {
		s.system = v
		if len(s.system) > 63 || !isTeam(s.system) {
			errs.Add(field.Invalid("spec.system", s.system, "a Backstage system name: at most 63 lowercase letters, digits and single hyphens (default <team>-platform)"))
		}
	}

	if v, ok := stringField(spec, "lifecycle", &errs); ok {
		if !slices.Contains(Lifecycles, v) {
			errs.Add(field.OneOf("spec.lifecycle", v, Lifecycles...))
		}
		s.lifecycle = v
	}

	s.database = nested(spec, "database", databaseFields, &errs)
	if s.database != nil {
		// Every engine a DatabaseClaim offers (database.Engines), with its
		// rules: the nested database is composed as that claim is.
		addNested(&errs, "spec.database", database.Validate(s.database))
	}
	s.bucket = nested(spec, "bucket", bucketFields, &errs)
	if s.bucket != nil {
		addNested(&errs, "spec.bucket", bucket.Validate(s.bucket))
	}
	s.queue = nested(spec, "queue", queueFields, &errs)
	if s.queue != nil {
		addNested(&errs, "spec.queue", queue.Validate(s.queue))
	}

	if pb.Has(spec, "environments") {
		s.environments = nil
		l := pb.Get(spec, "environments").GetListValue()
		if l == nil || len(l.GetValues()) == 0 {
			errs.Add(field.Invalid("spec.environments", pb.Get(spec, "environments").AsInterface(), "a list of one or both of "+quoted(Environments)+", without repeats"))
		}
		for i, v := range l.GetValues() {
			p := func() string { return fmt.Sprintf("spec.environments[%d]", i) }
			env, ok := v.GetKind().(*structpb.Value_StringValue)
			switch {
			case !ok || !slices.Contains(Environments, env.StringValue):
				errs.Add(field.OneOf(p(), v.AsInterface(), Environments...))
			case slices.Contains(s.environments, env.StringValue):
				errs.Add(field.Invalid(p(), env.StringValue, "each environment once"))
			default:
				s.environments = append(s.environments, env.StringValue)
			}
		}
		// Deliver in a stable order whatever the claim's order.
		slices.SortFunc(s.environments, func(a, b string) int { return slices.Index(Environments, a) - slices.Index(Environments, b) })
	}
	n, err := compose.WholeNumber(spec, "replicaCount", MinReplicaCount, MaxReplicaCount,
		replicaCountAllowed)
	errs.Add(err)
	if n != 0 {
		s.replicaCount = n
	}
	return s, errs.Err()
}

// addNested adds the errors of a nested claim's validation, re-rooted from
// its spec to path.
func addNested(errs *field.List, path string, err error) {
	switch nested := field.Nest(err, "spec", path).(type) { //nolint:errorlint // field.Nest returns a List as it is, never wrapped
	case nil:
	case field.List:
		*errs = append(*errs, nested...)
	default:
		errs.Add(field.Invalid(path, nil, nested.Error()))
	}
}

// requiredString reads a required non-empty string.
func requiredString(spec *structpb.Struct, name, what string, errs *field.List) string {
	v, ok := stringField(spec, name, errs)
	if !ok || v == "" {
		if !pb.Has(spec, name) || ok {
			errs.Add(field.Required("spec."+name, what))
		}
		return ""
	}
	return v
}

// stringField reads an optional string; a value of another type is an error.
func stringField(spec *structpb.Struct, name string, errs *field.List) (string, bool) {
	if !pb.Has(spec, name) {
		return "", false
	}
	v, ok := pb.String(spec, name)
	if !ok {
		errs.Add(field.Invalid("spec."+name, pb.Get(spec, name).AsInterface(), "a string"))
	}
	return v, ok
}

// nested reads an optional object, a database, bucket or queue asked for, with
// only the known fields.
func nested(spec *structpb.Struct, name string, known []string, errs *field.List) *structpb.Struct {
	if !pb.Has(spec, name) {
		return nil
	}
	s := pb.Struct(spec, name)
	if s == nil {
		errs.Add(field.Invalid("spec."+name, pb.Get(spec, name).AsInterface(), "an object ({} for the defaults), or leave it out for none"))
		return nil
	}
	keys := make([]string, 0, len(s.GetFields()))
	for k := range s.GetFields() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			errs.Add(field.Invalid("spec."+name+"."+k, s.GetFields()[k].AsInterface(), "no such field; allowed fields are "+strings.Join(known, ", ")))
		}
	}
	return s
}

func allowed(vs []string) string {
	return field.OneOf("", nil, vs...).Allowed
}

func quoted(vs []string) string {
	return strings.TrimPrefix(allowed(vs), "allowed values are ")
}

// withTenant returns the service owned by the tenant the platform maps its
// namespace to: the team (Backstage owner, "team" label), the Argo CD
// project, and the default system <team>-platform. A claim's spec.owner
// that names another team is refused rather than ignored, so that nobody
// believes it chose the owner. The error is the platform's (*env.Error)
// when its mapping cannot give the namespace a tenant.
func (s *service) withTenant(st *settings) (*service, error) {
	t, err := st.Tenant(s.namespace)
	if err != nil {
		return nil, err
	}
	c := *s
	c.team, c.project, c.mapped = t.Team, t.ArgoCDProject, t.Mapped
	// The name a new repository gets (withRepository keeps an existing
	// one's).
	c.repository = env.RepositoryName(st.RepositoryName, c.name, c.team, c.namespace)
	var errs field.List
	if s.claimed && s.owner != "" && s.owner != t.Team {
		errs.Add(field.Invalid("spec.owner", s.owner, fmt.Sprintf(
			"%q, the team the platform maps namespace %q to, or leave it out: the owning team, its Backstage group and its Argo CD project are the platform's to say", t.Team, s.namespace)))
	}
	if c.system == "" {
		c.system = t.Team + "-platform"
		if len(c.system) > 63 {
			errs.Add(field.Required("spec.system", fmt.Sprintf("a Backstage system name of at most 63 characters: the default, %q, is longer", c.system)))
		}
	}
	return &c, errs.Err()
}

// withRepository settles the service's repository name: the name its
// Repository has if it exists (Crossplane keeps an existing composed
// resource's name, and a repository's GitHub name is its Repository's, so
// a change of the platform's pattern never renames one), or else the
// platform's repositoryName pattern's (withTenant). A claim whose name
// makes no repository name is refused, naming the pattern.
func (s *service) withRepository(set *compose.Set, st *settings) error {
	if n, _ := pb.String(set.Observed(Repository), "metadata", "name"); n != "" {
		s.repository = n
		return nil
	}
	if !env.ValidRepositoryName(s.repository) {
		return field.Invalid("metadata.name", s.name, fmt.Sprintf(
			"a shorter name: the platform names the service's repository and catalog entity %q, whose %q makes %q (%d characters), and they are at most %d characters",
			env.ServiceBundleKey+".repositoryName", st.RepositoryName, s.repository, len(s.repository), env.MaxRepositoryName))
	}
	tenant := env.Tenant{Namespace: s.namespace, Team: s.team}
	if other, service, ok := st.RepositoryNameOf(s.repository, s.name, tenant); ok {
		return field.Invalid("metadata.name", s.name, fmt.Sprintf(
			"another name: the platform's %q, %q, makes %q, which is also the name of service %q of team %q (namespace %q), whose team name is the longer part of it; that name is theirs",
			env.ServiceBundleKey+".repositoryName", st.RepositoryName, s.repository, service, other.Team, other.Namespace))
	}
	return nil
}

// applicationSeparator joins namespace and service in an Application's
// name. A namespace never ends with a hyphen and a service has no double
// hyphen, so the last "--" of a name is this one and two claims' names
// differ unless their namespace, service and environment are the same.
const applicationSeparator = "--"

// applicationName is the name of a service's Argo CD Application for one
// environment: "<namespace>--<service>-<environment>", unique per claim
// namespace in Argo CD's shared namespace. It is at most 63 characters
// (naming.Label: longer names keep a readable beginning, a digest of the
// whole name and the environment): Argo CD's label tracking methods record
// an Application's name as the value of app.kubernetes.io/instance on every
// resource it deploys, and a label value is at most 63 characters
// (https://argo-cd.readthedocs.io/en/stable/user-guide/resource_tracking/,
// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set).
// An Application that exists keeps the name it has (observed.appName).
func applicationName(namespace, service, environment string) string {
	return naming.Label(namespace+applicationSeparator+service+"-"+environment, environment)
}
