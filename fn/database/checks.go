package database

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// The day-two checks of an existing database (DayTwo), each the reason of
// what reports it: what will otherwise surprise the database's team.
const (
	// CheckCACertificate: the instance's certificate authority expires
	// (or expired): clients that verify the server stop connecting.
	CheckCACertificate = "CACertificateExpiry"
	// CheckStandardSupport: the engine's major version is past (or near)
	// the end of RDS standard support, and billed for Extended Support.
	CheckStandardSupport = "StandardSupportEnd"
	// CheckVersionDrift: the claim's version and the version the instance
	// runs differ.
	CheckVersionDrift = "VersionDrift"
	// CheckStorage: allocated storage is near the most it can grow to.
	CheckStorage = "StorageNearLimit"
)

// Checks lists the checks in the order DayTwo runs them.
var Checks = []string{CheckCACertificate, CheckStandardSupport, CheckVersionDrift, CheckStorage}

// Thresholds say how early a check reports.
type Thresholds struct {
	// CAExpiryDays: report a CA that expires within this many days.
	CAExpiryDays int `json:"caExpiryDays,omitempty"`
	// SupportEndDays: report a major version whose standard support ends
	// within this many days (one past it is always reported).
	SupportEndDays int `json:"supportEndDays,omitempty"`
	// StoragePercent: report allocated storage at or above this percentage
	// of the most it can grow to.
	StoragePercent int `json:"storagePercent,omitempty"`
}

// DefaultThresholds are a month for a CA (RDS rotates it in a maintenance
// window, which may be a week away; clients need the new bundle first,
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL-certificate-rotation.html),
// six months for the end of standard support (a major upgrade is a project),
// 90% of storage.
var DefaultThresholds = Thresholds{CAExpiryDays: 30, SupportEndDays: 180, StoragePercent: 90}

// maxStorageGiB is the most storage an RDS for PostgreSQL or MySQL instance
// can have on gp2, gp3 and io1 storage: 64 TiB
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html,
// "Amazon RDS DB instance storage").
const maxStorageGiB = 65536

// A Finding is what one check found on one database.
type Finding struct {
	Check   string `json:"check"`
	Message string `json:"message"`
	// Date is the day the finding is about (YYYY-MM-DD), if any.
	Date string `json:"date,omitempty"`
	// DaysLeft until Date from the day of the check (negative: past).
	DaysLeft *int `json:"daysLeft,omitempty"`
}

