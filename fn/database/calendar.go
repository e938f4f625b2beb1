package database

import (
	"fmt"
	"time"
)

// This file holds every date paved relies on from AWS's calendars, each
// table with its source: RDS standard and Extended Support of each engine
// major version, and the expiry of each RDS certificate authority. The
// composition (versions.go) and the day-two checks (DayTwo, daytwo.go) read
// them from here only.

// supportCalendar is the RDS support calendar of every major version a claim
// may ask for, and of older ones an existing (adopted) database may still
// run: the last day of RDS standard support and of RDS Extended Support.
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
// a row here (TestSupportCalendar). MySQL 5.7, which no claim may ask for,
// is here for databases that run it: its standard support ended on
// 2024-02-29 (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support.html
// gives it as its example) and RDS Extended Support lasts up to three years
// past that, to 2027-02-28 (the MySQL release calendar above).
var supportCalendar = map[string]map[string]support{
	"postgres": {
		"13": {standardEnd: "2026-02-28", extendedEnd: "2029-02-28"},
		"14": {standardEnd: "2027-02-28", extendedEnd: "2030-02-28"},
		"15": {standardEnd: "2028-02-29", extendedEnd: "2031-02-28"},
		"16": {standardEnd: "2029-02-28", extendedEnd: "2032-02-29"},
		"17": {standardEnd: "2030-02-28", extendedEnd: "2033-02-28"},
	},
	"mysql": {
		"5.7": {standardEnd: "2024-02-29", extendedEnd: "2027-02-28"},
		"8.0": {standardEnd: "2026-07-31", extendedEnd: "2029-07-31"},
		"8.4": {standardEnd: "2029-07-31", extendedEnd: "2032-07-31"},
	},
}

// support is the RDS support calendar of one major version (dates
// YYYY-MM-DD, the last day of each).
type support struct {
	standardEnd, extendedEnd string
}

// caCalendar is the last day each RDS certificate authority is valid: the
// day clients that verify the server certificate (sslmode verify-full,
// VERIFY_IDENTITY: what paved hands out) stop connecting to a database
// whose caCertIdentifier is that CA, unless the database was moved to
// another CA first
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL-certificate-rotation.html).
//
//   - rds-ca-2019 expired in August 2024 (the rotation page above): on
//     2024-08-22 in most regions, earlier or later in a few (byRegion), as
//     AWS's region table of the CA listed them
//     (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html#UsingWithRDS.SSL.RegionCertificateAuthorities).
//   - rds-ca-rsa2048-g1 is valid for 40 years and rds-ca-rsa4096-g1 and
//     rds-ca-ecc384-g1 for 100 years from their release in December 2022
//     (same page); only the year is given, so the first day of the year of
//     expiry is used: never later than the real day.
//
// An instance's own server certificate is rotated by RDS before it expires
// for the g1 CAs ("supports automatic server certificate rotation", same
// page); its exact expiry (DescribeDBInstances CertificateDetails.ValidTill)
// is not something provider-aws v1.23.0 reports in status.atProvider, so the
// CA's expiry is what paved can see.
var caCalendar = map[string]caExpiry{
	"rds-ca-2019": {day: "2024-08-22", byRegion: map[string]string{
		"me-south-1":     "2024-05-08",
		"cn-north-1":     "2024-09-09",
		"cn-northwest-1": "2024-09-09",
		"af-south-1":     "2024-10-26",
	}},
	"rds-ca-rsa2048-g1": {day: "2061-01-01", yearOnly: true},
	"rds-ca-rsa4096-g1": {day: "2121-01-01", yearOnly: true},
	"rds-ca-ecc384-g1":  {day: "2121-01-01", yearOnly: true},
}

type caExpiry struct {
	day      string
	byRegion map[string]string
	// yearOnly: AWS gives the year only; day is its first day.
	yearOnly bool
}

// CAExpiry returns the last day the RDS certificate authority id is valid
// in region, whether AWS gives that day exactly (false: only the year is
// known, and the day is the first of it), and whether paved knows the CA
// at all.
func CAExpiry(id, region string) (day time.Time, exact, known bool) {
	c, ok := caCalendar[id]
	if !ok {
		return time.Time{}, false, false
	}
	d := c.day
	if r, ok := c.byRegion[region]; ok {
		d = r
	}
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		panic(fmt.Sprintf("database: CA calendar %s: %v", id, err))
	}
	return t, !c.yearOnly, true
}

// StandardSupport is the RDS support calendar of the major version of an
// RDS engine ("postgres", "mysql") that version belongs to: the last day
// of standard support and of Extended Support; false for a version the
// calendar does not know.
func StandardSupport(rdsEngine, version string) (standardEnd, extendedEnd time.Time, known bool) {
	s, ok := supportCalendar[rdsEngine][majorVersion(rdsEngine, version)]
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	std, err1 := time.Parse(time.DateOnly, s.standardEnd)
	ext, err2 := time.Parse(time.DateOnly, s.extendedEnd)
	if err1 != nil || err2 != nil {
		panic(fmt.Sprintf("database: support calendar %s %s: %v %v", rdsEngine, version, err1, err2))
	}
	return std, ext, true
}
