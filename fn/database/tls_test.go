package database

import (
	"strings"
	"testing"
)

func TestFamily(t *testing.T) {
	cases := map[string]struct{ engine, version, want string }{
		"PostgresMajor":    {"postgres", "15", "postgres15"},
		"PostgresMinor":    {"postgres", "16.3", "postgres16"},
		"MySQL80":          {"mysql", "8.0", "mysql8.0"},
		"MySQL84Patch":     {"mysql", "8.4.3", "mysql8.4"},
		"MySQLMajorOnly":   {"mysql", "8", "mysql8"},
		"PostgresTooShort": {"postgres", "", "postgres"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := family(tc.engine, tc.version); got != tc.want {
				t.Errorf("family(%q, %q) = %q, want %q", tc.engine, tc.version, got, tc.want)
			}
		})
	}
}

func TestTLSParameters(t *testing.T) {
	for rds, want := range map[string]string{"postgres": "rds.force_ssl", "mysql": "require_secure_transport"} {
		found := false
		for _, p := range tlsParameters[rds] {
			if p.applyMethod != "immediate" && p.applyMethod != "pending-reboot" {
				t.Errorf("%s %s: apply method %q", rds, p.name, p.applyMethod)
			}
			found = found || (p.name == want && p.value == "1")
		}
		if !found {
			t.Errorf("%s: no %s=1", rds, want)
		}
	}
	for _, e := range engines {
		if _, ok := tlsParameters[e.rds]; !ok {
			t.Errorf("engine %s has no TLS parameters", e.rds)
		}
		if sslModes[e.rds] == "" {
			t.Errorf("engine %s has no SSL mode", e.rds)
		}
	}
}

func TestCABundleURL(t *testing.T) {
	cases := map[string]string{
		"eu-west-1":     "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem",
		"us-gov-west-1": "https://truststore.pki.us-gov-west-1.rds.amazonaws.com/us-gov-west-1/us-gov-west-1-bundle.pem",
		"cn-north-1":    "",
		"us-iso-east-1": "",
	}
	for region, want := range cases {
		if got := CABundleURL(region); got != want {
			t.Errorf("CABundleURL(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestOlderVersion(t *testing.T) {
	cases := []struct {
		requested, running string
		want               bool
	}{
		{"15", "15.7", false},
		{"15.7", "15.7", false},
		{"15.3", "15.7", true},
		{"15", "16.3", true},
		{"16", "15.7", false},
		{"15.10", "15.9", false},
		{"8.0", "8.4.3", true},
		{"8.4", "8.0.39", false},
		{"8.0.36", "8.0.39", true},
		{"x", "15", false},
	}
	for _, tc := range cases {
		if got := olderVersion(tc.requested, tc.running); got != tc.want {
			t.Errorf("olderVersion(%q, %q) = %v, want %v", tc.requested, tc.running, got, tc.want)
		}
	}
}

func TestMajorVersion(t *testing.T) {
	// The major version is the version's first number (PostgreSQL) or
	// first two (MySQL), joined by their dot, or the whole version when
	// it has fewer: what strings.Split and Join made of it.
	split := func(rdsEngine, version string) string {
		parts := strings.Split(version, ".")
		n := 1
		if rdsEngine == "mysql" {
			n = 2
		}
		if len(parts) < n {
			return version
		}
		return strings.Join(parts[:n], ".")
	}
	for _, tc := range []struct{ engine, version, want string }{
		{"postgres", "15.7", "15"},
		{"postgres", "15", "15"},
		{"postgres", "16.4.1", "16"},
		{"mysql", "8.0.39", "8.0"},
		{"mysql", "8.0", "8.0"},
		{"mysql", "8", "8"},
		{"mysql", "8.4.3.1", "8.4"},
	} {
		if got := majorVersion(tc.engine, tc.version); got != tc.want {
			t.Errorf("majorVersion(%q, %q) = %q, want %q", tc.engine, tc.version, got, tc.want)
		}
	}
	for _, engine := range []string{"postgres", "mysql"} {
		for _, v := range []string{"", ".", "..", "1.", ".1", "1..2", "10.2.", "a.b.c.d", "15.7"} {
			if got, want := majorVersion(engine, v), split(engine, v); got != want {
				t.Errorf("majorVersion(%q, %q) = %q, want %q", engine, v, got, want)
			}
		}
	}
}
