package database

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// docdbFamily composes mongodb as an Amazon DocumentDB cluster (MongoDB
// compatible) with its instances and the cluster parameter group that
// enforces TLS. provider-aws v1.23.0 serves and stores the docdb kinds at
// v1beta1 only (package/crds/docdb.aws.upbound.io_*.yaml); their
// namespaced kinds of v2.6.0 take the same parameters
// (test/crds/provider-aws-v2.6.0/docdb.aws.m.upbound.io_*.yaml).
var docdbFamily = engineFamily{
	engines: []string{"mongodb"},
	primary: Cluster,
	// ModifyDBCluster has no Engine parameter: a cluster's engine is
	// docdb for its life
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_ModifyDBCluster.html).
	immutable: "an Amazon DocumentDB cluster cannot change its engine; create a new claim and migrate the data",
	parse:     parseDocDB,
	engineOf:  func(*structpb.Struct) string { return "mongodb" },
	status:    docdbStatus,
	placement: slices.Concat(
		[]compose.Pin{{Setting: env.Region, Resource: Cluster, Paths: [][]string{pinFor("region")}}},
		networkPins,
		primaryPins(Cluster, "masterPasswordSecretRef")),
}

// Names of the DocumentDB family's composed resources in the pipeline.
const (
	Cluster = "cluster"
	// ClusterInstancePrefix starts the name of each instance of the
	// cluster: cluster-instance-1, -2, ...
	ClusterInstancePrefix = "cluster-instance-"
	// ClusterParameterGroupPrefix starts the name of the cluster parameter
	// group, which ends with its family (cluster-parameter-group-docdb5-0):
	// a major version upgrade composes the new family's group.
	ClusterParameterGroupPrefix = "cluster-parameter-group-"
)

// DocDBPort is the port of every DocumentDB cluster: DocumentDB's default,
// MongoDB's (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBCluster.html,
// Port).
const DocDBPort = 27017

// A docdbSize is what a size composes: how many instances of which class.
type docdbSize struct {
	instances int
	class     string
}

// DocDBSizes maps sizes to the instances of a cluster. small is one
// instance of a burstable class; medium and large add replicas, which
// DocumentDB places in other availability zones of the subnet group and
// promotes on a failure of the primary
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/replication.html,
// https://docs.aws.amazon.com/documentdb/latest/developerguide/failover.html).
// The classes are of the R6G and T4G families DocumentDB supports
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/db-instance-classes.html);
// the platform may map a size to another class
// (env.Environment.DocumentDBInstanceClasses), not to another count.
var DocDBSizes = map[string]docdbSize{
	"small":  {instances: 1, class: "db.t4g.medium"},
	"medium": {instances: 2, class: "db.r6g.large"},
	"large":  {instances: 3, class: "db.r6g.xlarge"},
}

// DocumentDB engine versions. A claim's version is the MongoDB API a
// cluster is compatible with: DocumentDB 5.0 and 8.0 are current, and
// 5.0, the default, is the one every instance class of DocDBSizes runs
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/db-instance-classes.html,
// "Supported instance classes by region"). A cluster upgrades in place from 5.0 to 8.0,
// with allowMajorVersionUpgrade, and can never be downgraded
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/docdb-mvu.html).
// The engine version DocumentDB takes is "<major>.0" ("5.0.0", "8.0.0"),
// the family of its cluster parameter groups "docdb<major>"
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/cluster_parameter_groups-create.html).
const docdbDefaultVersion = "5.0"

var (
	docdbVersion        = regexp.MustCompile(`^(5|8)\.0$`)
	docdbVersionAllowed = `DocumentDB "5.0" or "8.0" (MongoDB API compatibility)`
)

// docdbParameters enforce TLS and make the audit log worth exporting.
//
// tls "enabled" refuses connections without TLS; it is static, applied at
// the cluster's creation or its instances' next reboot. audit_logs
// "enabled" records authentication, authorization and DDL events; it is
// dynamic
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/cluster_parameter_groups-list_of_parameters.html,
// https://docs.aws.amazon.com/documentdb/latest/developerguide/security.encryption.ssl.html,
// https://docs.aws.amazon.com/documentdb/latest/developerguide/event-auditing.html).
// As for RDS (tls.go, parameter), "pending-reboot" is accepted for static
// and dynamic parameters alike, "immediate" for dynamic ones only.
var docdbParameters = pb.List(
	pb.Obj(pb.Fields{"name": pb.Const("tls"), "value": pb.Const("enabled"), "applyMethod": pb.Const("pending-reboot")}),
	pb.Obj(pb.Fields{"name": pb.Const("audit_logs"), "value": pb.Const("enabled"), "applyMethod": pb.Const("immediate")}),
)

