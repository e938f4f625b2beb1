package database

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func instance(t *testing.T, forProvider, atProvider map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(map[string]any{
		"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
		"spec": map[string]any{"forProvider": forProvider}, "status": map[string]any{"atProvider": atProvider},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDayTwo(t *testing.T) {
	// 2024-08-02: rds-ca-2019 expires in 20 days in us-east-1 (2024-08-22)
	// and MySQL 5.7 left RDS standard support on 2024-02-29.
	aug2 := time.Date(2024, 8, 2, 15, 4, 5, 0, time.UTC)
	spec := func(version string) *structpb.Struct {
		s, _ := structpb.NewStruct(map[string]any{"engine": "mysql", "version": version})
		return s
	}
	type want struct {
		check string
		days  int // -1000: no daysLeft
		has   string
	}
	cases := map[string]struct {
		reason string
		fp, at map[string]any
		xr     *structpb.Struct
		now    time.Time
		th     Thresholds
		want   []want
	}{
		"CAAndSupport": {
			reason: "A database on a CA that expires in 20 days and on an engine past standard support reports both.",
			fp:     map[string]any{"region": "us-east-1", "engine": "mysql", "engineVersion": "5.7"},
			at:     map[string]any{"caCertIdentifier": "rds-ca-2019", "engineVersionActual": "5.7.44", "allocatedStorage": 20.0},
			xr:     spec("5.7"),
			now:    aug2,
			th:     DefaultThresholds,
			want: []want{
				{CheckCACertificate, 20, "rds-ca-2019 expires on 2024-08-22 (20 days)"},
				{CheckStandardSupport, -155, "MySQL 5.7 reached the end of RDS standard support on 2024-02-29"},
			},
		},
		"CARegion": {
			reason: "rds-ca-2019 expired earlier in me-south-1.",
			fp:     map[string]any{"region": "me-south-1", "caCertIdentifier": "rds-ca-2019"},
			now:    aug2,
			th:     DefaultThresholds,
			want:   []want{{CheckCACertificate, -86, "expired on 2024-05-08"}},
		},
		"CAOutsideThreshold": {
			reason: "A CA 20 days from expiry is not reported under a 10-day threshold.",
			fp:     map[string]any{"region": "us-east-1", "caCertIdentifier": "rds-ca-2019"},
			now:    aug2,
			th:     Thresholds{CAExpiryDays: 10, SupportEndDays: 180, StoragePercent: 90},
		},
		"Healthy": {
			reason: "paved's CA, a version in standard support, the claim's version a prefix of the running one, room to grow: nothing.",
			fp:     map[string]any{"region": "eu-west-1", "engine": "postgres", "engineVersion": "16.3", "caCertIdentifier": "rds-ca-rsa2048-g1"},
			at:     map[string]any{"engineVersionActual": "16.3", "allocatedStorage": 100.0},
			xr:     func() *structpb.Struct { s, _ := structpb.NewStruct(map[string]any{"version": "16"}); return s }(),
			now:    aug2,
			th:     DefaultThresholds,
		},
		"SupportEndsSoon": {
			reason: "PostgreSQL 13 ends standard support on 2026-02-28: 150 days ahead is within 180.",
			fp:     map[string]any{"engine": "postgres"},
			at:     map[string]any{"engineVersionActual": "13.15"},
			now:    time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC),
			th:     DefaultThresholds,
			want:   []want{{CheckStandardSupport, 150, "reaches the end of RDS standard support on 2026-02-28 (150 days)"}},
		},
		"DriftBehind": {
			reason: "autoMinorVersionUpgrade moved the instance to 8.0.39 while the claim says 8.0.35.",
			fp:     map[string]any{"engine": "mysql"},
			at:     map[string]any{"engineVersionActual": "8.0.39"},
			xr:     spec("8.0.35"),
			now:    aug2,
			th:     DefaultThresholds,
			want:   []want{{CheckVersionDrift, -1000, "the claim asks for version 8.0.35 and the database runs 8.0.39: autoMinorVersionUpgrade"}},
		},
		"DriftAhead": {
			reason: "A claim ahead of the instance waits for the maintenance window.",
			fp:     map[string]any{"engine": "mysql"},
			at:     map[string]any{"engineVersionActual": "8.0.35"},
			xr:     spec("8.0.39"),
			now:    aug2,
			th:     DefaultThresholds,
			want:   []want{{CheckVersionDrift, -1000, "RDS applies it in the next maintenance window"}},
		},
		"PrefixIsNoDrift": {
			reason: "8.0 is a prefix of 8.0.39; 8.0.3 is not a prefix of 8.0.39.",
			fp:     map[string]any{"engine": "mysql"},
			at:     map[string]any{"engineVersionActual": "8.0.39"},
			xr:     spec("8.0"),
			now:    aug2,
			th:     DefaultThresholds,
		},
		"StorageAutoscalingCeiling": {
			reason: "930 of maxAllocatedStorage 1000 GiB is past 90%.",
			at:     map[string]any{"allocatedStorage": 930.0, "maxAllocatedStorage": 1000.0},
			now:    aug2,
			th:     DefaultThresholds,
			want:   []want{{CheckStorage, -1000, "allocated storage 930 GiB is 93% of maxAllocatedStorage"}},
		},
		"StorageRDSMaximum": {
			reason: "Without autoscaling the ceiling is RDS's 64 TiB.",
			at:     map[string]any{"allocatedStorage": 60000.0},
			now:    aug2,
			th:     DefaultThresholds,
			want:   []want{{CheckStorage, -1000, "of the most RDS allows (65536 GiB)"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := DayTwo(instance(t, tc.fp, tc.at), tc.xr, tc.now, tc.th)
			var gotW []want
			for _, f := range got {
				d := -1000
				if f.DaysLeft != nil {
					d = *f.DaysLeft
				}
				gotW = append(gotW, want{f.Check, d, f.Message})
			}
			if diff := cmp.Diff(tc.want, gotW, cmp.Comparer(func(a, b want) bool {
				return a.check == b.check && a.days == b.days && (strings.Contains(a.has, b.has) || strings.Contains(b.has, a.has))
			})); diff != "" {
				t.Errorf("%s\nDayTwo: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestCalendars: every date of calendar.go parses, and each CA the
// composition may set is known.
func TestCalendars(t *testing.T) {
	for id := range caCalendar {
		for _, region := range []string{"us-east-1", "me-south-1"} {
			if _, _, known := CAExpiry(id, region); !known {
				t.Errorf("CAExpiry(%s, %s) unknown", id, region)
			}
		}
	}
	if _, _, known := CAExpiry(CACertIdentifier, "eu-west-1"); !known {
		t.Errorf("paved's own CA %s has no expiry", CACertIdentifier)
	}
	for e, majors := range supportCalendar {
		for major := range majors {
			std, ext, known := StandardSupport(e, major+".1")
			if !known || !ext.After(std) {
				t.Errorf("StandardSupport(%s, %s.1) = %v, %v, %v", e, major, std, ext, known)
			}
		}
	}
}
