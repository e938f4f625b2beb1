// Package providerconfig is the one place that turns a managed resource's
// ProviderConfig into credentials: it records the resource's
// ProviderConfigUsage, reads the ProviderConfig and extracts the Secret keys
// it names with crossplane-runtime's resource.CommonCredentialExtractor.
// Errors name the ProviderConfig field, Secret and key at fault and keep
// their chain (errors.Is/As see the API server's error); they never carry
// Secret data.
//
// A cluster-scoped managed resource (crossplane-runtime's legacy kind) names
// a paved.dev ProviderConfig. A namespaced one (its modern kind) names, by
// providerConfigRef.kind, an m.paved.dev ProviderConfig, looked up in the
// resource's own namespace and allowed to read Secrets of that namespace
// only, or a ClusterProviderConfig, whose Secret references carry their
// namespace. Usages are recorded as crossplane-runtime v2 does for each
// (pkg/resource/providerconfig.go): a cluster-scoped ProviderConfigUsage,
// or a namespaced one in the resource's namespace naming the config's
// kind.
package providerconfig

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

const (
	errNoPCRef      = "managed resource has no spec.providerConfigRef"
	errPCKind       = "spec.providerConfigRef.kind %q is not one of " + kindProviderConfig + ", " + kindClusterProviderConfig
	errScope        = "managed resource %T is neither a cluster-scoped nor a namespaced managed resource"
	errTrackUsage   = "cannot track ProviderConfig usage"
	errGetPC        = "cannot get %s"
	errNoGitHub     = "%s has no spec.github: GitHub resources need GitHub credentials"
	errNoBackstage  = "%s has no spec.backstage: set baseURL and tokenSecretRef to manage Backstage resources"
	errNoSecretRef  = "%s: spec.github.credentials.secretRef is required when source is Secret"
	errNoApp        = "%s: spec.github.credentials.app is required when source is GitHubApp"
	errSource       = "%s: spec.github.credentials.source %q is not one of Secret, GitHubApp"
	errGetSecret    = "cannot read credentials Secret %s/%s named by %s %s"
	errEmptySecret  = "credentials Secret %s/%s named by %s %s has no key %q, or its value is empty"
	errOtherNS      = "%s %s names Secret %s/%s: a ProviderConfig may only name Secrets of its own namespace %q (use a ClusterProviderConfig for credentials kept elsewhere)"
	fieldGHSecret   = "spec.github.credentials.secretRef"
	fieldGHAppKey   = "spec.github.credentials.app.privateKeySecretRef"
	fieldBSTokenRef = "spec.backstage.tokenSecretRef"
)

// Kinds of providerConfigRef a namespaced managed resource may name: the
// m.paved.dev kinds (mv1alpha1.ProviderConfigKind,
// mv1alpha1.ClusterProviderConfigKind).
const (
	kindProviderConfig        = "ProviderConfig"
	kindClusterProviderConfig = "ClusterProviderConfig"
)

// ErrOtherNamespace is wrapped by the refusal of a namespaced ProviderConfig
// that names a Secret of another namespace.
var ErrOtherNamespace = errors.New("ProviderConfig names a Secret of another namespace")

// ErrNotConfigured is wrapped by every error saying that a ProviderConfig
// lacks the section (spec.github, spec.backstage) a resource needs.
var ErrNotConfigured = errors.New("ProviderConfig section not configured")

// GitHub is what a ProviderConfig's spec.github resolves to: a token, or a
// GitHub App installation.
type GitHub struct {
	// ProviderConfig identifies the ProviderConfig: its name for a
	// paved.dev ProviderConfig, kind/namespace/name or kind/name for the
	// m.paved.dev kinds.
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
	// ProviderConfig identifies the ProviderConfig, as GitHub's does.
	ProviderConfig string
	BaseURL        string
	Token          string
}

// A Resolver resolves the ProviderConfig of managed resources.
type Resolver struct {
	kube   client.Client
	legacy resource.LegacyTracker
	modern resource.ModernTracker
}

