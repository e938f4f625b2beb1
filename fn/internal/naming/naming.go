// Package naming derives the names of a composite's composed resources: the
// Kubernetes names of the managed resources and Secrets, and the names of the
// cloud objects behind them. The same composite always yields the same
// names.
//
// Cloud names (bucket, RDS identifier, security group, subnet group, final
// snapshot) and the names of Secrets the provider writes end with a digest
// of the composite's metadata.uid, which the API server assigns: a claim's
// author, who can choose the composite's name, can neither make such a name
// equal one that existed before the composite, nor equal another
// composite's, and two composites whose names sanitise alike (a.b-x, a-b-x)
// still get different names.
//
// Managed resources' Kubernetes names are "<composite>-<suffix>", one fixed
// suffix per kind and composite, so they are readable and unique by
// construction: composite names are unique, and a name is shortened (with a
// digest of the whole) only when it is too long, into a form no unshortened
// name can take (see Object). They need no uid digest: they are
// cluster-scoped, Crossplane refuses to apply a composed resource over one
// another composite controls (server-side apply cannot add a second
// controller reference: crossplane v2.4.0
// internal/controller/apiextensions/composite/composition_functions.go), and
// paved binds siblings by controller reference, never by name.
package naming

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/paved-dev/paved/fn/internal/awsrules"
)

// IDLen is the length of a composite's ID: 12 hex digits (48 bits) of the
// SHA-256 of its uid. Composites cannot choose their uid, so matching a
// given ID takes about 2^48 composites.
const IDLen = 12

// ID returns the digest of a composite's uid that its cloud names carry.
func ID(uid string) string { return awsrules.Digest(uid, IDLen) }

// digestLen is the digest that replaces the cut part of a long Kubernetes
// name: 64 bits, so that nobody can find another name that shortens alike.
const digestLen = 16

// fit returns full if it is short enough, or else a name of exactly size
// characters: the beginning of full, a hyphen, a digest of full and, when
// suffix is set, "-<suffix>". Unshortened names are at most
// size-digestLen-2 long, so a shortened name is never equal to an
// unshortened one, and two shortened names are equal only if their digests
// are.
func fit(full, suffix string, size int) string {
	if len(full) <= size-digestLen-2 {
		return full
	}
	tail := "-" + awsrules.Digest(full, digestLen)
	if suffix != "" {
		tail += "-" + suffix
	}
	keep := size - len(tail)
	if keep < 1 {
		return strings.TrimPrefix(tail, "-")[:size]
	}
	b := []byte(full[:keep])
	// What comes before the hyphen must end a DNS label: a letter or digit
	// (a hyphen is fine inside a label, a dot is not before one).
	if c := b[len(b)-1]; c == '.' || c == '_' {
		b[len(b)-1] = '0'
	}
	return string(b) + tail
}

// Object is the Kubernetes name (a DNS subdomain, at most 253 characters)
// of a composed resource: "<composite>-<suffix>".
func Object(composite, suffix string) string {
	return fit(composite+"-"+suffix, suffix, 253)
}

// LabelValue returns v as a valid label value (at most 63 characters): v
// itself if it fits, or else its beginning and a digest of the whole. Label
// values are informative only; nothing selects by them.
func LabelValue(v string) string {
	if len(v) <= 63 {
		return v
	}
	return fit(v, "", 63)
}

// Label is a name that is also a valid label value, at most 63 characters:
// full if it is at most 45 characters, or else the beginning of full, a
// digest of full and "-<suffix>" (see fit): a shortened name is never equal
// to an unshortened one, nor to another shortened one of a different full
// name. full must be a DNS label, as Kubernetes object names and label
// values both allow.
func Label(full, suffix string) string { return fit(full, suffix, 63) }

// ValidObject reports whether v is a valid Kubernetes object name (a DNS
// subdomain), such as a Secret's.
func ValidObject(v string) bool { return len(validation.IsDNS1123Subdomain(v)) == 0 }

// ValidNamespace reports whether v is a valid namespace name (a DNS label,
// at most 63 characters).
func ValidNamespace(v string) bool { return len(validation.IsDNS1123Label(v)) == 0 }

// Names are the names of one composite's composed resources.
type Names struct {
	// Composite is the composite's name.
	Composite string
	// ID is the digest of the composite's uid (see ID).
	ID string
}

// Object is the Kubernetes name of a managed resource: "<composite>-<suffix>".
func (n Names) Object(suffix string) string { return Object(n.Composite, suffix) }

// Secret is the name of a Secret the provider writes for the composite:
// "<composite>-<suffix>-<id>". The provider would use, or overwrite, a
// Secret that already exists under that name (provider-aws v1.23.0
// config/common.PasswordGenerator keeps the password of any existing
// Secret), so its name must be one nobody could have chosen before.
func (n Names) Secret(suffix string) string { return Object(n.Composite, suffix+"-"+n.ID) }

// Cloud is the name of a cloud object under rule: "<composite>-<id>", or
// "<composite>-<id>-<suffix>" when suffix is set, with the composite's part
// sanitised and shortened as the rule requires.
func (n Names) Cloud(rule *awsrules.Rule, suffix string) string {
	id := n.ID
	if suffix != "" {
		id += "-" + suffix
	}
	return rule.Name(n.Composite, id)
}
