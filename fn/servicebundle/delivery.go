package servicebundle

import (
	"google.golang.org/protobuf/types/known/structpb"

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

// application is the Argo CD Application that delivers the service to one
// environment from source, the repository's clone URL. Staging syncs itself
// (prune and self-heal); production only when a person syncs it.
func application(s *service, st *settings, environment, repoURL string) *structpb.Struct {
	source := pb.Fields{
		"repoURL":        pb.Str(repoURL),
		"targetRevision": pb.Str(revisions[environment]),
		"path":           pb.Str("k8s/overlays/" + environment),
	}
	syncPolicy := pb.Fields{
		// The seed's sync options, except CreateNamespace: the team's
		// namespace exists (it holds the claim).
		"syncOptions": pb.Strs([]string{"PrunePropagationPolicy=foreground", "PruneLast=true", "ApplyOutOfSyncOnly=true"}),
		"retry": pb.Obj(pb.Fields{
			"limit":   pb.Int(3),
			"backoff": pb.Obj(pb.Fields{"duration": pb.Str("5s"), "factor": pb.Int(2), "maxDuration": pb.Str("3m0s")}),
		}),
	}
	if environment == "staging" {
		syncPolicy["automated"] = pb.Obj(pb.Fields{"prune": pb.Boolean(true), "selfHeal": pb.Boolean(true), "allowEmpty": pb.Boolean(false)})
	}
	if environment == "production" {
		// The production replica count, set on the overlay's Deployment
		// named after the service (Argo CD's kustomize replicas override,
		// https://argo-cd.readthedocs.io/en/stable/user-guide/kustomize/).
		source["kustomize"] = pb.Obj(pb.Fields{"replicas": pb.List(pb.Obj(pb.Fields{
			"name": pb.Str(s.name), "count": pb.Int(s.replicaCount),
		}))})
	}
	return &structpb.Struct{Fields: pb.Fields{
		"apiVersion": pb.Const(ApplicationAPIVersion),
		"kind":       pb.Const(ApplicationKind),
		"metadata": pb.Obj(pb.Fields{
			"name":      pb.Str(applicationName(s.name, environment)),
			"namespace": pb.Str(st.ArgoCDNamespace),
			"labels": pb.StrMap(map[string]string{
				"team":            s.owner,
				"environment":     environment,
				argoCDSelectLabel: s.name,
			}),
			"annotations": pb.StrMap(map[string]string{
				annotationNotifySucceeded: st.NotifySyncSucceeded,
				annotationNotifyFailed:    st.NotifySyncFailed,
			}),
			"finalizers": pb.Strs([]string{resourcesFinalizer}),
		}),
		"spec": pb.Obj(pb.Fields{
			"project": pb.Str(project(st.ArgoCDProject, s.owner, s.namespace)),
			"source":  pb.Obj(source),
			"destination": pb.Obj(pb.Fields{
				"server":    pb.Str(st.ArgoCDDestinationServer),
				"namespace": pb.Str(s.namespace),
			}),
			"syncPolicy": pb.Obj(syncPolicy),
		}),
	}}
}

// Argo CD's health and sync statuses
// (https://argo-cd.readthedocs.io/en/stable/operator-manual/health/,
// pkg/apis/application/v1alpha1/types.go SyncStatusCode).
const (
	healthHealthy = "Healthy"
	healthMissing = "Missing"
	syncSynced    = "Synced"
)

// applicationReady is the readiness rule of a service's Applications:
//   - staging, which syncs itself, is ready when it is Healthy and Synced;
//   - production is ready when it is Healthy, whatever its sync status (a
//     person promotes to it), and also before its first manual sync: while
//     it has never been synced (no sync history and no operation) its
//     health is Missing, which is what it is waiting for, not a failure.
func applicationReady(environment string) func(*structpb.Struct) (bool, string) {
	return func(obs *structpb.Struct) (bool, string) {
		health, _ := pb.String(obs, "status", "health", "status")
		sync, _ := pb.String(obs, "status", "sync", "status")
		if health == "" || sync == "" {
			return false, "not yet reconciled by Argo CD"
		}
		if environment == "staging" {
			if health == healthHealthy && sync == syncSynced {
				return true, ""
			}
			return false, "health " + health + ", sync " + sync
		}
		neverSynced := !pb.Has(obs, "status", "history") && !pb.Has(obs, "status", "operationState")
		if health == healthHealthy || (neverSynced && health == healthMissing) {
			return true, ""
		}
		return false, "health " + health + ", sync " + sync
	}
}

// waitsForFirstSync reports whether an observed production Application has
// never been synced.
func waitsForFirstSync(obs *structpb.Struct) bool {
	h, _ := pb.String(obs, "status", "health", "status")
	return obs != nil && h == healthMissing && !pb.Has(obs, "status", "history") && !pb.Has(obs, "status", "operationState")
}
