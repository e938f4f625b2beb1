package database

import (
	"fmt"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
)

// TestSupportCalendar: every major version a claim may ask for has its
// dates, and every engine's default is in RDS standard support today (it
// fails on the day AWS's calendar ends standard support of a default:
// move the default then).
func TestSupportCalendar(t *testing.T) {
	majors := map[string][]string{"postgres": {"13", "14", "15", "16", "17"}, "mysql": {"8.0", "8.4"}}
	for name, e := range engines {
		for _, major := range majors[e.rds] {
			if !e.version.MatchString(major) {
				t.Errorf("%s: %s is no longer accepted; drop it from this test and the calendar", name, major)
			}
			s, ok := supportCalendar[e.rds][major]
			if !ok {
				t.Errorf("%s %s: no support calendar", name, major)
				continue
			}
			std, err1 := time.Parse(time.DateOnly, s.standardEnd)
			ext, err2 := time.Parse(time.DateOnly, s.extendedEnd)
			if err1 != nil || err2 != nil || !ext.After(std) {
				t.Errorf("%s %s: bad calendar %+v", name, major, s)
			}
		}
		for _, v := range []string{"9", "12", "18", "8.1", "9.0"} {
			if e.version.MatchString(v) {
				t.Errorf("%s accepts %s, which has no support calendar here", name, v)
			}
		}
		if why := newVersionPastSupport(e, e.defaultVersion, time.Now()); why != "" {
			t.Errorf("%s: the default version %s is past RDS standard support: %s", name, e.defaultVersion, why)
		}
	}
}

func TestStandardSupportEnded(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		engine, major string
		t             time.Time
		ended, known  bool
	}{
		{"mysql", "8.0", at("2026-07-31T23:59:59Z"), false, true},
		{"mysql", "8.0", at("2026-08-01T00:00:00Z"), true, true},
		{"mysql", "8.0", at("2026-08-01T01:00:00+02:00"), false, true}, // 2026-07-31 23:00 UTC
		{"mysql", "8.4", at("2026-12-03T00:00:00Z"), false, true},
		{"postgres", "13", at("2026-03-01T00:00:00Z"), true, true},
		{"postgres", "14", at("2027-02-28T12:00:00Z"), false, true},
		{"postgres", "14", at("2027-03-01T00:00:00Z"), true, true},
		{"postgres", "12", at("2026-12-03T00:00:00Z"), false, false},
	}
	for _, tc := range cases {
		_, ended, known := standardSupportEnded(tc.engine, tc.major, tc.t)
		if ended != tc.ended || known != tc.known {
			t.Errorf("standardSupportEnded(%s, %s, %s) = %v, %v; want %v, %v", tc.engine, tc.major, tc.t, ended, known, tc.ended, tc.known)
		}
	}
}

func TestSupportCondition(t *testing.T) {
	day := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	cond := func(status fnv1.Status, reason, msg string) *fnv1.Condition {
		return &fnv1.Condition{Type: ConditionStandardSupport, Status: status, Reason: reason, Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
	}
	cases := map[string]struct {
		engine, version string
		want            *fnv1.Condition
	}{
		"InStandardSupport": {"postgres", "15.7", cond(fnv1.Status_STATUS_CONDITION_TRUE, "InStandardSupport",
			"PostgreSQL 15 is in RDS standard support until 2028-02-29")},
		"JustPast": {"postgres", "14.12", cond(fnv1.Status_STATUS_CONDITION_FALSE, "ExtendedSupport",
			`PostgreSQL 14 reached the end of RDS standard support on 2027-02-28: RDS bills this database for RDS Extended Support until it runs a version in standard support, and upgrades it itself after 2030-02-28; set spec.version to "15" to upgrade (applied in the next maintenance window)`)},
		"MySQL": {"mysql", "8.0.39", cond(fnv1.Status_STATUS_CONDITION_FALSE, "ExtendedSupport",
			`MySQL 8.0 reached the end of RDS standard support on 2026-07-31: RDS bills this database for RDS Extended Support until it runs a version in standard support, and upgrades it itself after 2029-07-31; set spec.version to "8.4" to upgrade (applied in the next maintenance window)`)},
		"UnknownVersion": {"postgres", "12.19", nil},
		"UnknownEngine":  {"oracle-ee", "19", nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, supportCondition(tc.engine, tc.version, day), protocmp.Transform()); diff != "" {
				t.Errorf("supportCondition(%s, %s): -want, +got:\n%s", tc.engine, tc.version, diff)
			}
		})
	}
}

func TestNewVersionPastSupport(t *testing.T) {
	day := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		engine, version string
		want            string
	}{
		"PostgreSQL14": {"postgresql", "14", `a version in RDS standard support (the default is "15"): PostgreSQL 14 reached the end of RDS standard support on 2027-02-28, and RDS enrols a new database on it in paid RDS Extended Support`},
		"PostgreSQL15": {"postgresql", "15.7", ""},
		"MySQL84":      {"mysql", "8.4.3", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := newVersionPastSupport(engines[tc.engine], tc.version, day); got != tc.want {
				t.Errorf("newVersionPastSupport(%s, %s) = %q, want %q", tc.engine, tc.version, got, tc.want)
			}
		})
	}
}

func TestEngineVersion(t *testing.T) {
	cases := []struct {
		engine, version, running, want string
	}{
		{"postgres", "15.7", "", "15.7"},        // new
		{"postgres", "15.7", "15.7", "15.7"},    // as asked
		{"postgres", "15.7", "15.8", "15.8"},    // auto minor upgrade: keep what runs
		{"postgres", "15.7", "15.10", "15.10"},  // numbers, not strings
		{"postgres", "15", "15.8", "15"},        // a prefix: provider-aws keeps it
		{"postgres", "15.9", "15.8", "15.9"},    // a minor upgrade
		{"postgres", "16", "15.8", "16"},        // a major upgrade
		{"mysql", "8.0.36", "8.0.39", "8.0.39"}, // MySQL's minor is the third number
		{"mysql", "8.4", "8.0.39", "8.4"},       // a major upgrade
		{"mysql", "8.0", "8.0.39", "8.0"},       // a prefix
		{"postgres", "15.7", "16.3", "15.7"},    // refused by Check before
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.engine, tc.version, tc.running), func(t *testing.T) {
			if got := engineVersion(tc.engine, tc.version, tc.running); got != tc.want {
				t.Errorf("engineVersion(%q, %q, %q) = %q, want %q", tc.engine, tc.version, tc.running, got, tc.want)
			}
		})
	}
}
