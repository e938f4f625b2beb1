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
		GitHubOwner: "acme", GitHubProviderConfig: "default", BackstageProviderConfig: "default", ProviderConfigKind: "ClusterProviderConfig",
		ArgoCDNamespace: "argocd", ArgoCDProject: "{team}-project", ApplicationNamespace: "{namespace}-{environment}", RepositoryName: "{service}",
		ArgoCDDestinationServer: "https://kubernetes.default.svc", NotifySyncSucceeded: "platform-deploys", NotifySyncFailed: "platform-alerts",
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
				GitHubOwner: "-acme", GitHubProviderConfig: "Default", ProviderConfigKind: "Secret", ArgoCDNamespace: "argo_cd",
				ArgoCDProject: "{owner}-project", ApplicationNamespace: "{namespace}", ArgoCDDestinationServer: "http://cluster", NotifySyncFailed: "#alerts",
				GrafanaURL: "https://admin:secret@grafana.example.com",
			},
			want: want{err: `input environment.serviceBundle.githubOwner: invalid value "-acme": a GitHub organisation name: at most 39 letters, digits and single hyphens, not starting or ending with a hyphen; ` +
				`input environment.serviceBundle.githubProviderConfig: invalid value "Default": the name of a provider-paved ProviderConfig; ` +
				`input environment.serviceBundle.providerConfigKind: invalid value "Secret": allowed values are "ClusterProviderConfig", "ProviderConfig"; ` +
				`input environment.serviceBundle.argoCDNamespace: invalid value "argo_cd": a Kubernetes namespace name; ` +
				`input environment.serviceBundle.argoCDProject: invalid value "{owner}-project": an Argo CD project pattern without "{owner}": the claim's spec.owner is text the tenant types and cannot choose the project; use "{team}" (the namespace's team) or "{namespace}"; ` +
				`input environment.serviceBundle.applicationNamespace: invalid value "{namespace}": a namespace pattern with "{environment}", so that staging and production never deploy into one namespace and overwrite or prune each other's objects (e.g. "{namespace}-{environment}"); ` +
				`input environment.serviceBundle.argoCDDestinationServer: invalid value "http://cluster": the https URL of a cluster Argo CD knows, e.g. https://kubernetes.default.svc; ` +
				`input environment.serviceBundle.notifySyncFailed: invalid value "#alerts": a Slack channel name: at most 80 lowercase letters, digits, hyphens and underscores; ` +
				`input environment.serviceBundle.grafanaURL: invalid value "https://admin:xxxxx@grafana.example.com": the https base URL of Grafana, without credentials, query or fragment, e.g. https://grafana.example.com`},
		},
		"OneProjectForAll": {
			reason: "A pattern without a placeholder would put every unmapped namespace in one project, Argo CD's default project included.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", ArgoCDProject: "default"},
			want:   want{err: `input environment.serviceBundle.argoCDProject: invalid value "default": an Argo CD project pattern with "{team}" or "{namespace}", so that each team gets its own project (e.g. "{team}-project"); map a namespace to a fixed project in namespaces`},
		},
		"BadPattern": {
			reason: "A pattern that cannot make an AppProject's name is refused.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", ArgoCDProject: "{team}_{x}"},
			want:   want{err: `input environment.serviceBundle.argoCDProject: invalid value "{team}_{x}": an Argo CD project name, in which {team} stands for the claim's namespace's team and {namespace} for the namespace, e.g. "{team}-project"`},
		},
		"TeamRepositories": {
			reason: "A repository name pattern with the team gives each team names no other can take.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", RepositoryName: "{team}-{service}"},
			want: want{st: func() *settings {
				s := defaults
				s.RepositoryName = "{team}-{service}"
				return &settings{s}
			}()},
		},
		"BadRepositoryNames": {
			reason: "A repository name pattern must name the service, only with what the platform controls, and make a name.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", RepositoryName: "{owner}-{service}"},
			want:   want{err: `input environment.serviceBundle.repositoryName: invalid value "{owner}-{service}": a repository name pattern without "{owner}": the claim's spec.owner is text the tenant types; use "{team}" (the namespace's team) or "{namespace}"`},
		},
		"RepositoryNameWithoutService": {
			reason: "Without the service's name every bundle of a team would want one repository.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", RepositoryName: "{team}"},
			want:   want{err: `input environment.serviceBundle.repositoryName: invalid value "{team}": a repository name pattern with "{service}" (the claim's name), e.g. "{service}" or "{team}-{service}"`},
		},
		"RepositoryNamePerEnvironment": {
			reason: "One repository serves every environment.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", RepositoryName: "{service}-{environment}"},
			want:   want{err: `input environment.serviceBundle.repositoryName: invalid value "{service}-{environment}": a repository name pattern without "{environment}": one repository serves every environment`},
		},
		"RepositoryNameCharacters": {
			reason: "A pattern whose own characters make no GitHub repository and Backstage entity name is refused.",
			sb:     &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", RepositoryName: "{team}_{service}"},
			want:   want{err: `input environment.serviceBundle.repositoryName: invalid value "{team}_{service}": a repository name pattern that makes a GitHub repository and Backstage entity name, lowercase letters, digits and single hyphens, in which {service} stands for the claim's name, {team} for its namespace's team and {namespace} for its namespace, e.g. "{team}-{service}"`},
		},
		"Namespaces": {
			reason: "A mapping of namespaces to teams and projects; only here may a project be Argo CD's default.",
			sb: &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", Namespaces: map[string]inputenv.NamespaceTeam{
				"team-orders": {Team: "orders"}, "sandbox": {Team: "platform", ArgoCDProject: "default"},
			}},
			want: want{st: func() *settings {
				s := defaults
				s.Namespaces = &env.Teams{"team-orders": {Team: "orders"}, "sandbox": {Team: "platform", ArgoCDProject: "default"}}
				return &settings{s}
			}()},
		},
		"BadNamespaces": {
			reason: "Every bad entry is reported, naming where it was set.",
			sb: &inputenv.ServiceBundleEnvironment{GitHubOwner: "acme", Namespaces: map[string]inputenv.NamespaceTeam{
				"Team_Orders": {Team: "orders"}, "team-a": {Team: "a--b"}, "team-b": {Team: "b", ArgoCDProject: "B"}, "team-c": {},
			}},
			want: want{err: `input environment.serviceBundle.namespaces.Team_Orders: invalid value "Team_Orders": a namespace name as the key; ` +
				`input environment.serviceBundle.namespaces.team-a.team: invalid value "a--b": a team name, as its Backstage group is named: at most 63 lowercase letters, digits and single hyphens; ` +
				`input environment.serviceBundle.namespaces.team-b.argoCDProject: invalid value "B": the name of an Argo CD AppProject; ` +
				`input environment.serviceBundle.namespaces.team-c.team: invalid value "": a team name, as its Backstage group is named: at most 63 lowercase letters, digits and single hyphens`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := resolved(tc.sb)
			err := validateEnvironment(e)
			var got want
			if err == nil {
				got = want{st: settingsOf(e)}
			} else {
				if _, ok := errors.AsType[*env.Error](err); !ok {
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
