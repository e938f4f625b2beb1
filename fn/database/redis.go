package database

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// redisFamily composes redis as an ElastiCache replication group running
// Valkey: a primary and a replica in two availability zones with automatic
// failover, TLS required, encrypted at rest, an AUTH token the provider
// generates, and daily snapshots.
//
// Valkey, not Redis OSS: AWS presents Valkey as a drop-in replacement for
// Redis OSS 7 (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/VersionManagement.HowTo.html,
// "How to upgrade from Redis OSS to Valkey"), prices its node-based
// clusters up to 20% lower per node
// (https://aws.amazon.com/elasticache/faqs/, "Why should I use ElastiCache
// for Valkey?"), encrypts it at rest by default (provider-aws v1.23.0
// package/crds/elasticache.aws.upbound.io_replicationgroups.yaml,
// atRestEncryptionEnabled), and Valkey stays under the BSD licence that
// Redis left with 7.4. Clients speak the Redis protocol to it unchanged.
var redisFamily = engineFamily{
	engines: []string{"redis"},
	primary: ReplicationGroup,
	// ModifyReplicationGroup changes an engine only from Redis OSS to
	// Valkey (same page, "How to upgrade from Redis OSS to Valkey"): a
	// replication group never becomes an RDS database.
	immutable: "an ElastiCache replication group cannot become another engine's database; create a new claim and migrate the data",
	parse:     parseRedis,
	engineOf:  func(*structpb.Struct) string { return "redis" },
	status:    redisStatus,
	placement: primaryPins(ReplicationGroup, "authTokenSecretRef"),
}

// ReplicationGroup is the pipeline name of a redis database's ElastiCache
// replication group.
const ReplicationGroup = "replication-group"

// AnnotationSize on the composed ReplicationGroup records the claim's size
// it was composed for, so that a smaller one is refused (redisClaim.check)
// whatever node type the platform maps sizes to. paved sets it.
const AnnotationSize = "paved.dev/size"

// The redis engine as ElastiCache runs it.
const (
	// redisEngine is ElastiCache's engine (valkey; see redisFamily).
	redisEngine = "valkey"
	// RedisPort is the port of every redis database: ElastiCache's
	// default for Valkey and Redis OSS
	// (package/crds/elasticache.aws.upbound.io_replicationgroups.yaml, port).
	RedisPort = 6379
	// DefaultRedisVersion of a new redis database.
	DefaultRedisVersion = "8.2"
	// redisNodes: a primary and one replica, in different availability
	// zones (the subnet group spans at least two, env.RequireNetwork).
	// Multi-AZ with automatic failover needs at least one replica
	// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html,
	// "Enabling Multi-AZ").
	redisNodes = 2
	// authTokenKey is the key of the generated AUTH token in its Secret.
	authTokenKey = "authToken"
)

// redisVersion is what spec.version may be for redis: a Valkey version
// ElastiCache runs (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html).
// ElastiCache takes major.minor for versions 7 and later
// (package/crds/elasticache.aws.upbound.io_replicationgroups.yaml,
// engineVersion).
var redisVersion = regexp.MustCompile(`^(7\.2|8\.[0-2])$`)

const redisVersionAllowed = `a Valkey version: "7.2", "8.0", "8.1" or "8.2" (the default)`

// DefaultCacheNodeTypes maps sizes to ElastiCache node types; the platform
// may map them to others per environment (env cacheNodeTypes), of a
// current generation, all of which take Multi-AZ with automatic failover
// and snapshots (env.validate).
var DefaultCacheNodeTypes = map[string]string{
	"small":  "cache.t4g.medium",
	"medium": "cache.r6g.large",
	"large":  "cache.r6g.xlarge",
}

// redisClaim is a claim of the redis engine.
type redisClaim struct {
	size    string
	version string
	// versionSet: the claim names its version; otherwise it is the
	// default of a new database, or what an existing one runs.
	versionSet bool
}

func parseRedis(spec *structpb.Struct, base *claim, errs *field.List) engineClaim {
	c := &redisClaim{size: base.size, version: DefaultRedisVersion}
	if v, set := pb.String(spec, "version"); set {
		c.version, c.versionSet = v, true
		if !redisVersion.MatchString(v) {
			errs.Add(field.Invalid("spec.version", v, "for engine redis: "+redisVersionAllowed))
		}
	} else if pb.Has(spec, "version") {
		errs.Add(field.Invalid("spec.version", pb.Get(spec, "version").AsInterface(), `a string such as "8.2" (quote it in YAML)`))
	}
	if pb.Has(spec, "storageGB") {
		errs.Add(field.Invalid("spec.storageGB", pb.Get(spec, "storageGB").AsInterface(),
			"not set for engine redis: its memory is its size's node type's"))
	}
	return c
}

