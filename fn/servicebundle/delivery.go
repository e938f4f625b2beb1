package servicebundle

import (
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// Argo CD's Application (argoproj.io/v1alpha1; its CRD in
// github.com/argoproj/argo-cd/v3 v3.1.0 manifests/crds/application-crd.yaml).
// It is composed directly: Crossplane v2 composes any Kubernetes kind.
// paved has no typed Go object for it: argo-cd's module is far too large to
// import for one struct, and render validation (make validate) checks every
// composed Application against the real CRD.
const (
	ApplicationAPIVersion = "argoproj.io/v1alpha1"
	ApplicationKind       = "Application"

	// resourcesFinalizer makes deleting an Application delete what it
	// deployed, in the foreground (the seed's Applications carry it;
	// https://argo-cd.readthedocs.io/en/stable/user-guide/app_deletion/#about-the-deletion-finalizer).
	resourcesFinalizer = "resources-finalizer.argocd.argoproj.io"

	// Argo CD notifications subscriptions, as the seed's Applications have
	// them (https://argo-cd.readthedocs.io/en/stable/operator-manual/notifications/subscriptions/).
	annotationNotifySucceeded = "notifications.argoproj.io/subscribe.on-sync-succeeded.slack"
	annotationNotifyFailed    = "notifications.argoproj.io/subscribe.on-sync-failed.slack"
)

// Revisions each environment follows: staging the default branch, production
// a release branch that a person promotes to.
var revisions = map[string]string{"staging": DefaultBranch, "production": "release"}

// settingApplicationNamespace is the environment's setting of the
// namespaces Applications deploy into, by its JSON name.
const settingApplicationNamespace = env.ServiceBundleKey + ".applicationNamespace"

// destination is the namespace the service's Application for environment
// deploys into: the environment's own, as the platform's
// applicationNamespace pattern makes it from the claim's namespace and
// team (env.DestinationNamespace), never the claim's namespace itself nor
// another environment's. Staging and production render objects of the
// same names: in one namespace, staging's self-heal would overwrite
// production's objects, and either's pruning delete the other's.
//
// An Application that exists keeps the namespace it deploys into
// (compose.Set.KeepPlacement, a drift reported as EnvironmentChanged):
// Argo CD would deploy everything anew into another and prune what is in
// the old one, so neither a new pattern nor an upgrade of paved moves a
// live service.
func destination(set *compose.Set, e *env.Environment, s *service, environment string) string {
	want := env.DestinationNamespace(e.ServiceBundle.ApplicationNamespace, s.team, s.namespace, environment)
	return set.KeepPlacement(e, settingApplicationNamespace, ApplicationPrefix+environment, want, "spec", "destination", "namespace")
}

// application is the Argo CD Application called name that delivers the
// service to one environment from source, the repository's clone URL, into
// the namespace destination: the environment's own (destination).
// Staging syncs itself (prune and self-heal); production only when a person
// syncs it. Its project and team are the platform's tenant of the claim's
// namespace (service.withTenant), never what the claim says: an
// Application in Argo CD's own namespace may use any AppProject, and the
// project is what limits what it may deploy, from where and to where
// (https://argo-cd.readthedocs.io/en/stable/operator-manual/app-any-namespace/,
// https://argo-cd.readthedocs.io/en/stable/user-guide/projects/).
func application(xr *compose.Composite, s *service, st *settings, environment, name, repoURL, destination string) *structpb.Struct {
	source := pb.Fields{
		"repoURL":        pb.Str(repoURL),
		"targetRevision": pb.Str(revisions[environment]),
		"path":           pb.Str("k8s/overlays/" + environment),
	}
	// FailOnSharedResource: a sync fails, rather than take over, when an
	// object it would apply is already another Application's (Argo CD's
	// tracking of which Application manages an object): one team's
	// Application never overwrites, and never prunes later, what another
	// Application deployed
	// (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#fail-the-sync-if-a-shared-resource-is-found).
	syncOptions := []string{"PrunePropagationPolicy=foreground", "PruneLast=true", "ApplyOutOfSyncOnly=true", "FailOnSharedResource=true"}
	spec := pb.Fields{}
	if environment == "staging" {
		// The seed's ignoreDifferences: the replicas of staging's
		// Deployments are the HorizontalPodAutoscaler's, not git's. Without
		// it self-heal sees every scaling as drift and resets it. It only
		// affects the diff; RespectIgnoreDifferences=true makes syncs leave
		// the field alone too (once the Deployment exists)
		// (https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/#application-level-configuration,
		// https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#respect-ignore-differences-configs).
		spec["ignoreDifferences"] = pb.List(pb.Obj(pb.Fields{
			"group": pb.Const("apps"), "kind": pb.Const("Deployment"), "jsonPointers": pb.Strs([]string{"/spec/replicas"}),
		}))
		syncOptions = append(syncOptions, "RespectIgnoreDifferences=true")
	}
	syncPolicy := pb.Fields{
		// The seed's sync options, except CreateNamespace: the platform
		// creates each environment's namespace and allows it in the
		// team's AppProject (docs/operations.md).
		"syncOptions": pb.Strs(syncOptions),
		"retry": pb.Obj(pb.Fields{
			"limit":   pb.Int(3),
			"backoff": pb.Obj(pb.Fields{"duration": pb.Const("5s"), "factor": pb.Int(2), "maxDuration": pb.Const("3m0s")}),
		}),
	}
	if environment == "staging" {
		syncPolicy["automated"] = pb.Obj(pb.Fields{"prune": pb.Boolean(true), "selfHeal": pb.Boolean(true), "allowEmpty": pb.Boolean(false)})
	}
	if environment == "production" {
		source["kustomize"] = pb.Obj(pb.Fields{"patches": pb.List(replicaPatch(s.replicaCount))})
	}
	spec["project"] = pb.Str(s.project)
	spec["source"] = pb.Obj(source)
	spec["destination"] = pb.Obj(pb.Fields{
		"server":    pb.Str(st.ArgoCDDestinationServer),
		"namespace": pb.Str(destination),
	})
	spec["syncPolicy"] = pb.Obj(syncPolicy)
	return &structpb.Struct{Fields: pb.Fields{
		"apiVersion": pb.Const(ApplicationAPIVersion),
		"kind":       pb.Const(ApplicationKind),
		"metadata": pb.Obj(pb.Fields{
			"name":      pb.Str(name),
			"namespace": pb.Str(applicationNamespace(xr, st)),
			"labels": pb.StrMap(map[string]string{
				"team":            s.team,
				"environment":     environment,
				argoCDSelectLabel: s.repository,
			}),
			"annotations": pb.StrMap(map[string]string{
				annotationNotifySucceeded: st.NotifySyncSucceeded,
				annotationNotifyFailed:    st.NotifySyncFailed,
			}),
			"finalizers": pb.Strs([]string{resourcesFinalizer}),
		}),
		"spec": pb.Obj(spec),
	}}
}

// applicationNamespace is the namespace of the bundle's Applications: Argo
// CD's own (argoCDNamespace) for a legacy bundle, and the bundle's own
// namespace for a namespaced one, which composes nothing outside it
// (compose dialect). Argo CD reconciles an Application outside its own
// namespace only when the namespace is among its controller's and API
// server's application namespaces (application.namespaces), and only if
// the Application's AppProject lists the namespace in
// spec.sourceNamespaces; otherwise it refuses to work on it
// (https://argo-cd.readthedocs.io/en/stable/operator-manual/app-any-namespace/).
// The project stays the platform's mapping of the namespace
// (service.withTenant), so a tenant's Application can use only a project
// the platform lets its namespace use.
func applicationNamespace(xr *compose.Composite, st *settings) string {
	if xr.Namespaced() {
		return xr.Namespace
	}
	return st.ArgoCDNamespace
}

// replicaPatch is the kustomize patch that sets the production replica
// count on every Deployment of the production overlay, whatever its name.
//
// Not Argo CD's kustomize replicas override by name
// (https://argo-cd.readthedocs.io/en/stable/user-guide/kustomize/): a
// replicas entry whose name matches no resource fails the whole kustomize
// build ("resource with name ... does not match a config",
// sigs.k8s.io/kustomize/api internal/builtins/ReplicaCountTransformer.go),
// and no name can be a template contract here: GitHub generates the
// repository from the golden-path template verbatim, so the template's
// Deployment keeps the template's name, never the service's. A JSON 6902
// patch with a kind target applies to each selected resource and to none
// without error (PatchTransformer.go, transformJson6902), and "add" sets
// spec.replicas whether or not the Deployment states it (RFC 6902, 4.1).
// Argo CD merges inline patches into the overlay's kustomization (argo-cd
// v3.1.0 util/kustomize/kustomize.go; docs/user-guide/kustomize.md,
// "Patches").
func replicaPatch(count int) *structpb.Value {
	return pb.Obj(pb.Fields{
		"target": pb.Obj(pb.Fields{"group": pb.Const("apps"), "version": pb.Const("v1"), "kind": pb.Const("Deployment")}),
		"patch":  pb.Str(fmt.Sprintf(`[{"op": "add", "path": "/spec/replicas", "value": %d}]`, count)),
	})
}
