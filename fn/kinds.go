package fn

import (
	"strings"

	"github.com/paved-dev/paved/fn/bucket"
	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/servicebundle"
)

// A Kind is one kind of composite resource function-paved composes. Adding
// a kind is adding it here, with its composer, an XRD and a Composition in
// apis/, and examples: messages, tests and the fuzz target derive from
// Kinds.
type Kind struct {
	// Composite is the composite's kind, e.g. XDatabase.
	Composite string
	// Claim is the claim's kind, e.g. DatabaseClaim.
	Claim string
	// Composer composes it.
	Composer Composer
	// Example is a valid spec (JSON) for tests and fuzz seeds.
	Example string
}

// Kinds are the kinds function-paved composes, in the order messages name
// them.
var Kinds = []Kind{
	{Composite: database.Kind, Claim: "DatabaseClaim", Composer: database.Composer{},
		Example: `{"engine": "postgresql", "size": "small"}`},
	{Composite: bucket.Kind, Claim: "BucketClaim", Composer: bucket.Composer{},
		Example: `{"noncurrentVersionExpirationDays": 90}`},
	{Composite: servicebundle.Kind, Claim: servicebundle.ClaimKind, Composer: servicebundle.Composer{},
		Example: `{"description": "Orders API", "template": "node-service", "database": {"engine": "postgresql", "size": "small"}, "bucket": {}, "environments": ["staging", "production"]}`},
}

// kindNames lists the composite kinds for a message: "XA, XB and XC".
func kindNames() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = k.Composite
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// conditionTypes are the conditions a composer reports, each of which a
// refusal sets False: its own, or one per part of what it composes.
func conditionTypes(c Composer) []string {
	if m, ok := c.(interface{ ConditionTypes() []string }); ok {
		return m.ConditionTypes()
	}
	return []string{c.ConditionType()}
}
