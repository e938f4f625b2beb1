package servicebundle

import (
	"errors"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	inputenv "github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
)

const fullSpec = `{"description": "Orders API", "owner": "orders", "template": "node-service", "database": {"engine": "postgresql", "size": "small"}, "bucket": {}, "environments": ["staging", "production"], "replicaCount": 4}`

// Observed states as the providers, Crossplane and Argo CD report them.
const (
	readyMR       = `{"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}, {"type": "Synced", "status": "True"}]}}`
	creatingMR    = `{"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Creating"}]}}`
	readyRepo     = `{"metadata": {"name": "orders-api"}, "status": {"atProvider": {"fullName": "acme/orders-api", "htmlURL": "https://github.com/acme/orders-api", "cloneURL": "https://github.com/acme/orders-api.git"}, "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	readyFile     = `{"status": {"atProvider": {"commitSHA": "0123abcd"}, "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	registeredLoc = `{"status": {"atProvider": {"entityRefs": ["component:default/orders-api", "resource:default/orders-api-bucket", "resource:default/orders-api-database"]}, "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	waitingLoc    = `{"status": {"conditions": [{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "cannot resolve references: mg.Spec.ForProvider.RefreshKey: referenced field was empty (referenced resource may not yet be ready)"}]}}`
	// registeringLoc: Create registered it (the external name, persisted
	// before the status) beside the Synced=False of its wait for the file.
	registeringLoc = `{"metadata": {"annotations": {"crossplane.io/external-name": "2f3ae3f4-8472-4abd-9079-c846e7b7290e"}}, "status": {"atProvider": {}, "conditions": [{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "cannot resolve references: mg.Spec.ForProvider.RefreshKey: referenced field was empty (referenced resource may not yet be ready)"}]}}`
	dryRunRefused  = `{"status": {"conditions": [{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "cannot validate the location with the catalog's dry run: Backstage answered 503"}]}}`
	fileInReview   = `{"status": {"atProvider": {"pullRequestURL": "https://github.com/acme/orders-api/pull/1", "pullRequestNumber": 1}, "conditions": [{"type": "Ready", "status": "False", "reason": "PullRequestOpen"}]}}`
	brokenLoc      = `{"status": {"atProvider": {"processingErrors": [{"entityRef": "location:default/generated-1", "name": "InputError", "message": "Policy check failed"}]}, "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	readyDB        = `{"status": {"endpoint": "orders.abc.eu-west-1.rds.amazonaws.com", "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	readyBucket    = `{"status": {"bucketName": "orders-api-bucket-x7k2p", "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}}`
	stagingSynced  = `{"spec": {"source": {"repoURL": "https://github.com/acme/orders-api.git"}}, "status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced"}, "history": [{"id": 0}]}}`
	stagingOut     = `{"spec": {"source": {"repoURL": "https://github.com/acme/orders-api.git"}}, "status": {"health": {"status": "Healthy"}, "sync": {"status": "OutOfSync"}, "history": [{"id": 0}]}}`
	prodNever      = `{"spec": {"source": {"repoURL": "https://github.com/acme/orders-api.git"}}, "status": {"health": {"status": "Missing"}, "sync": {"status": "OutOfSync"}}}`
	prodDegraded   = `{"spec": {"source": {"repoURL": "https://github.com/acme/orders-api.git"}}, "status": {"health": {"status": "Degraded"}, "sync": {"status": "Synced"}, "history": [{"id": 0}]}}`
)

// Observed states while GitHub or Backstage is unavailable, with the
// messages paved's provider sets (crossplane-runtime's managed reconciler:
// Synced=False, reason ReconcileError, the error chain as message).
const (
	githubDownMsg    = `observe failed: cannot get repository from GitHub: GET http://127.0.0.1:41234/repos/acme/orders-api: 503 Service Unavailable []`
	githubDown       = `{"status": {"conditions": [{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "` + githubDownMsg + `"}]}}`
	githubDownWhy    = "(Synced=False: ReconcileError): " + githubDownMsg
	backstageDownMsg = `observe failed: cannot get the catalog location: cannot send request to Backstage: Get \"http://127.0.0.1:7007/api/catalog/locations/7c1e\": dial tcp 127.0.0.1:7007: connect: connection refused`
	backstageDown    = `{"status": {"atProvider": {"entityRefs": ["component:default/orders-api"]}, "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}, {"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "` + backstageDownMsg + `"}]}}`
	backstageDownWhy = `(Synced=False: ReconcileError): observe failed: cannot get the catalog location: cannot send request to Backstage: Get "http://127.0.0.1:7007/api/catalog/locations/7c1e": dial tcp 127.0.0.1:7007: connect: connection refused`

	backstageRefusedMsg = `create failed: cannot validate the location with the catalog's dry run: cannot send request to Backstage: Post \"http://127.0.0.1:7007/api/catalog/locations?dryRun=true\": dial tcp 127.0.0.1:7007: connect: connection refused`
	backstageRefused    = `{"status": {"conditions": [{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "` + backstageRefusedMsg + `"}]}}`
	backstageRefusedWhy = `(Synced=False: ReconcileError): create failed: cannot validate the location with the catalog's dry run: cannot send request to Backstage: Post "http://127.0.0.1:7007/api/catalog/locations?dryRun=true": dial tcp 127.0.0.1:7007: connect: connection refused`
)