// DayTwo runs the day-two checks on an RDS Instance obs as provider-aws
// reports it (spec.forProvider and status.atProvider), whose composite's
// spec is xrSpec (nil when the composite is not known), on the day of now.
// It reads only; what it finds is for the caller to report.
func DayTwo(obs, xrSpec *structpb.Struct, now time.Time, th Thresholds) []Finding {
	var fs []Finding
	today := now.UTC().Truncate(24 * time.Hour)
	days := func(t time.Time) *int {
		d := int(t.Sub(today).Hours() / 24)
		return &d
	}
	get := func(f string) string {
		if v, _ := pb.String(obs, "status", "atProvider", f); v != "" {
			return v
		}
		v, _ := pb.String(obs, "spec", "forProvider", f)
		return v
	}

	// The CA, as RDS reports it (atProvider), else as asked for.
	if ca := get("caCertIdentifier"); ca != "" {
		region, _ := pb.String(obs, "spec", "forProvider", "region")
		if day, exact, known := CAExpiry(ca, region); known {
			left := days(day)
			if *left <= th.CAExpiryDays {
				when := "expires on " + day.Format(time.DateOnly)
				if !exact {
					when = "expires in " + day.Format("2006")
				}
				if *left < 0 {
					when = "expired on " + day.Format(time.DateOnly)
				}
				fs = append(fs, Finding{Check: CheckCACertificate, Date: day.Format(time.DateOnly), DaysLeft: left, Message: fmt.Sprintf(
					"the database's certificate authority %s %s (%d days): clients that verify the server certificate stop connecting then; "+
						"give them the new CA bundle, then move the database to %s (paved's default CA; RDS applies it in the next maintenance window)",
					ca, when, *left, CACertIdentifier)})
			}
		}
	}

	rdsEngine := get("engine")
	running := runningVersion(obs)
	if rdsEngine != "" && running != "" {
		if std, ext, known := StandardSupport(rdsEngine, running); known {
			end := std.AddDate(0, 0, 1) // the end date is a whole day
			major := majorVersion(rdsEngine, running)
			switch left := days(end); {
			case *left <= 0:
				fs = append(fs, Finding{Check: CheckStandardSupport, Date: std.Format(time.DateOnly), DaysLeft: days(std), Message: fmt.Sprintf(
					"%s %s reached the end of RDS standard support on %s: RDS bills the database for RDS Extended Support, and upgrades its major version itself after %s",
					engineTitle(rdsEngine), major, std.Format(time.DateOnly), ext.Format(time.DateOnly))})
			case *left <= th.SupportEndDays:
				fs = append(fs, Finding{Check: CheckStandardSupport, Date: std.Format(time.DateOnly), DaysLeft: days(std), Message: fmt.Sprintf(
					"%s %s reaches the end of RDS standard support on %s (%d days): RDS then bills the database for RDS Extended Support until it runs a newer major version",
					engineTitle(rdsEngine), major, std.Format(time.DateOnly), *days(std))})
			}
		}
	}

	// The claim's version is the composite's spec.version; the instance
	// runs engineVersionActual. A claim's version that is a prefix of the
	// running one ("15" of "15.7") asks for what runs (the rule of
	// terraform-provider-aws, internal/service/rds/engine_version.go,
	// compareActualEngineVersion, that provider-aws v1 is built on).
	if asked, _ := pb.String(xrSpec, "version"); asked != "" && rdsEngine != "" {
		if actual, _ := pb.String(obs, "status", "atProvider", "engineVersionActual"); actual != "" && !versionPrefix(asked, actual) {
			why := "RDS applies it in the next maintenance window"
			if olderVersion(asked, actual) {
				why = "autoMinorVersionUpgrade moved the database ahead of the claim, which keeps what runs (RDS cannot downgrade); set spec.version to what runs, or to its major version alone"
			}
			fs = append(fs, Finding{Check: CheckVersionDrift, Message: fmt.Sprintf(
				"the claim asks for version %s and the database runs %s: %s", asked, actual, why)})
		}
	}

	if alloc, ok := number(obs, "allocatedStorage"); ok && alloc > 0 {
		limit, what := float64(maxStorageGiB), fmt.Sprintf("the most RDS allows (%d GiB)", maxStorageGiB)
		if m, ok := number(obs, "maxAllocatedStorage"); ok && m > 0 && m < limit {
			limit, what = m, fmt.Sprintf("maxAllocatedStorage, the most storage autoscaling grows it to (%.0f GiB)", m)
		}
		if alloc*100 >= float64(th.StoragePercent)*limit {
			fs = append(fs, Finding{Check: CheckStorage, Message: fmt.Sprintf(
				"allocated storage %.0f GiB is %.0f%% of %s; RDS cannot shrink storage, so plan the growth or the data's move now",
				alloc, alloc*100/limit, what)})
		}
	}
	return fs
}

// engineTitle is how a message names an RDS engine.
func engineTitle(rds string) string {
	for _, e := range engines {
		if e.rds == rds {
			return e.title
		}
	}
	return rds
}

// versionPrefix reports whether asked names the running version or a
// prefix of it, number by number ("15" and "15.7" of "15.7").
func versionPrefix(asked, running string) bool {
	return asked == running || (len(running) > len(asked) && running[:len(asked)] == asked && running[len(asked)] == '.')
}

// number reads f from atProvider, else from forProvider.
func number(obs *structpb.Struct, f string) (float64, bool) {
	if v, ok := pb.Number(obs, "status", "atProvider", f); ok {
		return v, true
	}
	return pb.Number(obs, "spec", "forProvider", f)
}