// NewResolver returns a Resolver that reads ProviderConfigs and Secrets with
// kube and records ProviderConfigUsages.
func NewResolver(kube client.Client) *Resolver {
	return &Resolver{
		kube:   kube,
		legacy: resource.NewLegacyProviderConfigUsageTracker(kube, &v1alpha1.ProviderConfigUsage{}),
		modern: resource.NewProviderConfigUsageTracker(kube, &mv1alpha1.ProviderConfigUsage{}),
	}
}

// config is a resolved ProviderConfig of any kind.
type config struct {
	// id identifies it in the GitHub client pool (GitHub.ProviderConfig).
	id string
	// what names it in messages, e.g. `ProviderConfig "a"`.
	what string
	spec v1alpha1.ProviderConfigSpec
	// secretNS, when set, is the only namespace whose Secrets it may
	// read: a namespaced ProviderConfig's own.
	secretNS string
}

// GitHub tracks mg's use of its ProviderConfig and returns the GitHub
// credentials it names.
func (r *Resolver) GitHub(ctx context.Context, mg resource.Managed) (GitHub, error) {
	pc, err := r.providerConfig(ctx, mg)
	if err != nil {
		return GitHub{}, err
	}
	g := pc.spec.GitHub
	if g == nil {
		return GitHub{}, errors.Wrapf(ErrNotConfigured, errNoGitHub, pc.what)
	}
	out := GitHub{ProviderConfig: pc.id, BaseURL: g.BaseURL}
	switch g.Credentials.Source {
	case v1alpha1.GitHubCredentialsSecret:
		if g.Credentials.SecretRef == nil {
			return GitHub{}, errors.Errorf(errNoSecretRef, pc.what)
		}
		tok, err := r.secret(ctx, pc, fieldGHSecret, *g.Credentials.SecretRef)
		if err != nil {
			return GitHub{}, err
		}
		out.Token = strings.TrimSpace(string(tok))
	case v1alpha1.GitHubCredentialsApp:
		a := g.Credentials.App
		if a == nil {
			return GitHub{}, errors.Errorf(errNoApp, pc.what)
		}
		key, err := r.secret(ctx, pc, fieldGHAppKey, a.PrivateKeySecretRef)
		if err != nil {
			return GitHub{}, err
		}
		out.AppID, out.InstallationID, out.PrivateKey = a.AppID, a.InstallationID, key
	default:
		return GitHub{}, errors.Errorf(errSource, pc.what, g.Credentials.Source)
	}
	return out, nil
}

// Backstage tracks mg's use of its ProviderConfig and returns the Backstage
// endpoint and token it names.
func (r *Resolver) Backstage(ctx context.Context, mg resource.Managed) (Backstage, error) {
	pc, err := r.providerConfig(ctx, mg)
	if err != nil {
		return Backstage{}, err
	}
	b := pc.spec.Backstage
	if b == nil {
		return Backstage{}, errors.Wrapf(ErrNotConfigured, errNoBackstage, pc.what)
	}
	tok, err := r.secret(ctx, pc, fieldBSTokenRef, b.TokenSecretRef)
	if err != nil {
		return Backstage{}, err
	}
	return Backstage{ProviderConfig: pc.id, BaseURL: b.BaseURL, Token: strings.TrimSpace(string(tok))}, nil
}

// ID identifies a ProviderConfig (GitHub.ProviderConfig, and what the
// GitHub client pool forgets): kind is "" for a paved.dev ProviderConfig,
// whose id is its name, or the m.paved.dev kind (ProviderConfig in
// namespace, ClusterProviderConfig).
func ID(kind, namespace, name string) string {
	switch {
	case kind == "":
		return name
	case namespace == "":
		return kind + "/" + name
	default:
		return kind + "/" + namespace + "/" + name
	}
}

