package servicebundle

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	inputenv "github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/env"
)

func TestValidateEnvironment(t *testing.T) {
	type want struct {
		st  *settings
		err string
	}
	resolved := func(sb *inputenv.ServiceBundleEnvironment) *env.Environment {
		e, err := env.Resolve(inputenv.Environment{ServiceBundle: sb}, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	defaults := env.ServiceBundle{
		GitHubOwner: "acme", GitHubProviderConfig: "default", BackstageProviderConfig: "default",
		ArgoCDNamespace: "argocd", ArgoCDProject: "{owner}-project", ArgoCDDestinationServer: "https://kubernetes.default.svc",
		NotifySyncSucceeded: "platform-deploys", NotifySyncFailed: "platform-alerts",
	}
	cases := map[string]struct {
		reason string
		sb     *inputenv.ServiceBundleEnvironment
		want   want
	}{
		"OwnerAndDefaults": {
			reason: "A GitHub owner is all a platform must set.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme"},
			want:   want{st: &settings{defaults}},
		},
		"GrafanaTrailingSlash": {
			reason: "A Grafana base URL loses its trailing slash, so links have one slash.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", GrafanaURL: "https://grafana.example.com/"},
			want: want{st: func() *settings {
				s := defaults
				s.GrafanaURL = "https://grafana.example.com"
				return &settings{s}
			}()},
		},
		"NoOwner": {
			reason: "Without a GitHub owner nothing can be composed; the error says where to set it.",
			want:   want{err: "input environment.serviceBundle.githubOwner: invalid value (none): required; the GitHub organisation that owns service repositories and the golden-path-<template> repositories"},
		},
		"EverythingWrong": {
			reason: "Every bad setting is reported at once, naming where it was set.",
			sb: &inputenv.ServiceBundleEnvironment{
				GitHubOwner: "-acme", GitHubProviderConfig: "Default", ArgoCDNamespace: "argo_cd",
				ArgoCDProject: "{team}-project", ArgoCDDestinationServer: "http://cluster", NotifySyncFailed: "#alerts",
				GrafanaURL: "https://admin:secret@grafana.example.com",
			},
			want: want{err: `input environment.serviceBundle.githubOwner: invalid value "-acme": a GitHub organisation name: at most 39 letters, digits and single hyphens, not starting or ending with a hyphen; ` +
				`input environment.serviceBundle.githubProviderConfig: invalid value "Default": the name of a provider-paved ProviderConfig; ` +
				`input environment.serviceBundle.argoCDNamespace: invalid value "argo_cd": a Kubernetes namespace name; ` +
				`input environment.serviceBundle.argoCDProject: invalid value "{team}-project": an Argo CD project name, in which {owner} stands for the claim's spec.owner and {namespace} for its namespace, e.g. "{owner}-project"; ` +
				`input environment.serviceBundle.argoCDDestinationServer: invalid value "http://cluster": the https URL of a cluster Argo CD knows, e.g. https://kubernetes.default.svc; ` +
				`input environment.serviceBundle.notifySyncFailed: invalid value "#alerts": a Slack channel name: at most 80 lowercase letters, digits, hyphens and underscores; ` +
				`input environment.serviceBundle.grafanaURL: invalid value "https://admin:xxxxx@grafana.example.com": the https base URL of Grafana, without credentials, query or fragment, e.g. https://grafana.example.com`},
		},
	}
	// Twice: validateEnvironment remembers the last valid section, and
	// must answer every section the same either way.
	for _, pass := range []string{"", "Again"} {
		for name, tc := range cases {
			t.Run(name+pass, func(t *testing.T) {
				st, err := validateEnvironment(resolved(tc.sb))
				got := want{st: st}
				if err != nil {
					var envErr *env.Error
					if !errors.As(err, &envErr) {
						t.Errorf("%s\nvalidateEnvironment(...): error %q is not the platform's (*env.Error)", tc.reason, err)
					}
					got = want{err: err.Error()}
				}
				if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
					t.Errorf("%s\nvalidateEnvironment(...): -want, +got:\n%s", tc.reason, diff)
				}
			})
		}
	}
}
