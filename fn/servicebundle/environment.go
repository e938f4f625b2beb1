package servicebundle

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
)

var (
	// reGitHubOwner: a GitHub user or organisation name is at most 39
	// alphanumeric characters or single hyphens, and cannot begin or end
	// with a hyphen (GitHub's sign-up rule, restated in
	// https://docs.github.com/en/enterprise-cloud@latest/admin/managing-iam/iam-configuration-reference/username-considerations-for-external-authentication).
	reGitHubOwner = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`)
	// reDNSSubdomain: the name of a Kubernetes object such as a
	// ProviderConfig or an Argo CD AppProject, at most 253 characters
	// (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-subdomain-names).
	reDNSSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// reSlackChannel: Slack channel names are lowercase, without spaces or
	// periods, at most 80 characters
	// (https://slack.com/help/articles/201402297-Create-a-channel).
	reSlackChannel = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)
)

// settings are the validated ServiceBundle section of the environment.
type settings struct {
	env.ServiceBundle
}

// settingsOf returns the ServiceBundle section of an environment that
// validateEnvironment found valid.
func settingsOf(e *env.Environment) *settings {
	sb := e.ServiceBundle
	sb.GrafanaURL = strings.TrimRight(sb.GrafanaURL, "/")
	return &settings{sb}
}

// validateEnvironment checks the ServiceBundle section. It is the only
// place that does: no other kind is refused for a bad setting here. Errors
// are the platform's fault (*env.Error) and name where the value was set.
func validateEnvironment(e *env.Environment) error {
	if err := e.ServiceBundleError(); err != nil {
		return err
	}
	sb := e.ServiceBundle
	src := func(name string) string { return e.Source(env.ServiceBundleKey + "." + name) }
	var errs field.List

	switch {
	case sb.GitHubOwner == "":
		errs.Add(field.Required(src("githubOwner"), "the GitHub organisation that owns service repositories and the golden-path-<template> repositories"))
	case len(sb.GitHubOwner) > 39 || !reGitHubOwner.MatchString(sb.GitHubOwner):
		errs.Add(field.Invalid(src("githubOwner"), sb.GitHubOwner, "a GitHub organisation name: at most 39 letters, digits and single hyphens, not starting or ending with a hyphen"))
	}
	for _, f := range [][2]string{{"githubProviderConfig", sb.GitHubProviderConfig}, {"backstageProviderConfig", sb.BackstageProviderConfig}} {
		if len(f[1]) > 253 || !reDNSSubdomain.MatchString(f[1]) {
			errs.Add(field.Invalid(src(f[0]), f[1], "the name of a provider-paved ProviderConfig"))
		}
	}
	if !slices.Contains(env.ProviderConfigKinds, sb.ProviderConfigKind) {
		errs.Add(field.OneOf(src("providerConfigKind"), sb.ProviderConfigKind, env.ProviderConfigKinds...))
	}
	if len(sb.ArgoCDNamespace) > 63 || !isDNSLabel(sb.ArgoCDNamespace) {
		errs.Add(field.Invalid(src("argoCDNamespace"), sb.ArgoCDNamespace, "a Kubernetes namespace name"))
	}
	// The Argo CD project pattern and the namespaces mapping: who a claim's
	// namespace belongs to (env.ServiceBundle.Tenant).
	errs = append(errs, sb.ValidateTenancy(src)...)
	if u, err := url.Parse(sb.ArgoCDDestinationServer); err != nil || u.Scheme != "https" || u.Host == "" {
		errs.Add(field.Invalid(src("argoCDDestinationServer"), sb.ArgoCDDestinationServer, "the https URL of a cluster Argo CD knows, e.g. https://kubernetes.default.svc"))
	}
	for _, f := range [][2]string{{"notifySyncSucceeded", sb.NotifySyncSucceeded}, {"notifySyncFailed", sb.NotifySyncFailed}} {
		if !reSlackChannel.MatchString(f[1]) {
			errs.Add(field.Invalid(src(f[0]), f[1], "a Slack channel name: at most 80 lowercase letters, digits, hyphens and underscores"))
		}
	}
	if sb.GrafanaURL != "" {
		if u, err := url.Parse(sb.GrafanaURL); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			shown := sb.GrafanaURL
			if err == nil {
				// Never repeat a password in a message.
				shown = u.Redacted()
			}
			errs.Add(field.Invalid(src("grafanaURL"), shown, "the https base URL of Grafana, without credentials, query or fragment, e.g. https://grafana.example.com"))
		}
	}
	if len(errs) > 0 {
		return env.Wrap(errs)
	}
	return nil
}