func environment(t *testing.T) *env.Environment {
	t.Helper()
	e, err := env.Resolve(inputenv.Environment{ServiceBundle: &inputenv.ServiceBundleEnvironment{
		GitHubOwner: "acme", GrafanaURL: "https://grafana.example.com",
		// The claims' namespace is the orders team's, as the platform says.
		Namespaces: map[string]inputenv.NamespaceTeam{"team-orders": {Team: "orders"}},
	}}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type result struct {
	Ready      map[string]bool
	Fields     map[string]any
	Conditions []*fnv1.Condition
}

func compose1(t *testing.T, spec string, observed map[string]string) (*compose.Set, result) {
	t.Helper()
	return composeXR(t, bundle(spec), environment(t), observed)
}

// composeXR composes xr, with what its environment e says, from observed
// objects given as JSON, as the function does: the set pinned first,
// which also settles the provider configs of a namespaced composite
// (compose.Set.Pin).
func composeXR(t *testing.T, xr *compose.Composite, e *env.Environment, observed map[string]string) (*compose.Set, result) {
	t.Helper()
	obs := map[string]*fnv1.Resource{}
	for n, js := range observed {
		obs[n] = &fnv1.Resource{Resource: resource.MustStructJSON(js)}
	}
	set := compose.NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: obs}}, xr, Composer{}.Component())
	e, _ = set.Pin(e, Composer{}.Placement())
	if err := (Composer{}).Compose(xr, e, set); err != nil {
		t.Fatalf("Compose: %v", err)
	}
	rsp := &fnv1.RunFunctionResponse{}
	set.Write(rsp)
	st := Composer{}.Status(xr, set)
	r := result{Ready: map[string]bool{}, Fields: structpb.NewStructValue(&structpb.Struct{Fields: st.Fields}).AsInterface().(map[string]any), Conditions: st.Conditions}
	for n, d := range rsp.GetDesired().GetResources() {
		r.Ready[n] = d.GetReady() == fnv1.Ready_READY_TRUE
	}
	return set, r
}

