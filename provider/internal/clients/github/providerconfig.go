package github

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	gh "github.com/google/go-github/v85/github"

	"github.com/paved-dev/paved/provider/internal/clients/providerconfig"
)

const (
	errConfig = "cannot get GitHub configuration"
	errClient = "cannot create GitHub client"
)

// ConfigOf turns resolved ProviderConfig credentials into a client Config.
func ConfigOf(g providerconfig.GitHub) Config {
	return Config{ProviderConfig: g.ProviderConfig, BaseURL: g.BaseURL, Credentials: Credentials{
		Token: g.Token, AppID: g.AppID, InstallationID: g.InstallationID, PrivateKey: g.PrivateKey,
	}}
}

// ClientFor returns the pooled GitHub client of the ProviderConfig that mg
// refers to (resolved by providerconfig.Resolver, which also records the
// usage): what every GitHub controller's Connect does.
func (p *Pool) ClientFor(ctx context.Context, kube client.Client, mg resource.Managed) (*gh.Client, error) {
	g, err := providerconfig.NewResolver(kube).GitHub(ctx, mg)
	if err != nil {
		return nil, errors.Wrap(err, errConfig)
	}
	c, err := p.ClientContext(ctx, ConfigOf(g))
	return c, errors.Wrap(err, errClient)
}
