package env

import (
	"net/netip"

	"github.com/paved-dev/paved/fn/internal/field"
)

// privateRanges are the only address ranges a database may be opened to:
// the IPv4 private address space of RFC 1918 section 3
// (https://www.rfc-editor.org/rfc/rfc1918#section-3) and the IPv6 unique
// local addresses of RFC 4193 section 3
// (https://www.rfc-editor.org/rfc/rfc4193#section-3).
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
}

const privateAllowed = "a CIDR block wholly inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918), or fc00::/7 (RFC 4193)"

// Private reports whether every address of block lies inside one private
// range: 10.0.0.0/7 starts at a private address but also covers the public
// 11.0.0.0/8, so it is not private.
func Private(block netip.Prefix) bool {
	for _, r := range privateRanges {
		if block.Addr().Is4() == r.Addr().Is4() && block.Bits() >= r.Bits() && r.Contains(block.Addr()) {
			return true
		}
	}
	return false
}

func checkCIDR(path, c string) *field.Error {
	p, err := netip.ParsePrefix(c)
	if err != nil {
		return field.Invalid(path, c, "a CIDR block such as 10.0.0.0/16 or fd00:10::/48")
	}
	if p.Addr().Is4In6() {
		return field.Invalid(path, c, "an IPv4 block written as IPv4 (such as 10.0.0.0/16), not as an IPv4-mapped IPv6 block")
	}
	if p.Bits() == 0 {
		return field.Invalid(path, c, "a private range; paved never opens a database to the whole internet")
	}
	if !Private(p) {
		return field.Invalid(path, c, privateAllowed+"; paved never opens a database to public addresses")
	}
	if p.Masked() != p {
		return field.Invalid(path, c, "a CIDR block without host bits, such as "+p.Masked().String())
	}
	return nil
}

// CIDRs returns the allowed IPv4 and IPv6 blocks apart: provider-aws's
// SecurityGroupRule takes them in cidrBlocks and ipv6CidrBlocks.
func (e *Environment) CIDRs() (ipv4, ipv6 []string) {
	for _, c := range e.AllowedCIDRs {
		p, err := netip.ParsePrefix(c)
		switch {
		case err != nil:
			continue // Refused by validate.
		case p.Addr().Is4():
			ipv4 = append(ipv4, c)
		default:
			ipv6 = append(ipv6, c)
		}
	}
	return ipv4, ipv6
}
