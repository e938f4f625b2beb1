package servicebundle

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/paved-dev/paved/fn/internal/compose"
)

// bundle is an XServiceBundle of the claim team-orders/orders-api with spec.
func bundle(spec string) *compose.Composite {
	return &compose.Composite{
		Object:     resource.MustStructJSON(`{"spec": ` + spec + `}`),
		APIVersion: "platform.paved.dev/v1alpha1", Kind: Kind, Name: "orders-api-x7k2p",
		ClaimKind: "ServiceBundle", ClaimName: "orders-api", ClaimNamespace: "team-orders",
	}
}

func TestParse(t *testing.T) {
	type want struct {
		s   *service
		err string
	}
	cases := map[string]struct {
		reason string
		xr     *compose.Composite
		want   want
	}{
		"Defaults": {
			reason: "Only the required fields: experimental, staging only, 3 replicas, no database or bucket; the team and the default system are the platform's (withTenant).",
			xr:     bundle(`{"description": "Orders API", "template": "node-service"}`),
			want: want{s: &service{
				name: "orders-api", namespace: "team-orders", description: "Orders API",
				template: "node-service", lifecycle: "experimental",
				environments: []string{"staging"}, replicaCount: 3, claimed: true,
			}},
		},
		"Everything": {
			reason: "Every field set; environments are delivered in a stable order.",
			xr: bundle(`{"description": "Orders API", "owner": "orders", "template": "go-service", "system": "shop",
				"lifecycle": "production", "database": {"engine": "postgresql", "size": "small"}, "bucket": {},
				"environments": ["production", "staging"], "replicaCount": 5}`),
			want: want{s: &service{
				name: "orders-api", namespace: "team-orders", description: "Orders API", owner: "orders",
				template: "go-service", system: "shop", lifecycle: "production",
				database:     resource.MustStructJSON(`{"engine": "postgresql", "size": "small"}`),
				bucket:       resource.MustStructJSON(`{}`),
				environments: []string{"staging", "production"}, replicaCount: 5, claimed: true,
			}},
		},
		"Redis": {
			reason: "The seed's template offers redis: a bundle's database takes it as a DatabaseClaim does.",
			xr:     bundle(`{"description": "d", "template": "node-service", "database": {"engine": "redis", "size": "medium"}}`),
			want: want{s: &service{
				name: "orders-api", namespace: "team-orders", description: "d",
				template: "node-service", lifecycle: "experimental",
				database:     resource.MustStructJSON(`{"engine": "redis", "size": "medium"}`),
				environments: []string{"staging"}, replicaCount: 3, claimed: true,
			}},
		},
		"MongoDB": {
			reason: "The seed's template offers mongodb: a bundle's database takes it as a DatabaseClaim does.",
			xr:     bundle(`{"description": "d", "template": "node-service", "database": {"engine": "mongodb", "size": "large", "version": "8.0"}}`),
			want: want{s: &service{
				name: "orders-api", namespace: "team-orders", description: "d",
				template: "node-service", lifecycle: "experimental",
				database:     resource.MustStructJSON(`{"engine": "mongodb", "size": "large", "version": "8.0"}`),
				environments: []string{"staging"}, replicaCount: 3, claimed: true,
			}},
		},
		"UnknownEngine": {
			reason: "An engine no DatabaseClaim offers is refused naming the field, the value and every engine database.Engines offers.",
			xr:     bundle(`{"description": "d", "owner": "orders", "template": "node-service", "database": {"engine": "cassandra", "size": "small"}}`),
			want:   want{err: `spec.database.engine: invalid value "cassandra": allowed values are "postgresql", "mysql", "redis", "mongodb"`},
		},
		"RedisRules": {
			reason: "A redis database keeps the redis family's rules, reported under spec.database.",
			xr:     bundle(`{"description": "d", "owner": "orders", "template": "node-service", "database": {"engine": "redis", "size": "small", "storageGB": 50}}`),
			want:   want{err: `spec.database.storageGB: invalid value 50: not set for engine redis: its memory is its size's node type's`},
		},
		"NestedDatabaseValidation": {
			reason: "The database is validated by the database composer's own rules, reported under spec.database.",
			xr:     bundle(`{"description": "d", "owner": "orders", "template": "node-service", "database": {"engine": "postgres", "size": "huge", "storageGB": 10, "publiclyAccessible": true}}`),
			want: want{err: `spec.database.engine: invalid value "postgres": allowed values are "postgresql", "mysql", "redis", "mongodb"; ` +
				`spec.database.size: invalid value "huge": allowed values are "small", "medium", "large"; ` +
				`spec.database.storageGB: invalid value 10: a whole number of GiB from 20 to 4096; ` +
				`spec.database.publiclyAccessible: invalid value true: only false is allowed: paved databases are reachable only from the platform's private networks`},
		},
		"NestedBucketValidation": {
			reason: "The bucket is validated by the bucket composer's rules; unknown fields never reach the nested composite.",
			xr:     bundle(`{"description": "d", "owner": "orders", "template": "node-service", "bucket": {"publicAccess": true, "compositionRef": {"name": "x"}}}`),
			want: want{err: `spec.bucket.compositionRef: invalid value map[name:x]: no such field; allowed fields are noncurrentVersionExpirationDays, publicAccess, encrypted; ` +
				`spec.bucket.publicAccess: invalid value true: only false is allowed: paved buckets always block public access`},
		},
		"EveryErrorAtOnce": {
			reason: "Every bad field is reported in one message.",
			xr: bundle(`{"description": "", "owner": "Orders Team", "template": "rust-service", "lifecycle": "beta",
				"environments": ["staging", "qa", "staging"], "replicaCount": 1, "bucket": "yes"}`),
			want: want{err: `spec.description: invalid value (none): required; a short description of the service; ` +
				`spec.owner: invalid value "Orders Team": a team name: at most 63 lowercase letters, digits and single hyphens; ` +
				`spec.template: invalid value "rust-service": allowed values are "node-service", "python-service", "go-service"; ` +
				`spec.lifecycle: invalid value "beta": allowed values are "experimental", "production", "deprecated"; ` +
				`spec.bucket: invalid value "yes": an object ({} for the defaults), or leave it out for none; ` +
				`spec.environments[1]: invalid value "qa": allowed values are "staging", "production"; ` +
				`spec.environments[2]: invalid value "staging": each environment once; ` +
				`spec.replicaCount: invalid value 1: a whole number from 2 to 10: the production replica count`},
		},
		"Required": {
			reason: "An empty spec names every required field.",
			xr:     bundle(`{}`),
			want: want{err: `spec.description: invalid value (none): required; a short description of the service; ` +
				`spec.template: invalid value (none): required; allowed values are "node-service", "python-service", "go-service"`},
		},
		"NoEnvironments": {
			reason: "An empty list of environments delivers nothing: refused.",
			xr:     bundle(`{"description": "d", "owner": "orders", "template": "node-service", "environments": []}`),
			want:   want{err: `spec.environments: invalid value []: a list of one or both of "staging", "production", without repeats`},
		},
		"DescriptionTooLong": {
			reason: "GitHub refuses a repository description over 350 characters: refused up front, naming the field; characters, not bytes, count.",
			xr:     bundle(`{"description": "` + strings.Repeat("é", 351) + `", "owner": "orders", "template": "node-service"}`),
			want: want{err: `spec.description: invalid value "` + strings.Repeat("é", 40) + `...": at most 350 characters (it has 351): ` +
				`it becomes the GitHub repository's description, which GitHub refuses longer`},
		},
		"DescriptionLongest": {
			reason: "350 characters (700 bytes) is GitHub's maximum: accepted.",
			xr:     bundle(`{"description": "` + strings.Repeat("é", 350) + `", "owner": "orders", "template": "node-service"}`),
			want: want{s: &service{
				name: "orders-api", namespace: "team-orders", description: strings.Repeat("é", 350), owner: "orders",
				template: "node-service", lifecycle: "experimental",
				environments: []string{"staging"}, replicaCount: 3, claimed: true,
			}},
		},
		"BackstageName": {
			reason: "A claim name Backstage cannot hold (a doubled hyphen) is refused naming metadata.name.",
			xr: func() *compose.Composite {
				xr := bundle(`{"description": "d", "owner": "orders", "template": "node-service"}`)
				xr.ClaimName = "orders--api"
				return xr
			}(),
			want: want{err: `metadata.name: invalid value "orders--api": the service's name: at most 63 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen`},
		},
		"LongService": {
			reason: "A 63-character service is allowed: its Application names are shortened (applicationName).",
			xr: func() *compose.Composite {
				xr := bundle(`{"description": "d", "template": "node-service", "environments": ["production"]}`)
				xr.ClaimName = strings.Repeat("a", 63)
				return xr
			}(),
			want: want{s: &service{
				name: strings.Repeat("a", 63), namespace: "team-orders", description: "d", template: "node-service",
				lifecycle: "experimental", environments: []string{"production"}, replicaCount: 3, claimed: true,
			}},
		},
		"NoClaimNoOwner": {
			reason: "A composite made without a claim names the namespace it deploys to in spec.owner.",
			xr: func() *compose.Composite {
				xr := bundle(`{"description": "d", "template": "node-service"}`)
				xr.ClaimName, xr.ClaimNamespace = "", ""
				return xr
			}(),
			want: want{err: `spec.owner: invalid value (none): required; a composite made without a claim names its team's namespace, whose environment namespaces its Applications deploy into, in spec.owner`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := parse(tc.xr)
			got := want{s: s}
			if err != nil {
				got = want{err: err.Error()}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}, service{}), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nparse(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestNameRules(t *testing.T) {
	rules := []struct {
		re    *regexp.Regexp
		match func(string) bool
	}{
		{regexp.MustCompile(`^[a-z]([a-z0-9]|-[a-z0-9])*$`), isService},
		{regexp.MustCompile(`^[a-z0-9]([a-z0-9]|-[a-z0-9])*$`), isTeam},
		{regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`), isDNSLabel},
	}
	strs := []string{"", "a", "-", "a-", "-a", "a--b", "a-b", "1a", "a1", "A", "a.b", "a_b", "orders-api", "a b", "é"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = "ab09-A._"[r.IntN(8)]
		}
		strs = append(strs, string(b))
	}
	for _, s := range strs {
		for _, rule := range rules {
			if got, want := rule.match(s), rule.re.MatchString(s); got != want {
				t.Errorf("rule %s on %q: got %t, want %t", rule.re, s, got, want)
			}
		}
	}
}
