package env

import (
	"fmt"
	"maps"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// ServiceBundleKey is the key of the ServiceBundle's section in the input's
// environment and in an EnvironmentConfig's data.paved.
const ServiceBundleKey = "serviceBundle"

// Defaults of the ServiceBundle's section.
const (
	DefaultProviderConfig          = "default"
	DefaultArgoCDNamespace         = "argocd"
	DefaultArgoCDProject           = "{team}-project"
	DefaultApplicationNamespace    = "{namespace}-{environment}"
	DefaultRepositoryName          = PlaceholderService
	DefaultArgoCDDestinationServer = "https://kubernetes.default.svc"
	DefaultNotifySyncSucceeded     = "platform-deploys"
	DefaultNotifySyncFailed        = "platform-alerts"
)

// ServiceBundle is the resolved ServiceBundle section. It is merged here,
// field by field like the rest of the environment, but only the
// ServiceBundle composer validates it: a bad Argo CD setting never refuses
// a DatabaseClaim.
type ServiceBundle struct {
	GitHubOwner             string
	GitHubProviderConfig    string
	BackstageProviderConfig string
	// ProviderConfigKind is the kind of both provider configs for the
	// namespaced managed resources of a namespaced ServiceBundle
	// (ProviderConfigKinds); legacy bundles name cluster-scoped
	// ProviderConfigs, which have no kind to choose.
	ProviderConfigKind string
	ArgoCDNamespace    string
	ArgoCDProject      string
	// ApplicationNamespace is the pattern of the namespace each
	// environment's Application deploys into (tenant.go).
	ApplicationNamespace string
	// RepositoryName is the pattern of a new service's repository and
	// catalog name (repository.go).
	RepositoryName          string
	ArgoCDDestinationServer string
	NotifySyncSucceeded     string
	NotifySyncFailed        string
	GrafanaURL              string
	// Namespaces maps a claim's namespace to its team (tenant.go); read it
	// with Tenant, which applies the default for unmapped namespaces. It
	// is a pointer to a mapping never modified once resolved, so that the
	// section stays comparable (==): the same pointer is the same mapping.
	Namespaces *Teams
}

// Teams maps a claim's namespace to its team.
type Teams map[string]environment.NamespaceTeam

func defaultServiceBundle() ServiceBundle {
	return ServiceBundle{
		GitHubProviderConfig:    DefaultProviderConfig,
		BackstageProviderConfig: DefaultProviderConfig,
		ProviderConfigKind:      DefaultProviderConfigKind,
		ArgoCDNamespace:         DefaultArgoCDNamespace,
		ArgoCDProject:           DefaultArgoCDProject,
		ApplicationNamespace:    DefaultApplicationNamespace,
		RepositoryName:          DefaultRepositoryName,
		ArgoCDDestinationServer: DefaultArgoCDDestinationServer,
		NotifySyncSucceeded:     DefaultNotifySyncSucceeded,
		NotifySyncFailed:        DefaultNotifySyncFailed,
	}
}

// applyServiceBundle overrides the section field by field with what src
// sets; set records where each value came from.
func (e *Environment) applyServiceBundle(src *environment.ServiceBundleEnvironment, set func(string)) {
	if src == nil {
		return
	}
	for _, f := range []struct {
		name string
		from string
		to   *string
	}{
		{"githubOwner", src.GitHubOwner, &e.ServiceBundle.GitHubOwner},
		{"githubProviderConfig", src.GitHubProviderConfig, &e.ServiceBundle.GitHubProviderConfig},
		{"backstageProviderConfig", src.BackstageProviderConfig, &e.ServiceBundle.BackstageProviderConfig},
		{"providerConfigKind", src.ProviderConfigKind, &e.ServiceBundle.ProviderConfigKind},
		{"argoCDNamespace", src.ArgoCDNamespace, &e.ServiceBundle.ArgoCDNamespace},
		{"argoCDProject", src.ArgoCDProject, &e.ServiceBundle.ArgoCDProject},
		{"applicationNamespace", src.ApplicationNamespace, &e.ServiceBundle.ApplicationNamespace},
		{"repositoryName", src.RepositoryName, &e.ServiceBundle.RepositoryName},
		{"argoCDDestinationServer", src.ArgoCDDestinationServer, &e.ServiceBundle.ArgoCDDestinationServer},
		{"notifySyncSucceeded", src.NotifySyncSucceeded, &e.ServiceBundle.NotifySyncSucceeded},
		{"notifySyncFailed", src.NotifySyncFailed, &e.ServiceBundle.NotifySyncFailed},
		{"grafanaURL", src.GrafanaURL, &e.ServiceBundle.GrafanaURL},
	} {
		if f.from != "" {
			*f.to = f.from
			set(ServiceBundleKey + "." + f.name)
		}
	}
	// Namespaces merge namespace by namespace, like instanceClasses: an
	// EnvironmentConfig adds to and overrides the input's mapping.
	if len(src.Namespaces) > 0 {
		merged := make(Teams, len(e.ServiceBundle.teams())+len(src.Namespaces))
		maps.Copy(merged, e.ServiceBundle.teams())
		for ns, t := range src.Namespaces {
			merged[ns] = t
			set(ServiceBundleKey + "." + NamespacesKey + "." + ns)
		}
		e.ServiceBundle.Namespaces = &merged
	}
}

// splitServiceBundle decodes the ServiceBundle's section of an
// EnvironmentConfig's data.paved on its own and returns data without it.
// A section that does not decode (a misspelt key, a wrong type) is kept as
// ServiceBundleError, for the ServiceBundle composer to report: it is no
// reason to refuse any other kind.
func (e *Environment) splitServiceBundle(data *structpb.Struct, ecName string) *structpb.Struct {
	sec, ok := data.GetFields()[ServiceBundleKey]
	if !ok {
		return data
	}
	rest := &structpb.Struct{Fields: make(pb.Fields, len(data.GetFields())-1)}
	for k, v := range data.GetFields() {
		if k != ServiceBundleKey {
			rest.Fields[k] = v
		}
	}
	where := fmt.Sprintf("EnvironmentConfig %q data.%s.%s", ecName, DataKey, ServiceBundleKey)
	var src environment.ServiceBundleEnvironment
	if err := decodeStrict(sec, &src, "githubOwner, githubProviderConfig, backstageProviderConfig, providerConfigKind, argoCDNamespace, argoCDProject, applicationNamespace, repositoryName, argoCDDestinationServer, notifySyncSucceeded, notifySyncFailed, grafanaURL, namespaces"); err != nil {
		e.serviceBundleErr = &Error{fmt.Errorf("%s: %w", where, err)}
		return rest
	}
	e.applyServiceBundle(&src, func(name string) {
		e.source[name] = fmt.Sprintf("EnvironmentConfig %q data.%s.%s", ecName, DataKey, name)
	})
	return rest
}

// ServiceBundleError is why the EnvironmentConfig's ServiceBundle section
// could not be read, or nil.
func (e *Environment) ServiceBundleError() error {
	if e.serviceBundleErr == nil {
		return nil
	}
	return e.serviceBundleErr
}
