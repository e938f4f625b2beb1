package servicebundle

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// Argo CD's health and sync statuses
// (https://argo-cd.readthedocs.io/en/stable/operator-manual/health/;
// argo-cd v3.1.0 pkg/apis/application/v1alpha1/types.go, SyncStatusCode).
// A sync status other than Synced or OutOfSync (Unknown) means Argo CD
// could not compare the Application with its repository.
const (
	healthHealthy = "Healthy"
	healthMissing = "Missing"
	syncSynced    = "Synced"
	syncOutOfSync = "OutOfSync"
)

// argoCDErrorSuffix ends the type of every error condition of an Argo CD
// Application: DeletionError, InvalidSpecError, ComparisonError, SyncError
// and UnknownError; warnings end in "Warning" (argo-cd v3.1.0
// pkg/apis/application/v1alpha1/types.go, ApplicationConditionType and
// ApplicationCondition.IsError, which tests the same suffix).
const argoCDErrorSuffix = "Error"

// Argo CD's error conditions that stop it from deleting an Application
// with its resources finalizer. Deleting it first reads its AppProject
// and then, through the project, what it deployed (argo-cd v3.1.0
// controller/appcontroller.go, finalizeApplicationDeletion): a project that
// does not exist is InvalidSpecError while the Application lives
// (projectErrorToCondition; UnknownError for other failures to read it)
// and DeletionError once it is being deleted, which leaves the finalizer
// and the Application in place. A ComparisonError does not: deletion finds
// what was deployed by Argo CD's tracking, not by rendering the source.
var deletionBlockers = []string{"InvalidSpecError", "UnknownError", "DeletionError"}

// argoCDErrors is what Argo CD reports as errors on an observed
// Application, "Type: message" joined by "; " (Argo CD's conditions have a
// type and a message, no status), on one line, redacted and capped as a
// provider's message (compose.ProviderMessage): a ComparisonError may
// quote a repository URL. Only the types in only count, when it is not
// empty. Empty when there is none.
func argoCDErrors(obs *structpb.Struct, only ...string) string {
	var errs []string
	for _, c := range pb.Get(obs, "status", "conditions").GetListValue().GetValues() {
		t, _ := pb.String(c.GetStructValue(), "type")
		if !strings.HasSuffix(t, argoCDErrorSuffix) || (len(only) > 0 && !slices.Contains(only, t)) {
			continue
		}
		m, _ := pb.String(c.GetStructValue(), "message")
		errs = append(errs, t+": "+m)
	}
	return compose.ProviderMessage(strings.Join(errs, "; "))
}

// applicationReady is the readiness rule of a service's Applications. An
// Application is never ready while Argo CD reports an error condition or
// does not know its sync status: Argo CD's application health starts
// Healthy and only resources it could render lower it (argo-cd v3.1.0
// controller/health.go, setApplicationHealth), and when it cannot render
// the source (a missing branch, a broken kustomization) it records a
// ComparisonError, renders no objects and reports sync Unknown
// (controller/state.go, CompareAppState, failedToLoadObjs), so a Healthy
// Application may deliver nothing. Then:
//   - staging, which syncs itself, is ready when it is Healthy and Synced;
//   - production is ready when it is Healthy, Synced or OutOfSync (a
//     person promotes to it), and also before its first manual sync: while
//     it has never been synced (no sync history and no operation) its
//     health is Missing, which is what it is waiting for, not a failure.
func applicationReady(environment string) compose.Readiness {
	return func(obs *structpb.Struct) (bool, string) {
		if errs := argoCDErrors(obs); errs != "" {
			return false, "Argo CD reports " + errs
		}
		health, _ := pb.String(obs, "status", "health", "status")
		sync, _ := pb.String(obs, "status", "sync", "status")
		if health == "" || sync == "" {
			return false, "" // not yet reconciled by Argo CD: on its way (compose.OnItsWay)
		}
		if sync != syncSynced && sync != syncOutOfSync {
			return false, "health " + health + ", sync " + sync + ": Argo CD could not compare it with the repository"
		}
		if environment == "staging" {
			if health == healthHealthy && sync == syncSynced {
				return true, ""
			}
			return false, "health " + health + ", sync " + sync
		}
		if health == healthHealthy || (neverSynced(obs) && health == healthMissing) {
			return true, ""
		}
		return false, "health " + health + ", sync " + sync
	}
}

// neverSynced reports whether Argo CD has never synced an observed
// Application: no sync history and no operation.
func neverSynced(obs *structpb.Struct) bool {
	return !pb.Has(obs, "status", "history") && !pb.Has(obs, "status", "operationState")
}

// waitsForFirstSync reports whether an observed production Application has
// never been synced.
func waitsForFirstSync(obs *structpb.Struct) bool {
	h, _ := pb.String(obs, "status", "health", "status")
	return obs != nil && h == healthMissing && neverSynced(obs)
}

// deletionBlocked is what keeps Argo CD from deleting an observed
// Application, for the claim's DeletionProtected condition
// (compose.Set.ProtectBlocked): Argo CD's conditions that stop it (see
// deletionBlockers), with the operator's way out. Crossplane runs no
// function for a composite being deleted, so the claim says it while the
// bundle lives, from the last observation.
func deletionBlocked(obs *structpb.Struct) string {
	errs := argoCDErrors(obs, deletionBlockers...)
	if errs == "" {
		return ""
	}
	return "Argo CD reports " + errs + "; until that is fixed Argo CD cannot delete what it deployed, nor remove its " +
		resourcesFinalizer + ", and a deletion of this claim waits for it; a platform operator who has checked what it deployed may remove that finalizer"
}