func cond(t, status, reason, msg string) *fnv1.Condition {
	s := fnv1.Status_STATUS_CONDITION_FALSE
	if status == "True" {
		s = fnv1.Status_STATUS_CONDITION_TRUE
	}
	return &fnv1.Condition{Type: t, Status: s, Reason: reason, Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
}

func TestComposeLifecycle(t *testing.T) {
	// The ClusterUsage that keeps the Repository while the registration
	// exists, and the Usages that keep it while each Application exists.
	const usage = "protect-" + usageRegistered
	const stagingUsage, prodUsage = "protect-" + usageDeployedPrefix + "staging", "protect-" + usageDeployedPrefix + "production"
	// The owning team's access: the test environment maps team-orders to
	// the team orders.
	const teamAccess = TeamAccessPrefix + "orders"
	apps := []any{"team-orders--orders-api-staging", "team-orders--orders-api-production"}
	db := map[string]any{"secretName": "orders-api-database"}
	// What a bundle reports while its registration is on its way, everything
	// else ready.
	onItsWay := result{
		Ready: map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: true, CatalogLocation: false, usage: true, Database: true, Bucket: true, "application-staging": true, "application-production": true, stagingUsage: true, prodUsage: true},
		Fields: map[string]any{
			"applications": apps, "repositoryURL": "https://github.com/acme/orders-api",
			"database": map[string]any{"secretName": "orders-api-database", "endpoint": "orders.abc.eu-west-1.rds.amazonaws.com"},
			"bucket":   map[string]any{"secretName": "orders-api-bucket", "bucketName": "orders-api-bucket-x7k2p"},
		},
		Conditions: []*fnv1.Condition{
			cond(ConditionRepository, "True", "Available", "all 4 composed resources are ready"),
			cond(ConditionCatalog, "False", "Creating", registering),
			cond(ConditionDatabase, "True", "Available", "the composed resource is ready"),
			cond(ConditionBucket, "True", "Available", "the composed resource is ready"),
			cond(ConditionDelivery, "True", "Available", "all 2 composed resources are ready; team-orders--orders-api-production waits for its first manual sync"),
		},
	}
	bkt := map[string]any{"secretName": "orders-api-bucket"}
	cases := map[string]struct {
		reason   string
		observed map[string]string
		want     result
	}{
		"FirstReconcile": {
			reason:   "Nothing exists: the catalog registration waits for the repository and its file, the Applications for the repository's clone URL.",
			observed: map[string]string{},
			want: result{
				// What acts on the repository is composed once the
				// provider observed it (composeOnRepository).
				Ready:  map[string]bool{Repository: false, Database: false, Bucket: false},
				Fields: map[string]any{"applications": apps, "database": db, "bucket": bkt},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "False", "Creating", creatingRepository),
					cond(ConditionCatalog, "False", "Creating", registering),
					cond(ConditionDatabase, "False", "Creating", "waiting for database"),
					cond(ConditionBucket, "False", "Creating", "waiting for bucket"),
					cond(ConditionDelivery, "False", "Creating", delivering),
				},
			},
		},
		"RepositoryReadyFileNot": {
			reason:   "The registration is composed with the file, and waits in the provider while the file is not committed.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: creatingMR},
			want: result{
				Ready:  map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: false, CatalogLocation: false, usage: false, Database: false, Bucket: false, "application-staging": false, "application-production": false, stagingUsage: false, prodUsage: false},
				Fields: map[string]any{"applications": apps, "database": db, "bucket": bkt, "repositoryURL": "https://github.com/acme/orders-api"},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "False", "Creating", creatingRepository),
					cond(ConditionCatalog, "False", "Creating", registering),
					cond(ConditionDatabase, "False", "Creating", "waiting for database"),
					cond(ConditionBucket, "False", "Creating", "waiting for bucket"),
					cond(ConditionDelivery, "False", "Creating", delivering),
				},
			},
		},
		"FileInReview": {
			reason:   "On a protected branch catalog-info.yaml arrives by pull request: the status names it and the registration, waiting in the provider for the merge, says why.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: fileInReview, CatalogLocation: waitingLoc},
			want: result{
				Ready: map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: false, CatalogLocation: false, usage: false, Database: false, Bucket: false, "application-staging": false, "application-production": false, stagingUsage: false, prodUsage: false},
				Fields: map[string]any{"applications": apps, "database": db, "bucket": bkt, "repositoryURL": "https://github.com/acme/orders-api",
					"catalogPullRequestURL": "https://github.com/acme/orders-api/pull/1"},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "False", "Creating", "waiting for catalog-info (Ready=False: PullRequestOpen)"),
					cond(ConditionCatalog, "False", "Waiting", "registered in Backstage's catalog once the repository and its catalog-info.yaml are ready; waiting for catalog-info (Ready=False: PullRequestOpen)"),
					cond(ConditionDatabase, "False", "Creating", "waiting for database"),
					cond(ConditionBucket, "False", "Creating", "waiting for bucket"),
					cond(ConditionDelivery, "False", "Creating", delivering),
				},
			},
		},
		"Registering": {
			reason:   "Once repository and file are Ready the registration is composed.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile},
			want: result{
				Ready:  map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: true, CatalogLocation: false, usage: false, Database: false, Bucket: false, "application-staging": false, "application-production": false, stagingUsage: false, prodUsage: false},
				Fields: map[string]any{"applications": apps, "database": db, "bucket": bkt, "repositoryURL": "https://github.com/acme/orders-api"},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "True", "Available", "all 4 composed resources are ready"),
					cond(ConditionCatalog, "False", "Creating", registering),
					cond(ConditionDatabase, "False", "Creating", "waiting for database"),
					cond(ConditionBucket, "False", "Creating", "waiting for bucket"),
					cond(ConditionDelivery, "False", "Creating", delivering),
				},
			},
		},
		"FileCommittedLocationStillWaits": {
			reason: "The file was just committed and the provider has not woken the registration yet, everything else ready: the registration is on its way, not failing.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile, CatalogLocation: waitingLoc, usage: readyMR, Database: readyDB, Bucket: readyBucket,
				"application-staging": stagingSynced, "application-production": prodNever, stagingUsage: readyMR, prodUsage: readyMR},
			want: onItsWay,
		},
		"LocationRegisteredStatusNotYetObserved": {
			reason: "The provider registered the location (its external name is written) and has not written its status yet, which still says the file was not committed: the wait that just ended, not a failure.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile, CatalogLocation: registeringLoc, usage: readyMR, Database: readyDB, Bucket: readyBucket,
				"application-staging": stagingSynced, "application-production": prodNever, stagingUsage: readyMR, prodUsage: readyMR},
			want: onItsWay,
		},
		"DryRunRefused": {
			reason:   "Past its wait, the registration the catalog refuses says why in the provider's words.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile, CatalogLocation: dryRunRefused},
			want: result{
				Ready:  map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: true, CatalogLocation: false, usage: false, Database: false, Bucket: false, "application-staging": false, "application-production": false, stagingUsage: false, prodUsage: false},
				Fields: map[string]any{"applications": apps, "database": db, "bucket": bkt, "repositoryURL": "https://github.com/acme/orders-api"},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "True", "Available", "all 4 composed resources are ready"),
					cond(ConditionCatalog, "False", "SyncFailed", "the provider cannot apply catalog-location (Synced=False: ReconcileError): cannot validate the location with the catalog's dry run: Backstage answered 503"),
					cond(ConditionDatabase, "False", "Creating", "waiting for database"),
					cond(ConditionBucket, "False", "Creating", "waiting for bucket"),
					cond(ConditionDelivery, "False", "Creating", delivering),
				},
			},
		},
		"CatalogErrors": {
			reason: "A registration whose file Backstage cannot process is not ready, with Backstage's reason; the registration stays although the repository is no longer Ready.",
			observed: map[string]string{Repository: creatingMR, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile, CatalogLocation: brokenLoc,
				"application-staging": stagingOut, "application-production": prodDegraded},
			want: result{
				Ready:  map[string]bool{Repository: false, ReleaseBranch: true, teamAccess: true, CatalogFile: true, CatalogLocation: false, usage: false, Database: false, Bucket: false, "application-staging": false, "application-production": false, stagingUsage: false, prodUsage: false},
				Fields: map[string]any{"applications": apps, "database": db, "bucket": bkt},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "False", "Creating", creatingRepository),
					cond(ConditionCatalog, "False", "Creating", "waiting for catalog-location (Backstage cannot process it: Policy check failed)"),
					cond(ConditionDatabase, "False", "Creating", "waiting for database"),
					cond(ConditionBucket, "False", "Creating", "waiting for bucket"),
					cond(ConditionDelivery, "False", "Creating", "waiting for application-staging (health Healthy, sync OutOfSync), application-production (health Degraded, sync Synced)"),
				},
			},
		},
		"GitHubUnavailable": {
			reason:   "GitHub answers 503 before the repository exists: RepositoryReady is False with the provider's reason and message, and the registration and the Applications say they wait for it, in the same words.",
			observed: map[string]string{Repository: githubDown, CatalogFile: `{}`},
			want: result{
				// The file exists, so it stays composed; the branch and
				// the team's access wait for the repository.
				Ready:  map[string]bool{Repository: false, CatalogFile: false, Database: false, Bucket: false},
				Fields: map[string]any{"applications": apps, "database": db, "bucket": bkt},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "False", "SyncFailed", "the provider cannot apply repository "+githubDownWhy),
					cond(ConditionCatalog, "False", "Waiting", "registered in Backstage's catalog once the repository and its catalog-info.yaml are ready; the provider cannot apply repository "+githubDownWhy),
					cond(ConditionDatabase, "False", "Creating", "waiting for database"),
					cond(ConditionBucket, "False", "Creating", "waiting for bucket"),
					cond(ConditionDelivery, "False", "Waiting", delivering+"; the provider cannot apply repository "+githubDownWhy),
				},
			},
		},
		"BackstageDown": {
			reason: "Backstage stops answering after the registration: the entities it read are still reported, but CatalogRegistered is False with the provider's words, naming Backstage.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile, CatalogLocation: backstageDown, usage: readyMR, Database: readyDB, Bucket: readyBucket,
				"application-staging": stagingSynced, "application-production": prodNever, stagingUsage: readyMR, prodUsage: readyMR},
			want: result{
				Ready: map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: true, CatalogLocation: true, usage: true, Database: true, Bucket: true, "application-staging": true, "application-production": true, stagingUsage: true, prodUsage: true},
				Fields: map[string]any{
					"applications": apps, "repositoryURL": "https://github.com/acme/orders-api", "catalogEntityRef": "component:default/orders-api",
					"database": map[string]any{"secretName": "orders-api-database", "endpoint": "orders.abc.eu-west-1.rds.amazonaws.com"},
					"bucket":   map[string]any{"secretName": "orders-api-bucket", "bucketName": "orders-api-bucket-x7k2p"},
				},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "True", "Available", "all 4 composed resources are ready"),
					cond(ConditionCatalog, "False", "SyncFailed", "the provider cannot apply catalog-location "+backstageDownWhy),
					cond(ConditionDatabase, "True", "Available", "the composed resource is ready"),
					cond(ConditionBucket, "True", "Available", "the composed resource is ready"),
					cond(ConditionDelivery, "True", "Available", "all 2 composed resources are ready; team-orders--orders-api-production waits for its first manual sync"),
				},
			},
		},
		"BackstageRefusesRegistration": {
			reason:   "The registration cannot be created (Backstage unreachable): no Ready condition yet, and Synced=False says why.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile, CatalogLocation: backstageRefused},
			want: result{
				Ready:  map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: true, CatalogLocation: false, usage: false, Database: false, Bucket: false, "application-staging": false, "application-production": false, stagingUsage: false, prodUsage: false},
				Fields: map[string]any{"applications": apps, "database": db, "bucket": bkt, "repositoryURL": "https://github.com/acme/orders-api"},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "True", "Available", "all 4 composed resources are ready"),
					cond(ConditionCatalog, "False", "SyncFailed", "the provider cannot apply catalog-location "+backstageRefusedWhy),
					cond(ConditionDatabase, "False", "Creating", "waiting for database"),
					cond(ConditionBucket, "False", "Creating", "waiting for bucket"),
					cond(ConditionDelivery, "False", "Creating", delivering),
				},
			},
		},
		"ProductionCannotRender": {
			reason: "Argo CD cannot render production (its release branch is missing): Healthy with a ComparisonError and sync Unknown is not Ready, and DeliveryReady says why in Argo CD's words.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile, CatalogLocation: registeredLoc, usage: readyMR, Database: readyDB, Bucket: readyBucket,
				"application-staging": stagingSynced, "application-production": `{"spec": {"source": {"repoURL": "https://github.com/acme/orders-api.git"}}, ` + prodNoRelease[1:], stagingUsage: readyMR, prodUsage: readyMR},
			want: result{
				Ready: map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: true, CatalogLocation: true, usage: true, Database: true, Bucket: true, "application-staging": true, "application-production": false, stagingUsage: true, prodUsage: true},
				Fields: map[string]any{
					"applications": apps, "repositoryURL": "https://github.com/acme/orders-api", "catalogEntityRef": "component:default/orders-api",
					"database": map[string]any{"secretName": "orders-api-database", "endpoint": "orders.abc.eu-west-1.rds.amazonaws.com"},
					"bucket":   map[string]any{"secretName": "orders-api-bucket", "bucketName": "orders-api-bucket-x7k2p"},
				},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "True", "Available", "all 4 composed resources are ready"),
					cond(ConditionCatalog, "True", "Available", "the composed resource is ready"),
					cond(ConditionDatabase, "True", "Available", "the composed resource is ready"),
					cond(ConditionBucket, "True", "Available", "the composed resource is ready"),
					cond(ConditionDelivery, "False", "Creating", "waiting for application-production (Argo CD reports ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Unable to resolve 'release' to a commit SHA)"),
				},
			},
		},
		"Ready": {
			reason: "Everything Ready; production waits for its first manual sync, which is not a failure.",
			observed: map[string]string{Repository: readyRepo, ReleaseBranch: readyMR, teamAccess: readyMR, CatalogFile: readyFile, CatalogLocation: registeredLoc, usage: readyMR, Database: readyDB, Bucket: readyBucket,
				"application-staging": stagingSynced, "application-production": prodNever, stagingUsage: readyMR, prodUsage: readyMR},
			want: result{
				Ready: map[string]bool{Repository: true, ReleaseBranch: true, teamAccess: true, CatalogFile: true, CatalogLocation: true, usage: true, Database: true, Bucket: true, "application-staging": true, "application-production": true, stagingUsage: true, prodUsage: true},
				Fields: map[string]any{
					"applications": apps, "repositoryURL": "https://github.com/acme/orders-api", "catalogEntityRef": "component:default/orders-api",
					"database": map[string]any{"secretName": "orders-api-database", "endpoint": "orders.abc.eu-west-1.rds.amazonaws.com"},
					"bucket":   map[string]any{"secretName": "orders-api-bucket", "bucketName": "orders-api-bucket-x7k2p"},
				},
				Conditions: []*fnv1.Condition{
					cond(ConditionRepository, "True", "Available", "all 4 composed resources are ready"),
					cond(ConditionCatalog, "True", "Available", "the composed resource is ready"),
					cond(ConditionDatabase, "True", "Available", "the composed resource is ready"),
					cond(ConditionBucket, "True", "Available", "the composed resource is ready"),
					cond(ConditionDelivery, "True", "Available", "all 2 composed resources are ready; team-orders--orders-api-production waits for its first manual sync"),
				},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, got := compose1(t, fullSpec, tc.observed)
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nCompose, Status: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	cases := map[string]struct {
		reason   string
		spec     string
		observed map[string]string
		want     string
	}{
		"NewBundle":            {reason: "Nothing exists: nothing to refuse.", spec: `{"description": "d", "owner": "o", "template": "go-service"}`},
		"KeepsDatabase":        {reason: "A bundle that keeps its database may change anything else.", spec: fullSpec, observed: map[string]string{Database: readyDB, Bucket: readyBucket}},
		"InvalidLeftToCompose": {reason: "A claim that does not parse is reported by Compose.", spec: `{}`, observed: map[string]string{Database: readyDB}},
		"AddsEnvironment": {
			reason:   "Adding an environment is allowed.",
			spec:     `{"description": "d", "template": "go-service", "environments": ["staging", "production"]}`,
			observed: map[string]string{ApplicationPrefix + "staging": stagingSynced},
		},
		"DropsEnvironmentNotDelivered": {
			reason:   "An environment whose Application does not exist yet may be dropped: nothing was deployed.",
			spec:     `{"description": "d", "template": "go-service", "environments": ["staging"]}`,
			observed: map[string]string{Repository: readyRepo},
		},
		"DropsEnvironment": {
			reason:   "Dropping an environment whose Application exists would delete everything it deployed (its resources finalizer): refused, naming it and the way out.",
			spec:     `{"description": "d", "template": "go-service", "environments": ["production"]}`,
			observed: map[string]string{ApplicationPrefix + "staging": `{"metadata": {"name": "team-orders--orders-api-staging"}}`, ApplicationPrefix + "production": prodNever},
			want: `spec.environments: invalid value [production]: a list that keeps "staging": its Application team-orders--orders-api-staging exists, and removing the environment would delete it and, through Argo CD's resources finalizer, everything it deployed; ` +
				`to stop delivering to staging, the platform team deletes that Application first (docs/operations.md, "Removing an environment"), or delete the whole ServiceBundle to decommission the service`,
		},
		"DefaultDropsProduction": {
			reason:   "A claim that leaves environments out delivers to staging only: production's existing Application is refused to go too.",
			spec:     `{"description": "d", "template": "go-service"}`,
			observed: map[string]string{ApplicationPrefix + "staging": stagingSynced, ApplicationPrefix + "production": `{"metadata": {"name": "team-orders--orders-api-production"}}`},
			want: `spec.environments: invalid value (none): a list that keeps "production": its Application team-orders--orders-api-production exists, and removing the environment would delete it and, through Argo CD's resources finalizer, everything it deployed; ` +
				`to stop delivering to production, the platform team deletes that Application first (docs/operations.md, "Removing an environment"), or delete the whole ServiceBundle to decommission the service`,
		},
		"DropsDatabaseAndBucket": {
			reason:   "Dropping an existing database or bucket would delete its data: refused, naming both.",
			spec:     `{"description": "d", "owner": "o", "template": "go-service"}`,
			observed: map[string]string{Database: readyDB, Bucket: readyBucket},
			want: "spec.database: invalid value (none): required; the service's database exists and holds its data: it cannot be removed from the bundle; delete the whole ServiceBundle to decommission the service; " +
				"spec.bucket: invalid value (none): required; the service's bucket exists and holds its data: it cannot be removed from the bundle; delete the whole ServiceBundle to decommission the service",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obs := map[string]*fnv1.Resource{}
			for n, js := range tc.observed {
				obs[n] = &fnv1.Resource{Resource: resource.MustStructJSON(js)}
			}
			xr := bundle(tc.spec)
			set := compose.NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: obs}}, xr, "service")
			got := ""
			if err := (Composer{}).Check(xr, set); err != nil {
				if _, ok := errors.AsType[*compose.ChangeError](err); !ok {
					t.Errorf("%s\nCheck: %q is not a *compose.ChangeError", tc.reason, err)
				}
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nCheck: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestValidateEnvironmentRefusesSection: a section the bundle cannot read
// is the platform's error (*env.Error), found by ValidateEnvironment, which
// the function runs before Compose (fn.Function.environment).
func TestValidateEnvironmentRefusesSection(t *testing.T) {
	ec := resource.MustStructJSON(`{"data": {"paved": {"serviceBundle": {"githubOwner": "acme", "argoCDNamepsace": "gitops"}}}}`)
	e, err := env.Resolve(inputenv.Environment{}, "paved-environment", ec)
	if err != nil {
		t.Fatalf("Resolve: a bad ServiceBundle section must not fail the environment: %v", err)
	}
	err = (Composer{}).ValidateEnvironment(e)
	if _, ok := errors.AsType[*env.Error](err); !ok {
		t.Fatalf("ValidateEnvironment: want the platform's *env.Error, got %v", err)
	}
	want := `EnvironmentConfig "paved-environment" data.paved.serviceBundle: cannot read settings (allowed keys: githubOwner, githubProviderConfig, backstageProviderConfig, providerConfigKind, argoCDNamespace, argoCDProject, applicationNamespace, repositoryName, argoCDDestinationServer, notifySyncSucceeded, notifySyncFailed, grafanaURL, namespaces): unknown field "argoCDNamepsace"`
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("ValidateEnvironment: -want, +got:\n%s", diff)
	}
}

// TestDeletionProtectedNamesArgoCD checks what the claim says a deletion
// waits for when Argo CD cannot delete an Application: its AppProject does
// not exist. Crossplane runs no function while the bundle is deleted, so
// this is said while it lives.
func TestDeletionProtectedNamesArgoCD(t *testing.T) {
	const usage = "protect-" + usageRegistered
	const stagingUsage, prodUsage = "protect-" + usageDeployedPrefix + "staging", "protect-" + usageDeployedPrefix + "production"
	withSource := func(js string) string {
		return `{"spec": {"source": {"repoURL": "https://github.com/acme/orders-api.git"}}, ` + js[1:]
	}
	// The nested composites' own protection in force.
	inForce := func(js string) string {
		return strings.Replace(js, `"conditions": [`, `"conditions": [{"type": "DeletionProtected", "status": "True", "reason": "InUse", "message": "kept"}, `, 1)
	}
	stuck := "deleting this claim waits for Application team-orders--orders-api-staging, which Argo CD deletes once it has deleted what it deployed from the repository " +
		"(now Argo CD reports InvalidSpecError: Application referencing project orders-project which does not exist; until that is fixed Argo CD cannot delete what it deployed, " +
		"nor remove its resources-finalizer.argocd.argoproj.io, and a deletion of this claim waits for it; a platform operator who has checked what it deployed may remove that finalizer)"
	production := "deleting this claim waits for Application team-orders--orders-api-production, which Argo CD deletes once it has deleted what it deployed from the repository; until it is gone"
	for name, tc := range map[string]struct {
		pending       bool
		want, wantNot []string
	}{
		// Everything in force: each protection named, Argo CD's words on
		// the one it cannot delete.
		"InForce": {want: []string{stuck, production}},
		// The production Usage not in force yet: the protections are
		// named once all are, but what keeps a deletion from finishing is
		// said at once.
		"Pending": {pending: true, want: []string{stuck}, wantNot: []string{production}},
	} {
		observed := map[string]string{Repository: readyRepo, CatalogFile: readyFile, CatalogLocation: registeredLoc, usage: readyMR,
			Database: inForce(readyDB), Bucket: inForce(readyBucket), stagingUsage: readyMR, prodUsage: readyMR,
			"application-staging": withSource(noProject), "application-production": prodNever}
		if tc.pending {
			delete(observed, prodUsage)
		}
		obs := map[string]*fnv1.Resource{}
		for n, js := range observed {
			obs[n] = &fnv1.Resource{Resource: resource.MustStructJSON(js)}
		}
		xr := bundle(fullSpec)
		set := compose.NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: obs}}, xr, Composer{}.Component())
		if err := (Composer{}).Compose(xr, environment(t), set); err != nil {
			t.Fatalf("Compose: %v", err)
		}
		rsp := &fnv1.RunFunctionResponse{}
		set.WriteStatus(rsp, Composer{}.Status(xr, set))
		var msg string
		for _, c := range rsp.GetConditions() {
			if c.GetType() == compose.DeletionConditionType {
				msg = c.GetMessage()
			}
		}
		for _, want := range tc.want {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: DeletionProtected message:\n%s\nwant it to contain:\n%s", name, msg, want)
			}
		}
		for _, not := range tc.wantNot {
			if strings.Contains(msg, not) {
				t.Errorf("%s: DeletionProtected message:\n%s\nwant it not to contain:\n%s", name, msg, not)
			}
		}
	}
}

