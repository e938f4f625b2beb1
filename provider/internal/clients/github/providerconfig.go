package github

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	gh "github.com/google/go-github/v85/github"

	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

const (
	errNoPCRef     = "managed resource has no providerConfigRef"
	errGetPC       = "cannot get ProviderConfig"
	errTrackUsage  = "cannot track ProviderConfig usage"
	errNoGitHub    = "ProviderConfig has no spec.github: GitHub resources need GitHub credentials"
	errNoSecretRef = "spec.github.credentials.secretRef is required when source is Secret"
	errNoApp       = "spec.github.credentials.app is required when source is GitHubApp"
	errSource      = "spec.github.credentials.source must be Secret or GitHubApp"
	errGetSecret   = "cannot read credentials Secret"
	errEmptySecret = "credentials Secret key is missing or empty"
	errConfig      = "cannot get GitHub configuration"
	errClient      = "cannot create GitHub client"
)

// ConfigFor resolves the GitHub Config of a managed resource from its
// ProviderConfig and records the usage. Errors name the Secret and key at
// fault but never include Secret data.
func ConfigFor(ctx context.Context, kube client.Client, mg resource.LegacyManaged) (Config, error) {
	ref := mg.GetProviderConfigReference()
	if ref == nil || ref.Name == "" {
		return Config{}, errors.New(errNoPCRef)
	}
	pc := &v1alpha1.ProviderConfig{}
	if err := kube.Get(ctx, types.NamespacedName{Name: ref.Name}, pc); err != nil {
		return Config{}, errors.Wrap(err, errGetPC)
	}
	if err := resource.NewLegacyProviderConfigUsageTracker(kube, &v1alpha1.ProviderConfigUsage{}).Track(ctx, mg); err != nil {
		return Config{}, errors.Wrap(err, errTrackUsage)
	}
	return ConfigFromProviderConfig(ctx, kube, pc)
}

// ConfigFromProviderConfig reads the credentials a ProviderConfig names.
func ConfigFromProviderConfig(ctx context.Context, kube client.Reader, pc *v1alpha1.ProviderConfig) (Config, error) {
	g := pc.Spec.GitHub
	if g == nil {
		return Config{}, errors.New(errNoGitHub)
	}
	cfg := Config{ProviderConfig: pc.GetName(), BaseURL: g.BaseURL}
	switch g.Credentials.Source {
	case v1alpha1.GitHubCredentialsSecret:
		if g.Credentials.SecretRef == nil {
			return Config{}, errors.New(errNoSecretRef)
		}
		tok, err := secretValue(ctx, kube, *g.Credentials.SecretRef)
		if err != nil {
			return Config{}, err
		}
		cfg.Credentials.Token = strings.TrimSpace(string(tok))
	case v1alpha1.GitHubCredentialsApp:
		a := g.Credentials.App
		if a == nil {
			return Config{}, errors.New(errNoApp)
		}
		key, err := secretValue(ctx, kube, a.PrivateKeySecretRef)
		if err != nil {
			return Config{}, err
		}
		cfg.Credentials.AppID, cfg.Credentials.InstallationID, cfg.Credentials.PrivateKey = a.AppID, a.InstallationID, key
	default:
		return Config{}, errors.New(errSource)
	}
	return cfg, nil
}

func secretValue(ctx context.Context, kube client.Reader, sel xpv2.SecretKeySelector) ([]byte, error) {
	s := &corev1.Secret{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: sel.Namespace, Name: sel.Name}, s); err != nil {
		return nil, errors.Wrapf(err, "%s %s/%s", errGetSecret, sel.Namespace, sel.Name)
	}
	v := s.Data[sel.Key]
	if len(v) == 0 {
		return nil, errors.Errorf("%s: %s/%s key %q", errEmptySecret, sel.Namespace, sel.Name, sel.Key)
	}
	return v, nil
}

// ClientFor returns the pooled GitHub client of the ProviderConfig that mg
// refers to: what every GitHub controller's Connect does.
func (p *Pool) ClientFor(ctx context.Context, kube client.Client, mg resource.LegacyManaged) (*gh.Client, error) {
	cfg, err := ConfigFor(ctx, kube, mg)
	if err != nil {
		return nil, errors.Wrap(err, errConfig)
	}
	c, err := p.Client(cfg)
	return c, errors.Wrap(err, errClient)
}
