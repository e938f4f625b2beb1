package database

import (
	"fmt"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// The support calendar (supportCalendar, support) is in calendar.go, with
// every other date paved relies on from AWS.

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