// providerConfig tracks mg's use of the ProviderConfig it names and reads
// it, by mg's scope.
func (r *Resolver) providerConfig(ctx context.Context, mg resource.Managed) (config, error) {
	switch mg := mg.(type) {
	case resource.ModernManaged:
		return r.namespaced(ctx, mg)
	case resource.LegacyManaged: //nolint:staticcheck // the cluster-scoped kinds are crossplane-runtime's legacy managed resources
		return r.cluster(ctx, mg)
	default:
		return config{}, errors.Errorf(errScope, mg)
	}
}

func (r *Resolver) cluster(ctx context.Context, mg resource.LegacyManaged) (config, error) { //nolint:staticcheck // as above
	ref := mg.GetProviderConfigReference()
	if ref == nil || ref.Name == "" {
		return config{}, errors.New(errNoPCRef)
	}
	if err := r.legacy.Track(ctx, mg); err != nil {
		return config{}, errors.Wrap(err, errTrackUsage)
	}
	what := fmt.Sprintf("ProviderConfig %q", ref.Name)
	pc := &v1alpha1.ProviderConfig{}
	if err := r.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, pc); err != nil {
		return config{}, errors.Wrapf(err, errGetPC, what)
	}
	return config{id: ID("", "", ref.Name), what: what, spec: pc.Spec}, nil
}

// namespaced resolves a namespaced resource's ProviderConfig in its own
// namespace, or its ClusterProviderConfig.
func (r *Resolver) namespaced(ctx context.Context, mg resource.ModernManaged) (config, error) {
	ref := mg.GetProviderConfigReference()
	if ref == nil || ref.Name == "" {
		return config{}, errors.New(errNoPCRef)
	}
	if ref.Kind != kindProviderConfig && ref.Kind != kindClusterProviderConfig {
		return config{}, errors.Errorf(errPCKind, ref.Kind)
	}
	if err := r.modern.Track(ctx, mg); err != nil {
		return config{}, errors.Wrap(err, errTrackUsage)
	}
	if ref.Kind == kindClusterProviderConfig {
		what := fmt.Sprintf("%s %q", kindClusterProviderConfig, ref.Name)
		pc := &mv1alpha1.ClusterProviderConfig{}
		if err := r.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, pc); err != nil {
			return config{}, errors.Wrapf(err, errGetPC, what)
		}
		return config{id: ID(kindClusterProviderConfig, "", ref.Name), what: what, spec: pc.Spec}, nil
	}
	ns := mg.GetNamespace()
	what := fmt.Sprintf("%s %q", kindProviderConfig, ns+"/"+ref.Name)
	pc := &mv1alpha1.ProviderConfig{}
	if err := r.kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, pc); err != nil {
		return config{}, errors.Wrapf(err, errGetPC, what)
	}
	return config{id: ID(kindProviderConfig, ns, ref.Name), what: what, spec: pc.Spec, secretNS: ns}, nil
}

// secret extracts a Secret key with crossplane-runtime's common credential
// extractor; an absent key or an empty value is an error naming the field.
//
// A namespaced ProviderConfig reads only Secrets of its own namespace: one
// that names another is refused before anything is read.
func (r *Resolver) secret(ctx context.Context, pc config, field string, sel xpv2.SecretKeySelector) ([]byte, error) {
	if pc.secretNS != "" && sel.Namespace != pc.secretNS {
		return nil, errors.Wrapf(ErrOtherNamespace, errOtherNS, pc.what, field, sel.Namespace, sel.Name, pc.secretNS)
	}
	v, err := resource.CommonCredentialExtractor(ctx, xpv2.CredentialsSourceSecret, r.kube,
		xpv2.CommonCredentialSelectors{SecretRef: &sel})
	if err != nil {
		return nil, errors.Wrapf(err, errGetSecret, sel.Namespace, sel.Name, pc.what, field)
	}
	if len(strings.TrimSpace(string(v))) == 0 {
		return nil, errors.Errorf(errEmptySecret, sel.Namespace, sel.Name, pc.what, field, sel.Key)
	}
	return v, nil
}