// docdbLogs are the logs the cluster exports to CloudWatch: the audit log
// that docdbParameters enable
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBCluster.html,
// EnableCloudwatchLogsExports: "audit" or "profiler").
var docdbLogs = []string{"audit"}

// docdbClaim is a claim of mongodb.
type docdbClaim struct {
	name, size string
	version    string
	// versionSet: the claim names its version; otherwise it is the
	// default of a new cluster, or the running major version of an
	// existing one (see prepare).
	versionSet bool
	// running is the version the existing cluster runs ("" for none).
	running string
}

func parseDocDB(spec *structpb.Struct, base *claim, errs *field.List) engineClaim {
	c := &docdbClaim{name: base.name, size: base.size, version: docdbDefaultVersion}
	if v, set := pb.String(spec, "version"); set {
		c.version, c.versionSet = v, true
		if !docdbVersion.MatchString(v) {
			errs.Add(field.Invalid("spec.version", v, "for engine mongodb: "+docdbVersionAllowed))
		}
	} else if pb.Has(spec, "version") {
		errs.Add(field.Invalid("spec.version", pb.Get(spec, "version").AsInterface(), `a string such as "5.0" (quote it in YAML)`))
	}
	// A cluster volume grows by itself, up to DocumentDB's limit
	// (https://docs.aws.amazon.com/documentdb/latest/developerguide/how-it-works.html,
	// storage): there is nothing to allocate, and a number here would be
	// silently ignored.
	if pb.Has(spec, "storageGB") {
		errs.Add(field.Invalid("spec.storageGB", pb.Get(spec, "storageGB").AsInterface(),
			"not set for engine mongodb: an Amazon DocumentDB cluster's storage grows by itself"))
	}
	return c
}

// docdbMajor is the major version of a DocumentDB engine version: "5.0"
// of "5.0.0" (and of "5").
func docdbMajor(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version + ".0"
	}
	return parts[0] + "." + parts[1]
}

// docdbEngineVersion is the cluster's spec.forProvider.engineVersion for
// a claim asking for major while running runs: the version it runs
// within that major version (DocumentDB's patches are its own, "5.0.0"
// throughout), else the major version's first, "<major>.0".
func docdbEngineVersion(major, running string) string {
	if running != "" && docdbMajor(running) == major {
		return running
	}
	return major + ".0"
}

// docdbRunning is the engine version the existing cluster obs runs, as
// provider-aws observed it, or what its spec last asked for; "" for none.
func docdbRunning(obs *structpb.Struct) string {
	v, _ := pb.String(obs, "status", "atProvider", "engineVersion")
	if v == "" {
		v, _ = pb.String(obs, "spec", "forProvider", "engineVersion")
	}
	return v
}

// prepare: a claim that names no version asks for the major version the
// existing cluster runs, not the default, so that a new default never
// upgrades a cluster that exists.
func (c *docdbClaim) prepare(obs *structpb.Struct) error {
	c.running = docdbRunning(obs)
	if c.running != "" && !c.versionSet {
		c.version = docdbMajor(c.running)
	}
	return nil
}

// check refuses what the existing cluster obs cannot do: go back to an
// older major version (docdb-mvu: "you cannot downgrade"), or lose
// instances, which a smaller size would delete (a replica takes its
// availability zone's failover with it).
func (c *docdbClaim) check(obs *structpb.Struct) field.List {
	_ = c.prepare(obs) // it refuses nothing
	var errs field.List
	if r := docdbRunning(obs); r != "" && olderVersion(c.version, docdbMajor(r)) {
		errs.Add(field.Invalid("spec.version", c.version, fmt.Sprintf(
			"%s or later, the major version the existing cluster runs (%s): Amazon DocumentDB cannot downgrade a cluster",
			docdbMajor(r), r)))
	}
	// clusterMembers are the cluster's instances as AWS lists them
	// (provider-aws moves cluster_members to status.atProvider:
	// config/docdb/config.go).
	members := len(pb.Get(obs, "status", "atProvider", "clusterMembers").GetListValue().GetValues())
	if want := DocDBSizes[c.size].instances; members > want {
		errs.Add(field.Invalid("spec.size", c.size, fmt.Sprintf(
			"a size of at least %d instances, as many as the existing cluster has (%s has %d): a smaller size would delete instances",
			members, c.size, want)))
	}
	return errs
}