// prepare adapts the claim to the existing replication group obs (nil:
// none); a new one may have any version redisVersion allows.
func (c *redisClaim) prepare(obs *structpb.Struct) error {
	c.onExisting(obs)
	return nil
}

// onExisting keeps the version the existing replication group obs runs
// when the claim names none, and returns it: a new default must not
// upgrade what exists.
func (c *redisClaim) onExisting(obs *structpb.Struct) string {
	running := redisRunning(obs)
	if running != "" && !c.versionSet {
		c.version = running
	}
	return running
}

// redisRunning is the major.minor version the replication group obs runs,
// as provider-aws observed it (runningVersion: engineVersionActual, e.g.
// "8.2.1"), or as asked for before it has; "" for none.
func redisRunning(obs *structpb.Struct) string {
	v := runningVersion(obs)
	if parts := strings.Split(v, "."); len(parts) > 2 {
		v = parts[0] + "." + parts[1]
	}
	return v
}

// compose adds the replication group and its subnet group.
func (c *redisClaim) compose(b *build) error {
	xr, e, s, names := b.xr, b.e, b.s, b.names
	nodeType := DefaultCacheNodeTypes[c.size]
	if o, ok := e.CacheNodeTypes[c.size]; ok {
		nodeType = o
	}

	// Every cloud name carries the composite's uid digest (package
	// naming); an existing resource keeps the name it has (Set.Keep). A
	// replication group and a cache subnet group are named by their
	// external names (provider-aws v1.23.0 config/externalname.go:
	// ParameterAsIdentifier("replication_group_id"), NameAsIdentifier).
	groupID := s.KeepExternalName(ReplicationGroup, awsrules.ReplicationGroupID.Valid, names.Cloud(awsrules.ReplicationGroupID, ""))
	finalSnapshot := s.Keep(ReplicationGroup, awsrules.ReplicationGroupID.Valid, names.Cloud(awsrules.ReplicationGroupID, "final"), "spec", "forProvider", "finalSnapshotIdentifier")
	tokenSecret, connSecret, err := b.secrets(ReplicationGroup, "auth-token", "authTokenSecretRef")
	if err != nil {
		return err
	}

	b.subnetGroup("elasticache.aws.upbound.io/v1beta1", awsrules.CacheSubnetGroupName, awsrules.ElastiCacheDescription)
	b.securityGroup("redis", RedisPort)

	// No parameter group: TLS is the replication group's own setting
	// (transitEncryptionMode required), not a parameter, and the default
	// group of the version (default.valkey8) suits a cluster-mode-disabled
	// group (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html:
	// "If you do not specify a parameter group ... a default parameter
	// group appropriate to your engine version will be used").
	fp := pb.Fields{
		"region":        b.region,
		"description":   pb.Str(awsrules.ElastiCacheDescription.Text("paved redis database for " + xr.Owner())),
		"engine":        pb.Const(redisEngine),
		"engineVersion": pb.Str(c.version),
		"nodeType":      pb.Str(nodeType),
		"port":          pb.Int(RedisPort),
		// One shard, its primary endpoint the one address clients use.
		"clusterMode":      pb.Const("disabled"),
		"numCacheClusters": pb.Int(redisNodes),
		// A replica in another availability zone takes over from a
		// failed primary (multiAzEnabled needs automaticFailoverEnabled,
		// and that at least two nodes: package/crds
		// elasticache.aws.upbound.io_replicationgroups.yaml). Every node
		// type env allows supports it (DefaultCacheNodeTypes).
		"multiAzEnabled":           pb.Boolean(true),
		"automaticFailoverEnabled": pb.Boolean(true),
		// TLS, and only TLS: "required" refuses plain connections
		// (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html,
		// TransitEncryptionMode). An AUTH token needs it.
		"transitEncryptionEnabled": pb.Boolean(true),
		"transitEncryptionMode":    pb.Const("required"),
		// The v1beta2 CRD types it as a string.
		"atRestEncryptionEnabled": pb.Const("true"),
		// The provider generates the AUTH token into the Secret and sends
		// it to AWS (provider-aws v1.23.0 config/elasticache/config.go,
		// common.PasswordGenerator on authTokenSecretRef): it never passes
		// through the function.
		"autoGenerateAuthToken": pb.Boolean(true),
		"authTokenSecretRef": pb.Obj(pb.Fields{
			"namespace": pb.Str(e.ConnectionSecretNamespace),
			"name":      pb.Str(tokenSecret),
			"key":       pb.Const(authTokenKey),
		}),
		// Daily snapshots kept as long as RDS backups (7 to 35 days); 0
		// would turn them off (package/crds, snapshotRetentionLimit).
		"snapshotRetentionLimit":  pb.Int(int(e.BackupRetentionDays)),
		"finalSnapshotIdentifier": pb.Str(finalSnapshot),
		"autoMinorVersionUpgrade": pb.Const("true"),
		"applyImmediately":        pb.Boolean(false),
		"subnetGroupNameSelector": compose.Selector(SubnetGroup),
		"securityGroupIdSelector": compose.Selector(SecurityGroup),
		"tags":                    b.tags,
	}
	if e.KMSKeyID != "" {
		fp["kmsKeyId"] = pb.Str(e.KMSKeyID)
	}
	// For a namespaced composite the token's and the connection details'
	// Secret references become local (compose, dialect.go): both land in
	// the composite's namespace, the details in the team's own Secret,
	// which provider-aws writes itself (its primary_endpoint_address,
	// reader_endpoint_address and port: provider-aws config/elasticache
	// AdditionalConnectionDetailsFn, and the token as
	// attribute.auth_token, upjet's prefix of a sensitive attribute).
	s.Add(ReplicationGroup, "elasticache.aws.upbound.io/v1beta2", "ReplicationGroup", names.Object(ReplicationGroup), pb.Fields{
		"forProvider": pb.Obj(fp),
		"writeConnectionSecretToRef": pb.Obj(pb.Fields{
			"namespace": pb.Str(e.ConnectionSecretNamespace),
			"name":      pb.Str(connSecret),
		}),
	}, compose.WithExternalName(groupID), withAnnotation(AnnotationSize, c.size))
	// ElastiCache has no deletion protection: provider-aws's identity may
	// not delete replication groups (README, Decommission), and the
	// platform operator deletes the group with its final snapshot.
	b.protect(ReplicationGroup, "is deleted only by a platform operator (provider-aws may not delete ElastiCache replication groups; the operator deletes it with the final snapshot "+finalSnapshot+")")
	return nil
}

