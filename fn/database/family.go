package database

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// An engineFamily is the AWS service that holds the data of some engines (RDS for
// postgresql and mysql). Adding an engine family is a file that declares
// one and a line in familyList; everything a database shares whatever its
// family (engine and size, network, connection Secret, Usages, placement
// pins of the network, refusing another family) is written once, in
// database.go and here.
type engineFamily struct {
	// engines are the claim's names of the engines it runs.
	engines []string
	// primary is the pipeline name of the resource that holds the data:
	// the one the Usages keep the rest for, whose connection details the
	// claim gets, and whose existence says the family of a database.
	primary string
	// immutable says why an existing database cannot move to another
	// engine, and what to do instead.
	immutable string
	// parse reads the claim's fields but engine and size (in c), adding
	// what is wrong to errs, into what composes the claim.
	parse func(spec *structpb.Struct, c *claim, errs *field.List) engineClaim
	// engineOf is the claim's name of the engine the existing primary obs
	// runs.
	engineOf func(obs *structpb.Struct) string
	// status reads the composite's status from what is observed.
	status func(xr *compose.Composite, s *compose.Set) compose.Status
	// placement says where its primary records its placement but the
	// region (Placement pins that, and the network's).
	placement []compose.Pin
}

// An engineClaim is a valid claim of one family, ready to compose.
type engineClaim interface {
	// prepare adapts the claim to the existing primary obs (nil: none)
	// and refuses what a new database cannot be.
	prepare(obs *structpb.Struct) error
	// compose adds the family's resources (build has the shared ones).
	compose(b *build) error
	// check refuses the day-two changes the existing primary obs cannot
	// make.
	check(obs *structpb.Struct) field.List
}

// familyList are the families, in the order their pins apply.
var familyList = []*engineFamily{&rdsFamily, &redisFamily, &docdbFamily}

// families are the families by the claim's engine name.
var families = func() map[string]*engineFamily {
	m := map[string]*engineFamily{}
	for _, f := range familyList {
		for _, e := range f.engines {
			m[e] = f
		}
	}
	return m
}()

// Engines a claim can ask for.
var Engines = func() []string {
	var names []string
	for _, f := range familyList {
		names = append(names, f.engines...)
	}
	return names
}()

// claim is a validated DatabaseClaim spec: what every family reads, and
// the family's own.
type claim struct {
	// name is the claim's spec.engine.
	name   string
	size   string
	family *engineFamily
	engineClaim
}

// parse reads and validates the claim's spec: its engine picks the family
// that reads the rest.
func parse(spec *structpb.Struct) (*claim, error) {
	var errs field.List
	c := &claim{}

	name, ok := pb.String(spec, "engine")
	switch f, known := families[name]; {
	case !ok:
		errs.Add(field.Required("spec.engine", "allowed values are "+quoted(Engines)))
	case !known:
		errs.Add(field.OneOf("spec.engine", name, Engines...))
	default:
		c.name, c.family = name, f
	}

	c.size, ok = pb.String(spec, "size")
	switch {
	case !ok:
		errs.Add(field.Required("spec.size", "allowed values are "+quoted(env.Sizes)))
	case !slices.Contains(env.Sizes, c.size):
		errs.Add(field.OneOf("spec.size", c.size, env.Sizes...))
	}

	f := c.family
	if f == nil {
		// The fields of RDS's claims, for a claim without a known
		// engine: what else is wrong with it is said at once.
		f = &rdsFamily
	}
	c.engineClaim = f.parse(spec, c, &errs)

	errs.Add(compose.SecureSetting(spec, "publiclyAccessible", false, "paved databases are reachable only from the platform's private networks"))
	errs.Add(compose.SecureSetting(spec, "storageEncrypted", true, "paved databases are always encrypted at rest"))
	errs.Add(compose.SecureSetting(spec, "deletionProtection", true, "paved databases are always protected from deletion"))
	return c, errs.Err()
}

// quoted lists names for a message: "a", "b".
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}