// family is the DocumentDB cluster parameter group family of the claim's
// version: docdb5.0.
func (c *docdbClaim) family() string { return "docdb" + c.version }

// ClusterInstance is the pipeline name of the cluster's i-th instance
// (from 1).
func ClusterInstance(i int) string { return ClusterInstancePrefix + strconv.Itoa(i) }

// compose adds the cluster, its instances, subnet group and parameter
// group.
func (c *docdbClaim) compose(b *build) error {
	e, s, names, tags, region := b.e, b.s, b.names, b.tags, b.region
	size := DocDBSizes[c.size]
	class := size.class
	if o, ok := e.DocumentDBInstanceClasses[c.size]; ok {
		class = o
	}

	// Every cloud name carries the composite's uid digest (package
	// naming); an existing resource keeps the name it has (Keep). A
	// cluster's and an instance's identifier are their external names
	// (provider-aws config/externalname.go: aws_docdb_cluster and
	// aws_docdb_cluster_instance are ParameterAsIdentifier).
	clusterID := s.KeepExternalName(Cluster, awsrules.DocDBClusterIdentifier.Valid, names.Cloud(awsrules.DocDBClusterIdentifier, ""))
	finalSnapshot := s.Keep(Cluster, awsrules.DocDBSnapshotIdentifier.Valid, names.Cloud(awsrules.DocDBSnapshotIdentifier, "final"), "spec", "forProvider", "finalSnapshotIdentifier")
	masterSecret, connSecret, err := b.secrets(Cluster, "master", "masterPasswordSecretRef")
	if err != nil {
		return err
	}

	subnetGroupName := b.subnetGroup("docdb.aws.upbound.io/v1beta1", awsrules.DocDBSubnetGroupName, awsrules.RDSDescription)
	b.securityGroup(c.name, DocDBPort)

	// The cluster parameter group enforces TLS. As an RDS parameter group
	// (rds.go), its name carries its family, so that a major upgrade
	// composes the new family's group, which the cluster selects with the
	// family's label; its description cannot change without replacing it.
	pgName, _ := b.parameterGroup(ClusterParameterGroupPrefix, "docdb.aws.upbound.io/v1beta1", "ClusterParameterGroup",
		awsrules.DocDBClusterParameterGroupName, c.family(), docdbParameters)

	fp := pb.Fields{
		"region":                region,
		"engine":                pb.Const("docdb"),
		"engineVersion":         pb.Str(docdbEngineVersion(c.version, c.running)),
		"storageEncrypted":      pb.Boolean(true),
		"deletionProtection":    pb.Boolean(true),
		"backupRetentionPeriod": pb.Int(int(e.BackupRetentionDays)),
		"skipFinalSnapshot":     pb.Boolean(false),
		// Taken when the cluster is deleted, which only a platform
		// operator can let happen (deletionProtection).
		"finalSnapshotIdentifier": pb.Str(finalSnapshot),
		// A claim's new major version is applied in place; downgrades are
		// refused before (check).
		"allowMajorVersionUpgrade": pb.Boolean(true),
		"applyImmediately":         pb.Boolean(false),
		"port":                     pb.Int(DocDBPort),
		"masterUsername":           pb.Const(MasterUsername),
		// provider-aws generates the password into this Secret when it
		// holds none (config/docdb/config.go, common.PasswordGenerator):
		// crossplane-runtime's generator draws from letters and digits
		// only (pkg/password, DefaultSettings), none of the '/', '"' and
		// '@' DocumentDB refuses
		// (https://docs.aws.amazon.com/documentdb/latest/developerguide/API_CreateDBCluster.html,
		// MasterUserPassword).
		"autoGeneratePassword": pb.Boolean(true),
		"masterPasswordSecretRef": pb.Obj(pb.Fields{
			"namespace": pb.Str(e.ConnectionSecretNamespace),
			"name":      pb.Str(masterSecret),
			"key":       pb.Const("password"),
		}),
		"enabledCloudwatchLogsExports": pb.Strs(docdbLogs),
		// provider-aws has no reference to a subnet group for a cluster
		// (neither v1.23.0 nor v2.6.0: dbSubnetGroupName is a string),
		// so the cluster names the group composed above; until AWS has
		// it, the provider reports the cluster Synced=False and retries.
		"dbSubnetGroupName":                   pb.Str(subnetGroupName),
		"vpcSecurityGroupIdSelector":          compose.Selector(SecurityGroup),
		"dbClusterParameterGroupNameSelector": groupSelector(pgName),
		"tags":                                tags,
	}
	if e.KMSKeyID != "" {
		// "When specifying kms_key_id, storage_encrypted needs to be set
		// to true" (the CRD's kmsKeyId); without it, the account's
		// AWS-managed key encrypts the cluster.
		fp["kmsKeyId"] = pb.Str(e.KMSKeyID)
	}
	// As for RDS (rds.go), the password never passes through the function
	// for a namespaced composite: provider-aws writes endpoint, arn and
	// password to the team's Secret itself (provider-upjet-aws v2.6.0
	// config/namespaced/docdb/config.go, AdditionalConnectionDetailsFn).
	s.Add(Cluster, "docdb.aws.upbound.io/v1beta1", "Cluster", names.Object(Cluster), pb.Fields{
		"forProvider": pb.Obj(fp),
		"writeConnectionSecretToRef": pb.Obj(pb.Fields{
			"namespace": pb.Str(e.ConnectionSecretNamespace),
			"name":      pb.Str(connSecret),
		}),
	}, compose.WithExternalName(clusterID))
	b.protect(Cluster, "has deletion protection that only a platform operator lifts (DocumentDB then takes the final snapshot "+finalSnapshot+")",
		compose.Kept{Name: pgName, Usage: "cluster-parameter-group"})

	for i := 1; i <= size.instances; i++ {
		name := ClusterInstance(i)
		id := s.KeepExternalName(name, awsrules.DocDBInstanceIdentifier.Valid, names.Cloud(awsrules.DocDBInstanceIdentifier, strconv.Itoa(i)))
		s.Add(name, "docdb.aws.upbound.io/v1beta1", "ClusterInstance", names.Object(name), pb.Fields{
			"forProvider": pb.Obj(pb.Fields{
				"region":                    region,
				"engine":                    pb.Const("docdb"),
				"instanceClass":             pb.Str(class),
				"clusterIdentifierSelector": compose.Selector(Cluster),
				"caCertIdentifier":          pb.Const(CACertIdentifier),
				"applyImmediately":          pb.Boolean(false),
				"tags":                      tags,
			}),
		}, compose.WithExternalName(id))
		// DocumentDB deletes a cluster only once it has no instances
		// (https://docs.aws.amazon.com/documentdb/latest/developerguide/db-cluster-delete.html):
		// the cluster is kept until each is gone. Deleting an instance of
		// a deletion-protected cluster, the last one included, leaves the
		// cluster and its data.
		s.Protect(name, "DocumentDB deletes before its cluster, whose data stays", compose.Kept{Name: Cluster, Usage: Cluster + "-for-" + name})
	}
	return nil
}

