package database

import (
	"fmt"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// The RDS support calendar of every major version a claim may ask for: the
// last day of RDS standard support and of RDS Extended Support.
//
// After the end of standard support RDS enrols a database in RDS Extended
// Support and bills it from the next day; a database created on a major
// version past the end of standard support is enrolled (and billed) from
// the start; at the end of Extended Support RDS upgrades the major version
// itself (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support.html,
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support-overview.html,
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support-charges.html).
//
// paved does not set the Instance's engineLifecycleSupport (provider-aws
// has it in spec.forProvider): AWS takes it only when a database is
// created or restored, and its one alternative to the default,
// open-source-rds-extended-support-disabled, makes RDS upgrade the major
// version by itself once standard support ends
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html,
// EngineLifecycleSupport): a surprise major upgrade is no better default
// than a bill. Instead a new database on a version past standard support is
// refused, and an existing one says on its claim that it is billed
// (supportCondition).
//
// Dates: PostgreSQL from
// https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html,
// MySQL from
// https://docs.aws.amazon.com/AmazonRDS/latest/MySQLReleaseNotes/mysql-release-calendars.html
// (`aws rds describe-db-major-engine-versions` reports the same as
// SupportedEngineLifecycles). Adding a version to an engine's pattern takes
// a row here (TestSupportCalendar).
var supportCalendar = map[string]map[string]support{
	"postgres": {
		"13": {standardEnd: "2026-02-28", extendedEnd: "2029-02-28"},
		"14": {standardEnd: "2027-02-28", extendedEnd: "2030-02-28"},
		"15": {standardEnd: "2028-02-29", extendedEnd: "2031-02-28"},
		"16": {standardEnd: "2029-02-28", extendedEnd: "2032-02-29"},
		"17": {standardEnd: "2030-02-28", extendedEnd: "2033-02-28"},
	},
	"mysql": {
		"8.0": {standardEnd: "2026-07-31", extendedEnd: "2029-07-31"},
		"8.4": {standardEnd: "2029-07-31", extendedEnd: "2032-07-31"},
	},
}

// support is the RDS support calendar of one major version (dates
// YYYY-MM-DD, the last day of each).
type support struct {
	standardEnd, extendedEnd string
}

// now is the clock the support calendar is read with (tests set it).
var now = time.Now

// standardSupportEnded reports whether t is after the last day of RDS
// standard support of the engine's major version, and the calendar of that
// version (false: a version the calendar does not know).
func standardSupportEnded(rdsEngine, major string, t time.Time) (support, bool, bool) {
	s, known := supportCalendar[rdsEngine][major]
	if !known {
		return support{}, false, false
	}
	end, err := time.Parse(time.DateOnly, s.standardEnd)
	if err != nil {
		panic(fmt.Sprintf("database: support calendar %s %s: %v", rdsEngine, major, err))
	}
	// The end date is a whole day: billing starts the day after.
	return s, !t.UTC().Before(end.AddDate(0, 0, 1)), true
}

// newVersionPastSupport says why a new database cannot have the version:
// its major version is past RDS standard support, so RDS would enrol it in
// paid Extended Support from the day it is created. "" when it can.
func newVersionPastSupport(e engine, version string, t time.Time) string {
	major := majorVersion(e.rds, version)
	s, ended, known := standardSupportEnded(e.rds, major, t)
	if !known || !ended {
		return ""
	}
	return fmt.Sprintf("a version in RDS standard support (the default is %q): %s %s reached the end of RDS standard support on %s, and RDS enrols a new database on it in paid RDS Extended Support",
		e.defaultVersion, e.title, major, s.standardEnd)
}

// ConditionStandardSupport is the condition that says whether the
// database's major version is in RDS standard support, on composite and
// claim: a database past it is billed for RDS Extended Support.
const ConditionStandardSupport = "StandardSupport"

// supportCondition is the StandardSupport condition of a database running
// (or, new, asking for) version of the RDS engine; nil for a version the
// calendar does not know.
func supportCondition(rdsEngine, version string, t time.Time) *fnv1.Condition {
	var e engine
	for _, x := range engines {
		if x.rds == rdsEngine {
			e = x
		}
	}
	major := majorVersion(rdsEngine, version)
	s, ended, known := standardSupportEnded(rdsEngine, major, t)
	if e.rds == "" || !known {
		return nil
	}
	c := &fnv1.Condition{
		Type:   ConditionStandardSupport,
		Status: fnv1.Status_STATUS_CONDITION_TRUE,
		Reason: "InStandardSupport",
		Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}
	msg := fmt.Sprintf("%s %s is in RDS standard support until %s", e.title, major, s.standardEnd)
	if ended {
		c.Status, c.Reason = fnv1.Status_STATUS_CONDITION_FALSE, "ExtendedSupport"
		msg = fmt.Sprintf("%s %s reached the end of RDS standard support on %s: RDS bills this database for RDS Extended Support until it runs a version in standard support, and upgrades it itself after %s; set spec.version to %q to upgrade (applied in the next maintenance window)",
			e.title, major, s.standardEnd, s.extendedEnd, e.defaultVersion)
	}
	c.Message = &msg
	return c
}