// TestConditionsWhileComposing: while its parts are on their way the
// bundle's conditions name what they wait for, not the step each is at,
// so that they change when a part becomes ready rather than at every step
// (compose.OnItsWay); what a provider says is carried in its words.
func TestConditionsWhileComposing(t *testing.T) {
	const refWait = `{"status": {"conditions": [{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "cannot resolve references: mg.Spec.ForProvider.Repository: referenced field was empty (referenced resource may not yet be ready)"}]}}`
	const refused = "the provider cannot apply instance (Synced=False: ReconcileError): create failed: InvalidParameterCombination: Cannot find version 15.99 for postgres"
	nestedDB := func(reason, msg string) string {
		return `{"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Creating"}, {"type": "DatabaseReady", "status": "False", "reason": "` + reason + `", "message": "` + msg + `"}]}}`
	}
	cases := map[string]struct {
		reason   string
		observed map[string]string
		want     []*fnv1.Condition
	}{
		"FilesWaitForTheRepository": {
			reason:   "The file, the branch and the team's access cannot resolve their reference to a repository being created: they wait for it, and RepositoryReady is Creating, not SyncFailed.",
			observed: map[string]string{Repository: creatingMR, CatalogFile: refWait, ReleaseBranch: refWait, TeamAccessPrefix + "orders": refWait},
			want: []*fnv1.Condition{
				cond(ConditionRepository, "False", "Creating", creatingRepository),
				cond(ConditionDatabase, "False", "Creating", "waiting for database"),
			},
		},
		"NestedDatabaseCreating": {
			reason:   "The nested database names what it waits for on its own condition; the bundle names the database only.",
			observed: map[string]string{Repository: creatingMR, Database: nestedDB("Creating", "waiting for instance, parameter-group-postgres15")},
			want: []*fnv1.Condition{
				cond(ConditionRepository, "False", "Creating", creatingRepository),
				cond(ConditionDatabase, "False", "Creating", "waiting for database"),
			},
		},
		"NestedDatabaseRefused": {
			reason:   "When the nested database's own condition says why it fails, the bundle repeats it, in the provider's words.",
			observed: map[string]string{Repository: creatingMR, Database: nestedDB("SyncFailed", refused)},
			want: []*fnv1.Condition{
				cond(ConditionRepository, "False", "Creating", creatingRepository),
				cond(ConditionDatabase, "False", "Creating", "waiting for database (DatabaseReady=False: SyncFailed: "+refused+")"),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, r := compose1(t, fullSpec, tc.observed)
			var got []*fnv1.Condition
			for _, c := range r.Conditions {
				if c.GetType() == ConditionRepository || c.GetType() == ConditionDatabase {
					got = append(got, c)
				}
			}
			if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
