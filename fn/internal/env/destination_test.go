package env

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDestinationNamespace(t *testing.T) {
	long := strings.Repeat("n", 63)
	cases := map[string]struct {
		reason                                string
		pattern, team, namespace, environment string
		want                                  string
	}{
		"Default": {
			reason:  "The default pattern: the claim's namespace and the environment.",
			pattern: DefaultApplicationNamespace, team: "orders", namespace: "team-orders", environment: "staging",
			want: "team-orders-staging",
		},
		"Team": {
			reason:  "{team} is the namespace's team, {environment} the environment.",
			pattern: "{team}-{environment}", team: "orders", namespace: "team-orders", environment: "production",
			want: "orders-production",
		},
		"ValueLooksLikeIt": {
			reason:  "Values are never read as placeholders.",
			pattern: "{namespace}-{environment}", team: "x", namespace: "{team}", environment: "staging",
			want: "{team}-staging",
		},
		"Longest": {
			reason:  "A name longer than naming.Label keeps: its beginning, a digest of the whole and the environment, 63 characters.",
			pattern: DefaultApplicationNamespace, team: "t", namespace: long, environment: "production",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := DestinationNamespace(tc.pattern, tc.team, tc.namespace, tc.environment)
			if name == "Longest" {
				// The digest is naming's; what matters is its form.
				if len(got) != 63 || !strings.HasPrefix(got, strings.Repeat("n", 35)+"-") || !strings.HasSuffix(got, "-production") {
					t.Errorf("%s\nDestinationNamespace(...) = %q (%d characters)", tc.reason, got, len(got))
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nDestinationNamespace(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestDestinationEnvironmentsApart: whatever the namespace and team, the
// environments of one claim never deploy into one namespace.
func TestDestinationEnvironmentsApart(t *testing.T) {
	for _, ns := range []string{"a", "team-orders", strings.Repeat("a", 40), strings.Repeat("b", 63)} {
		s := DestinationNamespace(DefaultApplicationNamespace, ns, ns, "staging")
		p := DestinationNamespace(DefaultApplicationNamespace, ns, ns, "production")
		if s == p {
			t.Errorf("namespace %q: staging and production both deploy into %q", ns, s)
		}
	}
}

func TestValidateApplicationNamespace(t *testing.T) {
	const at = "input environment.serviceBundle.applicationNamespace"
	cases := map[string]struct {
		reason  string
		pattern string
		want    string
	}{
		"Default":     {reason: "The default is valid.", pattern: DefaultApplicationNamespace},
		"Team":        {reason: "{team} tells teams apart too.", pattern: "{team}-{environment}"},
		"Both":        {reason: "All three placeholders, literal text around them.", pattern: "apps-{team}-{namespace}-{environment}"},
		"LongLiteral": {reason: "Long literal text is shortened like the longest namespace.", pattern: strings.Repeat("x", 60) + "-{namespace}-{environment}"},
		"Owner": {
			reason: "The claim's spec.owner is the tenant's text: never where its Applications deploy.", pattern: "{owner}-{environment}",
			want: at + `: invalid value "{owner}-{environment}": a namespace pattern without "{owner}": the claim's spec.owner is text the tenant types and cannot choose where its Applications deploy; use "{namespace}" (the claim's namespace) or "{team}" (its team)`,
		},
		"NoEnvironment": {
			reason: "Without {environment} staging and production share one namespace: the finding this setting fixes.", pattern: "{namespace}",
			want: at + `: invalid value "{namespace}": a namespace pattern with "{environment}", so that staging and production never deploy into one namespace and overwrite or prune each other's objects (e.g. "{namespace}-{environment}")`,
		},
		"NoTenant": {
			reason: "Without {namespace} or {team} every team's staging shares one namespace.", pattern: "apps-{environment}",
			want: at + `: invalid value "apps-{environment}": a namespace pattern with "{namespace}" or "{team}", so that each team's Applications deploy into its own namespaces (e.g. "{namespace}-{environment}")`,
		},
		"NotANamespace": {
			reason: "A pattern that cannot make a namespace name is refused.", pattern: "{namespace}.{environment}",
			want: at + `: invalid value "{namespace}.{environment}": a namespace name, in which {namespace} stands for the claim's namespace, {team} for its team and {environment} for staging or production, e.g. "{namespace}-{environment}"`,
		},
		"UnknownPlaceholder": {
			reason: "An unknown placeholder stays as braces: refused.", pattern: "{namespace}-{env}-{environment}",
			want: at + `: invalid value "{namespace}-{env}-{environment}": a namespace name, in which {namespace} stands for the claim's namespace, {team} for its team and {environment} for staging or production, e.g. "{namespace}-{environment}"`,
		},
		"Uppercase": {
			reason: "Uppercase is no namespace name.", pattern: "{namespace}-{environment}-EU",
			want: at + `: invalid value "{namespace}-{environment}-EU": a namespace name, in which {namespace} stands for the claim's namespace, {team} for its team and {environment} for staging or production, e.g. "{namespace}-{environment}"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sb := defaultServiceBundle()
			sb.ApplicationNamespace = tc.pattern
			got := ""
			if err := sb.ValidateTenancy(func(n string) string { return "input environment." + ServiceBundleKey + "." + n }).Err(); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nValidateTenancy(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
