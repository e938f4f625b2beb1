// Package controller sets up all of the provider's controllers.
package controller

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"

	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/controller/branch"
	"github.com/paved-dev/paved/provider/internal/controller/cataloglocation"
	"github.com/paved-dev/paved/provider/internal/controller/config"
	"github.com/paved-dev/paved/provider/internal/controller/repository"
	"github.com/paved-dev/paved/provider/internal/controller/repositoryfile"
	"github.com/paved-dev/paved/provider/internal/controller/teamrepository"
)

// Setup adds every controller of the provider to mgr: each kind's one
// controller implementation is set up for both scopes (the cluster-scoped
// github.paved.dev and backstage.paved.dev kinds and the namespaced
// github.m.paved.dev and backstage.m.paved.dev ones, package scoped), and
// the ProviderConfig controller for every ProviderConfig kind. GitHub
// controllers share the one client pool gh (ghclient.NewPool), so that resources using
// the same GitHub identity (a user, whichever of its tokens, or an App
// installation), through whichever ProviderConfig, share its ETag cache,
// rate-limit and pacing state and GitHub App tokens; the ProviderConfig
// controller tells the pool what deleted ProviderConfigs used.
func Setup(mgr ctrl.Manager, o controller.Options, gh *ghclient.Pool) error {
	for _, setup := range []func(ctrl.Manager, controller.Options) error{
		func(m ctrl.Manager, o controller.Options) error { return config.Setup(m, o, gh) },
		func(m ctrl.Manager, o controller.Options) error { return repository.Setup(m, o, gh) },
		func(m ctrl.Manager, o controller.Options) error { return repositoryfile.Setup(m, o, gh) },
		func(m ctrl.Manager, o controller.Options) error { return branch.Setup(m, o, gh) },
		func(m ctrl.Manager, o controller.Options) error { return teamrepository.Setup(m, o, gh) },
		cataloglocation.Setup,
	} {
		if err := setup(mgr, o); err != nil {
			return err
		}
	}
	return nil
}