// docdbStatus reports the connection secret the cluster writes to, reads
// the cluster's endpoint and port from what the provider observed and, for
// a claim, its password from the connection secret the provider wrote
// (endpoint, arn and password: provider-aws config/docdb/config.go). For a
// namespaced composite it reads no connection detail: the provider writes
// them to the team's Secret itself, and the rest a client needs (port,
// username, certificate authority) is reported in the status.
func docdbStatus(xr *compose.Composite, s *compose.Set) compose.Status {
	p := readPrimary(xr, s, Cluster, "endpoint", "endpoint")
	cd := p.cd
	if obs := p.obs; obs != nil {
		port, ok := pb.Number(obs, "status", "atProvider", "port")
		if !ok || port <= 0 {
			port = DocDBPort
		}
		region, _ := pb.String(p.desired, "spec", "forProvider", "region")
		p.setPort(port)
		cd["username"] = []byte(MasterUsername)
		// DocumentDB's server certificates are signed by the RDS
		// certificate authorities, whose bundles clients verify with
		// (https://docs.aws.amazon.com/documentdb/latest/developerguide/ca_cert_rotation.html).
		cd["caCertIdentifier"] = []byte(CACertIdentifier)
		if u := CABundleURL(region); u != "" {
			cd["caBundleURL"] = []byte(u)
		}
	}
	return p.finish([]string{"username", "caCertIdentifier", "caBundleURL"}, "password", "attribute.master_password")
}
