package database

import (
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// CACertIdentifier is the certificate authority that signs every paved
// database's server certificate: RSA 2048 with automatic server certificate
// rotation, the default of new instances in most regions
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html#UsingWithRDS.SSL.RegionCertificateAuthorities).
// Setting it keeps instances created before the default changed in step.
const CACertIdentifier = "rds-ca-rsa2048-g1"

// A parameter is one DB parameter and how RDS applies a change to it.
//
// "immediate" applies a change without a reboot and is refused for static
// parameters; "pending-reboot" is accepted for dynamic and static
// parameters alike and applies at the next reboot
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Parameter.html,
// ApplyMethod; https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.Modifying.html).
// A new instance starts with its group's values either way, and a group
// newly bound to an existing instance takes effect at its next reboot
// whatever the apply method
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.Associating.html).
// So "immediate" is used where the documentation says a parameter is
// dynamic, and "pending-reboot" where it does not say: an apply method AWS
// refuses would keep the group, and the database, from being created.
type parameter struct {
	name, value, applyMethod string
}

// tlsParameterList is tlsParameters of each engine as a ParameterGroup's
// spec.forProvider.parameter, made once and shared by every composite (like
// every value in a composed object, never modified).
var tlsParameterList = func() map[string]*structpb.Value {
	lists := make(map[string]*structpb.Value, len(tlsParameters))
	for engine, ps := range tlsParameters {
		params := make([]*structpb.Value, 0, len(ps))
		for _, p := range ps {
			params = append(params, pb.Obj(pb.Fields{
				"name": pb.Str(p.name), "value": pb.Str(p.value), "applyMethod": pb.Str(p.applyMethod),
			}))
		}
		lists[engine] = pb.List(params...)
	}
	return lists
}()

// tlsParameters enforce TLS and make the exported logs worth reading.
var tlsParameters = map[string][]parameter{
	// rds.force_ssl=1 refuses connections without TLS; PostgreSQL 13 and 14
	// default to 0
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html#PostgreSQL.Concepts.General.SSL.Requiring).
	// log_min_duration_statement logs statements slower than 1 s to the
	// exported "postgresql" log (default -1: none); PostgreSQL reloads it
	// without a restart (context "superuser")
	// (https://www.postgresql.org/docs/current/runtime-config-logging.html).
	"postgres": {
		{"rds.force_ssl", "1", "pending-reboot"},
		{"log_min_duration_statement", "1000", "immediate"},
	},
	// require_secure_transport=1 (ON) refuses connections without TLS
	// (MySQL 8.0 and 8.4 default to 0; DB instances take 1, clusters ON; no
	// reboot needed)
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.require-ssl.html).
	// slow_query_log=1 with log_output=FILE writes the slow query log that
	// is exported as "slowquery"; long_query_time is in seconds (default
	// 10). All three are dynamic MySQL system variables
	// (https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html)
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.MySQL.LogFileSize.html,
	// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html).
	"mysql": {
		{"require_secure_transport", "1", "immediate"},
		{"slow_query_log", "1", "immediate"},
		{"long_query_time", "1", "immediate"},
		{"log_output", "FILE", "immediate"},
	},
}

// family is the DB parameter group family of an engine version:
// postgres15, mysql8.0 (`aws rds describe-db-engine-versions` reports
// DBParameterGroupFamily). A major version change changes the family.
func family(rdsEngine, version string) string {
	return rdsEngine + majorVersion(rdsEngine, version)
}

// majorVersion is "15" for PostgreSQL 15.7 and "8.0" for MySQL 8.0.39:
// PostgreSQL's major version is its first number, MySQL's its first two
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Upgrading.html).
// It is the version up to its n-th dot (n numbers), or the whole version
// when it has fewer: a part of the string, never a new one.
func majorVersion(rdsEngine, version string) string {
	n := 1
	if rdsEngine == "mysql" {
		n = 2
	}
	end := -1
	for range n {
		i := strings.IndexByte(version[end+1:], '.')
		if i < 0 {
			return version
		}
		end += 1 + i
	}
	return version[:end]
}

// SSL modes that verify the server's certificate and host name.
// libpq: https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION;
// MySQL clients: https://dev.mysql.com/doc/refman/8.0/en/connection-options.html#option_general_ssl-mode.
var sslModes = map[string]string{
	"postgres": "verify-full",
	"mysql":    "VERIFY_IDENTITY",
}

// CABundleURL is where clients download the certificates of a region's RDS
// certificate authorities, or "" where AWS publishes none that paved knows.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html#UsingWithRDS.SSL.RegionCertificates
// (GovCloud: https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-rds.html).
func CABundleURL(region string) string {
	p, _ := env.Partition(region)
	switch p {
	case "aws":
		return "https://truststore.pki.rds.amazonaws.com/" + region + "/" + region + "-bundle.pem"
	case "aws-us-gov":
		return "https://truststore.pki.us-gov-west-1.rds.amazonaws.com/" + region + "/" + region + "-bundle.pem"
	}
	return ""
}

// familySlug is a family as it can appear in names: "mysql8.0" becomes
// "mysql8-0".
func familySlug(family string) string {
	return strings.ReplaceAll(family, ".", "-")
}