// check refuses what the existing replication group obs cannot do: run an
// older version, or become smaller.
func (c *redisClaim) check(obs *structpb.Struct) field.List {
	var errs field.List
	// ElastiCache upgrades, never downgrades
	// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/SelectEngine.html:
	// "you cannot downgrade to an older engine version").
	if running := c.onExisting(obs); running != "" && olderVersion(c.version, running) {
		errs.Add(field.Invalid("spec.version", c.version, fmt.Sprintf(
			"%s or later, the version the existing database runs: ElastiCache cannot downgrade a replication group", running)))
	}
	// A smaller node holds less: paved refuses to shrink a database, as
	// RDS refuses to shrink storage. A larger size scales the group up
	// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Scaling.RedisReplGrps.ScaleUp.html).
	if was, _ := pb.String(obs, "metadata", "annotations", AnnotationSize); slices.Index(env.Sizes, c.size) < slices.Index(env.Sizes, was) {
		errs.Add(field.Invalid("spec.size", c.size, fmt.Sprintf(
			"%s or larger, the size of the existing database: paved does not shrink a redis database's memory", was)))
	}
	return errs
}

// redisStatus reports the connection secret the replication group writes
// to and its primary endpoint. For a claim it returns the connection
// details: endpoint, port, tls and, as "password", the AUTH token
// provider-aws generated, read from the replication group's connection
// details (the key clients name it: redis-cli -a, redis-py and ioredis
// password). For a namespaced composite provider-aws writes them to the
// team's Secret itself (see compose), and the function reads none.
func redisStatus(xr *compose.Composite, s *compose.Set) compose.Status {
	p := readPrimary(xr, s, ReplicationGroup, "primaryEndpointAddress", "primary_endpoint_address")
	p.readPort()
	// Clients must connect with TLS (transitEncryptionMode required).
	p.st.Fields["tls"] = pb.Boolean(true)
	p.cd["tls"] = []byte("true")
	return p.finish(nil, "attribute.auth_token")
}
