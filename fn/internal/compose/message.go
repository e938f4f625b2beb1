package compose

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxProviderMessage bounds, in bytes, how much of what a provider says
// about one composed resource (a condition's message, a readiness reason)
// is carried into the composite's and the claim's conditions. A provider's
// error can be long (an API's error body, a chain of wrapped errors); the
// claim should say why it waits, not hold a log.
const MaxProviderMessage = 512

// A provider's messages live on cluster-scoped managed resources that only
// the platform team reads; the conditions paved derives from them land on the
// claim, in the tenant's namespace. paved's provider never puts a credential
// in a condition (its clients refuse base URLs with user information and
// never print request headers), but what any provider says is redacted on
// the way to the claim all the same:
//   - user information in URLs (scheme://user:password@host);
//   - bearer and basic credentials ("Bearer <token>", "token <token>");
//   - GitHub's tokens, recognisable by their prefixes ghp_, gho_, ghu_, ghs_,
//     ghr_ and github_pat_
//     (https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/,
//     https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats).
var (
	urlUserinfo  = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s"']+@`)
	authScheme   = regexp.MustCompile(`(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}`)
	githubTokens = regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`)
)

// Redacted replaces what redaction removes.
const Redacted = "[redacted]"

// ProviderMessage is what paved carries of a provider's message into a
// composite's condition: without credentials (see above), on one line, and
// at most MaxProviderMessage bytes (cut at a character boundary, marked
// with an ellipsis).
func ProviderMessage(m string) string {
	// Line breaks and other control characters become spaces; the spaces a
	// provider wrote are kept (AWS's messages quote character sets).
	m = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, m))
	m = urlUserinfo.ReplaceAllString(m, "${1}"+Redacted+"@")
	m = authScheme.ReplaceAllStringFunc(m, func(c string) string {
		// A credential has digits; "token expired" is prose.
		f := strings.Fields(c)
		scheme, value := f[0], f[1]
		if !strings.ContainsAny(value, "0123456789") {
			return c
		}
		return scheme + " " + Redacted
	})
	m = githubTokens.ReplaceAllString(m, Redacted)
	if len(m) <= MaxProviderMessage {
		return m
	}
	const ellipsis = "…"
	cut := MaxProviderMessage - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut] + ellipsis
}
