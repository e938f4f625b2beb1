package servicebundle

import (
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/fn/internal/compose"
)

// Observed Applications as Argo CD v3.1.0 reports them when it cannot
// render the source: a ComparisonError, no objects, health left Healthy
// and sync Unknown (controller/state.go, CompareAppState).
const (
	prodNoRelease = `{"status": {"health": {"status": "Healthy"}, "sync": {"status": "Unknown"}, "conditions": [{"type": "ComparisonError", "message": "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Unable to resolve 'release' to a commit SHA", "lastTransitionTime": "2026-12-03T10:00:00Z"}]}}`
	noProject     = `{"status": {"conditions": [{"type": "InvalidSpecError", "message": "Application referencing project orders-project which does not exist"}]}}`
	syncUnknown   = `{"status": {"health": {"status": "Healthy"}, "sync": {"status": "Unknown"}, "history": [{"id": 0}]}}`
	warningOnly   = `{"status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced"}, "history": [{"id": 0}], "conditions": [{"type": "SharedResourceWarning", "message": "Service/orders-api is part of applications argocd/orders-api-staging and other"}]}}`
	credentialErr = `{"status": {"health": {"status": "Healthy"}, "sync": {"status": "Unknown"}, "conditions": [{"type": "ComparisonError", "message": "Failed to load target state: git fetch https://x-access-token:ghs_0123456789abcdefghij0123456789@github.com/acme/orders-api.git failed:\nexit status 128"}, {"type": "SyncError", "message": "Failed sync attempt"}]}}`
)

func TestApplicationReady(t *testing.T) {
	cases := map[string]struct {
		reason      string
		environment string
		observed    string
		wantReady   bool
		wantWhy     string
	}{
		"StagingSynced": {
			reason: "Staging Healthy and Synced is ready.", environment: "staging", observed: stagingSynced, wantReady: true,
		},
		"StagingOutOfSync": {
			reason: "Staging syncs itself: OutOfSync is not delivered yet.", environment: "staging", observed: stagingOut,
			wantWhy: "health Healthy, sync OutOfSync",
		},
		"ProductionNeverSynced": {
			reason: "Production waiting for its first manual sync is ready.", environment: "production", observed: prodNever, wantReady: true,
		},
		"ProductionOutOfSync": {
			reason: "A person promotes to production: Healthy and OutOfSync is ready.", environment: "production",
			observed: `{"status": {"health": {"status": "Healthy"}, "sync": {"status": "OutOfSync"}, "history": [{"id": 0}]}}`, wantReady: true,
		},
		"ProductionDegraded": {
			reason: "Degraded is not ready.", environment: "production", observed: prodDegraded,
			wantWhy: "health Degraded, sync Synced",
		},
		"ProductionComparisonError": {
			reason:      "Argo CD cannot render production (no release branch): Healthy with sync Unknown is not ready, in Argo CD's words.",
			environment: "production", observed: prodNoRelease,
			wantWhy: "Argo CD reports ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Unable to resolve 'release' to a commit SHA",
		},
		"StagingComparisonError": {
			reason:      "The same for staging.",
			environment: "staging", observed: prodNoRelease,
			wantWhy: "Argo CD reports ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Unable to resolve 'release' to a commit SHA",
		},
		"MissingProject": {
			reason:      "An Application whose AppProject does not exist has no health nor sync; the claim says why.",
			environment: "production", observed: noProject,
			wantWhy: "Argo CD reports InvalidSpecError: Application referencing project orders-project which does not exist",
		},
		"SyncUnknownWithoutCondition": {
			reason:      "A sync status Argo CD does not know is not ready, even Healthy and without a condition.",
			environment: "production", observed: syncUnknown,
			wantWhy: "health Healthy, sync Unknown: Argo CD could not compare it with the repository",
		},
		"WarningIsNotAnError": {
			reason:      "Argo CD's warnings do not hold readiness.",
			environment: "staging", observed: warningOnly, wantReady: true,
		},
		"ErrorsRedactedOnOneLine": {
			reason:      "Every error condition is reported, on one line, without the credential a repository URL carried.",
			environment: "staging", observed: credentialErr,
			wantWhy: "Argo CD reports ComparisonError: Failed to load target state: git fetch https://" + compose.Redacted + "@github.com/acme/orders-api.git failed: exit status 128; SyncError: Failed sync attempt",
		},
		"NotReconciled": {
			reason: "Nothing reported yet.", environment: "staging", observed: `{"spec": {}}`,
			wantWhy: "", // not yet reconciled by Argo CD: on its way
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ready, why := applicationReady(tc.environment)(resource.MustStructJSON(tc.observed))
			if diff := cmp.Diff([]any{tc.wantReady, tc.wantWhy}, []any{ready, why}); diff != "" {
				t.Errorf("%s\napplicationReady(%q): -want, +got:\n%s", tc.reason, tc.environment, diff)
			}
		})
	}
}

func TestApplicationReadyCapsArgoCDMessages(t *testing.T) {
	long := `{"status": {"health": {"status": "Healthy"}, "sync": {"status": "Unknown"}, "conditions": [{"type": "ComparisonError", "message": "` + strings.Repeat("kustomize build failed ", 100) + `"}]}}`
	_, why := applicationReady("production")(resource.MustStructJSON(long))
	if len(why) > len("Argo CD reports ")+compose.MaxProviderMessage || !strings.HasSuffix(why, "…") {
		t.Errorf("applicationReady: a long ComparisonError: want at most %d bytes of Argo CD's message, cut with an ellipsis; got %d bytes: %q", compose.MaxProviderMessage, len(why), why)
	}
}

func TestDeletionBlocked(t *testing.T) {
	cases := map[string]struct {
		reason   string
		observed string
		want     string
	}{
		"Healthy": {reason: "Nothing in Argo CD's way.", observed: stagingSynced},
		"ComparisonError": {
			reason:   "Argo CD finds what it deployed by tracking, not by rendering: a ComparisonError does not block a deletion.",
			observed: prodNoRelease,
		},
		"MissingProject": {
			reason:   "Without its AppProject Argo CD cannot delete the Application: said with Argo CD's words and the way out.",
			observed: noProject,
			want: "Argo CD reports InvalidSpecError: Application referencing project orders-project which does not exist; until that is fixed Argo CD cannot delete what it deployed, " +
				"nor remove its resources-finalizer.argocd.argoproj.io, and a deletion of this claim waits for it; a platform operator who has checked what it deployed may remove that finalizer",
		},
		"DeletionError": {
			reason:   "A DeletionError reported earlier is named too.",
			observed: `{"status": {"conditions": [{"type": "DeletionError", "message": "appprojects.argoproj.io \"orders-project\" not found"}, {"type": "ComparisonError", "message": "x"}]}}`,
			want: `Argo CD reports DeletionError: appprojects.argoproj.io "orders-project" not found; until that is fixed Argo CD cannot delete what it deployed, ` +
				"nor remove its resources-finalizer.argocd.argoproj.io, and a deletion of this claim waits for it; a platform operator who has checked what it deployed may remove that finalizer",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, deletionBlocked(resource.MustStructJSON(tc.observed))); diff != "" {
				t.Errorf("%s\ndeletionBlocked: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	if got := deletionBlocked(nil); got != "" {
		t.Errorf("deletionBlocked(nil): an Application that does not exist blocks nothing, got %q", got)
	}
}
