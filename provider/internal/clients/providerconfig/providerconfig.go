// Package providerconfig is the one place that turns a managed resource's
// ProviderConfig into credentials: it records the resource's
// ProviderConfigUsage, reads the ProviderConfig and extracts the Secret keys
// it names with crossplane-runtime's resource.CommonCredentialExtractor.
// Errors name the ProviderConfig field, Secret and key at fault and keep
// their chain (errors.Is/As see the API server's error); they never carry
// Secret data.
package providerconfig

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

const (
	errNoPCRef      = "managed resource has no spec.providerConfigRef"
	errTrackUsage   = "cannot track ProviderConfig usage"
	errGetPC        = "cannot get ProviderConfig %q"
	errNoGitHub     = "ProviderConfig %q has no spec.github: GitHub resources need GitHub credentials"
	errNoBackstage  = "ProviderConfig %q has no spec.backstage: set baseURL and tokenSecretRef to manage Backstage resources"
	errNoSecretRef  = "ProviderConfig %q: spec.github.credentials.secretRef is required when source is Secret"
	errNoApp        = "ProviderConfig %q: spec.github.credentials.app is required when source is GitHubApp"
	errSource       = "ProviderConfig %q: spec.github.credentials.source %q is not one of Secret, GitHubApp"
	errGetSecret    = "cannot read credentials Secret %s/%s named by ProviderConfig %q %s"
	errEmptySecret  = "credentials Secret %s/%s named by ProviderConfig %q %s has no key %q, or its value is empty"
	fieldGHSecret   = "spec.github.credentials.secretRef"
	fieldGHAppKey   = "spec.github.credentials.app.privateKeySecretRef"
	fieldBSTokenRef = "spec.backstage.tokenSecretRef"
)

// ErrNotConfigured is wrapped by every error saying that a ProviderConfig
// lacks the section (spec.github, spec.backstage) a resource needs.
var ErrNotConfigured = errors.New("ProviderConfig section not configured")

// GitHub is what a ProviderConfig's spec.github resolves to: a token, or a
// GitHub App installation.
type GitHub struct {
	// ProviderConfig is the name of the ProviderConfig.
	ProviderConfig string
	// BaseURL as given in spec.github.baseURL (empty for github.com).
	BaseURL string
	// Token is set for source Secret.
	Token string
	// AppID, InstallationID and PrivateKey are set for source GitHubApp.
	AppID          int64
	InstallationID int64
	PrivateKey     []byte
}

// Backstage is what a ProviderConfig's spec.backstage resolves to.
type Backstage struct {
	// ProviderConfig is the name of the ProviderConfig.
	ProviderConfig string
	BaseURL        string
	Token          string
}

// A Resolver resolves the ProviderConfig of managed resources.
type Resolver struct {
	kube  client.Client
	usage resource.LegacyTracker
}

// NewResolver returns a Resolver that reads ProviderConfigs and Secrets with
// kube and records ProviderConfigUsages.
func NewResolver(kube client.Client) *Resolver {
	return &Resolver{kube: kube, usage: resource.NewLegacyProviderConfigUsageTracker(kube, &v1alpha1.ProviderConfigUsage{})}
}

// GitHub tracks mg's use of its ProviderConfig and returns the GitHub
// credentials it names.
func (r *Resolver) GitHub(ctx context.Context, mg resource.LegacyManaged) (GitHub, error) { //nolint:staticcheck // the provider's kinds are cluster-scoped, crossplane-runtime's legacy managed resources, until their namespaced kinds land
	pc, err := r.providerConfig(ctx, mg)
	if err != nil {
		return GitHub{}, err
	}
	g := pc.Spec.GitHub
	if g == nil {
		return GitHub{}, errors.Wrapf(ErrNotConfigured, errNoGitHub, pc.GetName())
	}
	out := GitHub{ProviderConfig: pc.GetName(), BaseURL: g.BaseURL}
	switch g.Credentials.Source {
	case v1alpha1.GitHubCredentialsSecret:
		if g.Credentials.SecretRef == nil {
			return GitHub{}, errors.Errorf(errNoSecretRef, pc.GetName())
		}
		tok, err := r.secret(ctx, pc.GetName(), fieldGHSecret, *g.Credentials.SecretRef)
		if err != nil {
			return GitHub{}, err
		}
		out.Token = strings.TrimSpace(string(tok))
	case v1alpha1.GitHubCredentialsApp:
		a := g.Credentials.App
		if a == nil {
			return GitHub{}, errors.Errorf(errNoApp, pc.GetName())
		}
		key, err := r.secret(ctx, pc.GetName(), fieldGHAppKey, a.PrivateKeySecretRef)
		if err != nil {
			return GitHub{}, err
		}
		out.AppID, out.InstallationID, out.PrivateKey = a.AppID, a.InstallationID, key
	default:
		return GitHub{}, errors.Errorf(errSource, pc.GetName(), g.Credentials.Source)
	}
	return out, nil
}

// Backstage tracks mg's use of its ProviderConfig and returns the Backstage
// endpoint and token it names.
func (r *Resolver) Backstage(ctx context.Context, mg resource.LegacyManaged) (Backstage, error) { //nolint:staticcheck // the provider's kinds are cluster-scoped, crossplane-runtime's legacy managed resources, until their namespaced kinds land
	pc, err := r.providerConfig(ctx, mg)
	if err != nil {
		return Backstage{}, err
	}
	b := pc.Spec.Backstage
	if b == nil {
		return Backstage{}, errors.Wrapf(ErrNotConfigured, errNoBackstage, pc.GetName())
	}
	tok, err := r.secret(ctx, pc.GetName(), fieldBSTokenRef, b.TokenSecretRef)
	if err != nil {
		return Backstage{}, err
	}
	return Backstage{ProviderConfig: pc.GetName(), BaseURL: b.BaseURL, Token: strings.TrimSpace(string(tok))}, nil
}

func (r *Resolver) providerConfig(ctx context.Context, mg resource.LegacyManaged) (*v1alpha1.ProviderConfig, error) { //nolint:staticcheck // the provider's kinds are cluster-scoped, crossplane-runtime's legacy managed resources, until their namespaced kinds land
	ref := mg.GetProviderConfigReference()
	if ref == nil || ref.Name == "" {
		return nil, errors.New(errNoPCRef)
	}
	if err := r.usage.Track(ctx, mg); err != nil {
		return nil, errors.Wrap(err, errTrackUsage)
	}
	pc := &v1alpha1.ProviderConfig{}
	if err := r.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, pc); err != nil {
		return nil, errors.Wrapf(err, errGetPC, ref.Name)
	}
	return pc, nil
}

// secret extracts a Secret key with crossplane-runtime's common credential
// extractor; an absent key or an empty value is an error naming the field.
func (r *Resolver) secret(ctx context.Context, pc, field string, sel xpv2.SecretKeySelector) ([]byte, error) {
	v, err := resource.CommonCredentialExtractor(ctx, xpv2.CredentialsSourceSecret, r.kube,
		xpv2.CommonCredentialSelectors{SecretRef: &sel})
	if err != nil {
		return nil, errors.Wrapf(err, errGetSecret, sel.Namespace, sel.Name, pc, field)
	}
	if len(strings.TrimSpace(string(v))) == 0 {
		return nil, errors.Errorf(errEmptySecret, sel.Namespace, sel.Name, pc, field, sel.Key)
	}
	return v, nil
}
