// Package naming derives deterministic names for composed resources and the
// cloud objects behind them. The same composite always yields the same names;
// names that would be too long are shortened with a hash of the full name, so
// two composites never collide by truncation.
package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const hashLen = 8

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:hashLen]
}

// fit joins base and suffix with a hyphen and, when the result is longer than
// max, shortens base and inserts a hash of the full name.
func fit(base, suffix string, max int) string {
	full := base
	if suffix != "" {
		full = base + "-" + suffix
	}
	if len(full) <= max {
		return full
	}
	tail := "-" + hash(full)
	if suffix != "" {
		tail += "-" + suffix
	}
	keep := max - len(tail)
	if keep < 1 {
		keep = 1
	}
	b := strings.TrimRight(base[:min(keep, len(base))], "-.")
	return b + tail
}

// Object is the Kubernetes name (DNS subdomain, at most 253) of a composed
// resource of a composite: "<composite>-<suffix>".
func Object(composite, suffix string) string {
	return fit(composite, suffix, 253)
}

// LabelValue returns v as a valid label value (at most 63 characters).
func LabelValue(v string) string {
	return fit(v, "", 63)
}

// dnsLabel lowercases s and keeps only [a-z0-9-], collapsing runs of
// hyphens and trimming them at both ends.
func dnsLabel(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	hyphen := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			hyphen = false
		default:
			if !hyphen && b.Len() > 0 {
				b.WriteByte('-')
				hyphen = true
			}
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// RDSIdentifier is a valid RDS DB identifier (1 to 63 letters, digits or
// hyphens; begins with a letter; no two consecutive hyphens; does not end
// with a hyphen) derived from a composite name and a suffix.
func RDSIdentifier(composite, suffix string) string {
	b := dnsLabel(composite)
	if b == "" || b[0] < 'a' || b[0] > 'z' {
		b = "db-" + b
	}
	return strings.TrimRight(strings.ReplaceAll(fit(strings.TrimRight(b, "-"), suffix, 63), "--", "-"), "-")
}

// S3Bucket is a valid S3 bucket name (3 to 63 lowercase letters, digits or
// hyphens, beginning and ending with a letter or digit). Dots are left out:
// they break TLS for virtual-hosted-style requests.
func S3Bucket(composite string) string {
	b := dnsLabel(composite)
	for len(b) < 3 {
		b += "0"
	}
	return strings.TrimRight(fit(b, "", 63), "-")
}
