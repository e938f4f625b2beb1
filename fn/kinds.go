package fn

import (
	"strings"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"

	"github.com/paved-dev/paved/fn/bucket"
	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/queue"
	"github.com/paved-dev/paved/fn/servicebundle"
)

// A Kind is one kind of composite resource function-paved composes. Adding
// a kind is adding it here, with its composer, an XRD and a Composition in
// apis/<Dir> (and apis/<Dir>-v2 for its namespaced composite), and examples
// in examples/<Dir>: messages, the function's description, tests, the fuzz
// target and the end-to-end install derive from Kinds, and TestRegistry
// checks apis/, examples/ and both packages' metadata against it.
type Kind struct {
	// Composite is the legacy composite's kind (group Group), e.g.
	// XDatabase.
	Composite string
	// Claim is the claim's kind, e.g. DatabaseClaim.
	Claim string
	// Namespaced is the kind of the namespaced composite (Crossplane v2,
	// group NamespacedGroup) that Composer composes too, e.g. Database; ""
	// when there is none. Its XRD and Composition are in apis/<kind>-v2.
	Namespaced string
	// Composer composes it.
	Composer Composer
	// Example is a valid spec (JSON) for tests and fuzz seeds.
	Example string
	// Dir names its folders: apis/<Dir> holds its XRD and Composition,
	// apis/<Dir>-v2 those of its namespaced composite, examples/<Dir> its
	// examples.
	Dir string
	// NameRule is true when its composer refuses names and namespaces
	// outside rules of its own (a ServiceBundle's name becomes its
	// repository's and its Applications', its namespace its team's),
	// rather than deriving valid cloud names from any name Kubernetes
	// allows.
	NameRule bool
	// Summary says what it composes, for the packages' descriptions
	// (Description): "<claims> into <what>".
	Summary string
}

// Kinds are the kinds function-paved composes, in the order messages name
// them.
var Kinds = []Kind{
	{Composite: database.Kind, Claim: "DatabaseClaim", Namespaced: database.NamespacedKind, Composer: database.Composer{},
		Example: `{"engine": "postgresql", "size": "small"}`,
		Dir:     "database", Summary: "DatabaseClaims into private, encrypted, backed-up RDS and ElastiCache databases"},
	{Composite: bucket.Kind, Claim: "BucketClaim", Namespaced: bucket.NamespacedKind, Composer: bucket.Composer{},
		Example: `{"noncurrentVersionExpirationDays": 90}`,
		Dir:     "bucket", Summary: "BucketClaims into private, encrypted, versioned S3 buckets"},
	{Composite: queue.Kind, Claim: "QueueClaim", Namespaced: queue.NamespacedKind, Composer: queue.Composer{},
		Example: `{"visibilityTimeoutSeconds": 60, "maxReceiveCount": 5}`,
		Dir:     "queue", Summary: "QueueClaims into encrypted SQS queues with a dead-letter queue, open over TLS to their own account only"},
	{Composite: servicebundle.Kind, Claim: servicebundle.ClaimKind, Namespaced: servicebundle.NamespacedKind, Composer: servicebundle.Composer{},
		Example: `{"description": "Orders API", "template": "node-service", "database": {"engine": "postgresql", "size": "small"}, "bucket": {}, "queue": {}, "environments": ["staging", "production"]}`,
		Dir:     "servicebundle", NameRule: true, Summary: "ServiceBundles into a GitHub repository, its Backstage registration, a database, bucket and queue, and Argo CD Applications"},
}

// Description says what function-paved composes, from every kind's
// Summary: the function's --help and its package's description
// (package/crossplane.yaml, which TestRegistry checks).
func Description() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = k.Summary
	}
	if len(s) > 1 {
		s[len(s)-1] = "and " + s[len(s)-1]
	}
	return "Composes " + strings.Join(s, "; ") + "."
}

// kindNames lists the composite kinds for a message: "group/v1alpha1 XA,
// XB and XC, and namespaced group/v1alpha1 A and B".
func kindNames() string {
	var legacy, namespaced []string
	for _, k := range Kinds {
		legacy = append(legacy, k.Composite)
		if k.Namespaced != "" {
			namespaced = append(namespaced, k.Namespaced)
		}
	}
	msg := Group + "/" + Version + " " + and(legacy)
	if len(namespaced) > 0 {
		msg += ", and namespaced " + NamespacedGroup + "/" + Version + " " + and(namespaced)
	}
	return msg
}

// and lists names for a message: "A, B and C".
func and(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// conditionTypes are the conditions a composer reports: its own, or one
// per part of what it composes.
func conditionTypes(c Composer) []string {
	if m, ok := c.(interface{ ConditionTypes() []string }); ok {
		return m.ConditionTypes()
	}
	return []string{c.ConditionType()}
}

// refusedConditionTypes are the conditions a refusal of xr sets False: the
// composer's, except a condition about a part the composite neither asks
// for (its spec field, PartConditions) nor already reports. Core keeps a
// condition a function stops returning (crossplane v2.4.0
// internal/controller/apiextensions/composite/reconciler.go,
// handleCommonCompositionResult sets each returned condition on the
// composite and removes none; after a Fatal result it marks those not
// returned Unknown), so a QueueReady=False set by one refusal of a bundle
// without a queue would stay on it and its claim for good.
func refusedConditionTypes(c Composer, xr *compose.Composite) []string {
	types := conditionTypes(c)
	m, ok := c.(interface{ PartConditions() map[string]string })
	if !ok {
		return types
	}
	parts := m.PartConditions()
	out := make([]string, 0, len(types))
	for _, t := range types {
		if field, part := parts[t]; part && pb.Get(xr.Object, "spec", field) == nil {
			if _, reported := pb.ConditionOf(xr.Object, t); !reported {
				continue
			}
		}
		out = append(out, t)
	}
	return out
}
