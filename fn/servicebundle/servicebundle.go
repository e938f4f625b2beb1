// Package servicebundle composes a ServiceBundle (XServiceBundle): a new
// service in one claim. It composes the service's GitHub repository from
// its golden-path template, the catalog-info.yaml committed to it and its
// registration in Backstage's catalog, the database and bucket the service
// asked for (as nested XDatabase and XBucket composites, composed by their
// own Compositions), and one Argo CD Application per environment.
//
// The same composer composes a namespaced ServiceBundle (Crossplane v2):
// the compose dialect turns the provider-paved kinds into their namespaced
// kinds in the bundle's namespace; the nested composites are the
// namespaced Database and Bucket there (nested.go) and the Applications
// live there too (delivery.go, applicationNamespace).
package servicebundle

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// Kind is the legacy composite kind this composer handles.
const Kind = "XServiceBundle"

// NamespacedKind is the namespaced composite kind (Crossplane v2, group
// paved.dev: apis/servicebundle-v2) this composer handles too. It has the
// legacy claim's kind name in another group, so both can be installed
// together.
const NamespacedKind = "ServiceBundle"

// usageRegistered names the ClusterUsage that keeps the Repository while
// the catalog registration exists (protect-repository-registered), and
// usageDeployedPrefix+<environment> the Usage that keeps it while that
// environment's Application exists (protect-repository-deployed-staging).
const (
	inUseLabel          = "crossplane.io/in-use"
	usageRegistered     = "repository-registered"
	usageDeployedPrefix = "repository-deployed-"
)

// Conditions the bundle reports on composite and claim.
const (
	ConditionRepository = "RepositoryReady"
	ConditionCatalog    = "CatalogRegistered"
	ConditionDatabase   = "DatabaseReady"
	ConditionBucket     = "BucketReady"
	ConditionQueue      = "QueueReady"
	ConditionDelivery   = "DeliveryReady"
)

// Composer composes XServiceBundles.
type Composer struct{}

// Component is the app.kubernetes.io/component of what it composes.
func (Composer) Component() string { return "service" }

// ConditionType is empty: the bundle reports one condition per part of
// what it composes (see ConditionTypes), not one about everything.
func (Composer) ConditionType() string { return "" }

// ConditionTypes are the conditions the bundle reports; a refused claim has
// each of them False with the reason, but for the parts it does not ask
// for (PartConditions).
func (Composer) ConditionTypes() []string {
	return []string{ConditionRepository, ConditionCatalog, ConditionDatabase, ConditionBucket, ConditionQueue, ConditionDelivery}
}

// PartConditions are the conditions the bundle reports only when its spec
// asks for the part (Status), each with the spec field that asks.
func (Composer) PartConditions() map[string]string { return partConditions }

var partConditions = map[string]string{ConditionDatabase: "database", ConditionBucket: "bucket", ConditionQueue: "queue"}

// ValidateEnvironment checks the ServiceBundle's section of the
// environment. The AWS settings are not the bundle's: the nested database
// and bucket are composed by their own Compositions, with their own
// environment, so a bad AWS setting never refuses a bundle.
func (Composer) ValidateEnvironment(e *env.Environment) error {
	return validateEnvironment(e)
}

// Placement is empty: the bundle composes no cloud resources itself; the
// nested database and bucket pin their own.
func (Composer) Placement() []compose.Pin { return nil }

// Compose validates the bundle and adds what it composes to set. Its
// section of the environment has been validated (ValidateEnvironment).
func (Composer) Compose(xr *compose.Composite, e *env.Environment, set *compose.Set) error {
	s, err := compose.Parsed(xr, parse)
	if err != nil {
		return err
	}
	if s.database != nil && set.Observed(Database) == nil {
		// A database not created yet is refused here for what its own
		// composer would refuse it for (a version past RDS standard
		// support), before the bundle creates anything: the nested
		// composite would otherwise be refused on its own, after the
		// repository was created, and the claim would say so late.
		var errs field.List
		addNested(&errs, "spec.database", database.ValidateNew(s.database))
		if err := errs.Err(); err != nil {
			return err
		}
	}
	st := settingsOf(e)
	// Who owns the service is the platform's to say, from the claim's
	// namespace; s becomes a copy of the shared parse with the tenant.
	if s, err = s.withTenant(st); err != nil {
		return err
	}
	if err := s.withRepository(set, st); err != nil {
		return err
	}
	obs := observe(&set.ObservedState)
	s.apps = obs.appName
	// Its Usages come in stages, with the parts they protect, and the
	// nested composites report their own protection as it comes into
	// force.
	set.ProtectInStages()
	repo := repository(s, st)
	// The Usages of the bundle keep its Repository (below): it carries the
	// label core's usage controller puts on what a Usage keeps (crossplane
	// v2.4.0 internal/controller/protection/usage/reconciler.go,
	// inUseLabelKey), which routes its deletion to core's webhook. Composed
	// with it, core does not update the Repository for it, one watch event
	// of the bundle fewer. Core removes it as the last Usage goes, when the
	// bundle is deleted; before a Usage exists, the webhook finds none and
	// lets a deletion through, as without it.
	pb.Set(repo, pb.Const("true"), "metadata", "labels", inUseLabel)
	set.AddObject(Repository, repo, nil)
	// What acts on the repository names it by reference, resolved: it is
	// composed once the provider observed the Repository
	// (composeOnRepository).
	if obs.composeOnRepository(&set.ObservedState, CatalogFile) {
		// Only the file holds catalog-info.yaml: it is written when the
		// file is composed, not on every first reconcile.
		content, err := catalogInfo(s, st)
		if err != nil {
			return err
		}
		set.AddObject(CatalogFile, catalogFile(xr, s, st, content, obs), nil)
	}
	if obs.composeOnRepository(&set.ObservedState, ReleaseBranch) {
		set.AddObject(ReleaseBranch, releaseBranch(xr, st, obs), nil)
	}
	if s.mapped && obs.composeOnRepository(&set.ObservedState, TeamAccessPrefix+s.team) {
		// The team the platform maps the namespace to writes to its
		// repository. A namespace the platform did not map has no team
		// paved could vouch for: its default team is only the namespace's
		// name, which may well be another GitHub team's slug.
		set.AddObject(TeamAccessPrefix+s.team, teamAccess(xr, s, st, obs), nil)
	}
	if obs.register(&set.ObservedState) {
		repo, _ := pb.String(set.Desired(Repository), "metadata", "name")
		set.AddObject(CatalogLocation, catalogLocation(xr, st, fileName(set), repo, obs.blobURL), registered(componentRef(s.repository)))
		// Deleting the bundle removes the registration before the
		// repository is archived: a ClusterUsage keeps the Repository while
		// the CatalogLocation exists (both are cluster-scoped; Crossplane's
		// webhook enforces it), or, for a namespaced bundle, a Usage in its
		// namespace, where both are (compose.Protect).
		set.Protect(CatalogLocation, "registers the repository's "+CatalogPath+" in Backstage's catalog and is removed first",
			compose.Kept{Name: Repository, Usage: usageRegistered})
	}
	// The nested composites' own DeletionProtected conditions (what their
	// RDS instance and S3 bucket keep) are repeated on the bundle's: with
	// the XRD's Foreground delete policy the bundle's claim stays until
	// they are gone, and says why.
	var claimRef *structpb.Value
	if s.database != nil || s.bucket != nil || s.queue != nil {
		claimRef = nestedClaimRef(xr)
	}
	if s.database != nil {
		set.AddObject(Database, nestedDatabase(xr, s, claimRef), nestedReady(ConditionDatabase))
		set.ReportNested(Database)
	}
	if s.bucket != nil {
		set.AddObject(Bucket, nestedBucket(xr, s, claimRef), nestedReady(ConditionBucket))
		set.ReportNested(Bucket)
	}
	if s.queue != nil {
		set.AddObject(Queue, nestedQueue(xr, s, claimRef), nestedReady(ConditionQueue))
		set.ReportNested(Queue)
	}
	for _, environment := range s.environments {
		if src := obs.source(environment); src != "" {
			app := ApplicationPrefix + environment
			set.AddObject(app, application(xr, s, st, environment, s.application(environment), src, destination(set, e, s, environment)), applicationReady(environment))
			// Deleting the bundle removes the Applications before the
			// repository is archived: Argo CD deletes what an Application
			// deployed (its resources finalizer) and must still read the
			// repository meanwhile. The Application is namespaced, so a
			// namespaced Usage in its namespace (Argo CD's, or a namespaced
			// bundle's own) keeps the Repository, cluster-scoped or in the
			// bundle's namespace (compose.Protect). Argo CD may be
			// unable to finish (its AppProject is gone): the claim says so
			// (deletionBlocked).
			set.ProtectBlocked(app, "Argo CD deletes once it has deleted what it deployed from the repository", deletionBlocked,
				compose.Kept{Name: Repository, Usage: usageDeployedPrefix + environment})
		}
	}
	return nil
}

// Check refuses dropping a database, bucket or queue that exists: deleting the
// nested composite would delete the data (a database's deletion protection
// would leave it half-deleted); and dropping an environment whose
// Application exists, which would delete what it deployed. Adding an
// environment is allowed. Claims that do not parse are left to
// Compose, which says what is wrong with them.
func (Composer) Check(xr *compose.Composite, set *compose.Set) error {
	s, err := compose.Parsed(xr, parse)
	if err != nil {
		return nil //nolint:nilerr // Compose reports it.
	}
	var errs field.List
	if s.database == nil && set.Observed(Database) != nil {
		errs.Add(field.Required("spec.database", "the service's database exists and holds its data: it cannot be removed from the bundle; delete the whole ServiceBundle to decommission the service"))
	}
	if s.bucket == nil && set.Observed(Bucket) != nil {
		errs.Add(field.Required("spec.bucket", "the service's bucket exists and holds its data: it cannot be removed from the bundle; delete the whole ServiceBundle to decommission the service"))
	}
	if s.queue == nil && set.Observed(Queue) != nil {
		errs.Add(field.Required("spec.queue", "the service's queue exists and may hold messages: it cannot be removed from the bundle; delete the whole ServiceBundle to decommission the service"))
	}
	for _, environment := range Environments {
		app := set.Observed(ApplicationPrefix + environment)
		if app == nil || slices.Contains(s.environments, environment) {
			continue
		}
		// Deleting the Application deletes, through its resources
		// finalizer, everything it deployed (delivery.go): leaving an
		// environment out of the list must not be how a running service
		// disappears from it.
		name, _ := pb.String(app, "metadata", "name")
		errs.Add(field.Invalid("spec.environments", pb.Get(xr.Spec(), "environments").AsInterface(), fmt.Sprintf(
			"a list that keeps %q: its Application %s exists, and removing the environment would delete it and, through Argo CD's resources finalizer, everything it deployed; "+
				"to stop delivering to %s, the platform team deletes that Application first (docs/operations.md, \"Removing an environment\"), or delete the whole ServiceBundle to decommission the service",
			environment, name, environment)))
	}
	if err := errs.Err(); err != nil {
		return &compose.ChangeError{Err: err}
	}
	return checkApplications(xr, s, set)
}

// Requirements are the Applications the bundle composes, by the names they
// have or will have in their namespace (applicationNamespace: Argo CD's,
// or a namespaced bundle's own): the function sees whether they
// exist before it composes them (compose.Required), and Check refuses one
// this composite does not control. They are required from the first
// request on, before the repository they wait for exists, so that a taken
// name is refused before anything is created.
func (Composer) Requirements(xr *compose.Composite, e *env.Environment, set *compose.Set) ([]compose.Requirement, error) {
	s, err := compose.Parsed(xr, parse)
	if err != nil {
		return nil, nil //nolint:nilerr // Compose reports it.
	}
	reqs := make([]compose.Requirement, 0, len(s.environments))
	for _, environment := range s.environments {
		reqs = append(reqs, compose.Requirement{Name: ApplicationPrefix + environment, Required: compose.Required{
			APIVersion: ApplicationAPIVersion, Kind: ApplicationKind,
			Namespace: applicationNamespace(xr, settingsOf(e)), Name: appName(&set.ObservedState, s, environment),
		}})
	}
	return reqs, nil
}

// checkApplications refuses an Application of the bundle's name that this
// composite does not control: one made by hand or by anything else in
// Argo CD's shared namespace (or the bundle's own), which Crossplane's
// server-side apply would
// otherwise take over and rewrite (compose.Required). It is never changed.
func checkApplications(xr *compose.Composite, s *service, set *compose.Set) error {
	var errs []string
	for _, environment := range s.environments {
		obj, _ := set.Required(ApplicationPrefix + environment)
		if obj == nil || compose.ControlledBy(obj, xr.UID) {
			continue
		}
		ns, _ := pb.String(obj, "metadata", "namespace")
		name, _ := pb.String(obj, "metadata", "name")
		controller, _ := compose.Controller(obj)
		if controller == "" {
			controller = "none"
		}
		errs = append(errs, fmt.Sprintf("%s %s/%s, the %s Application of this bundle, exists and was not created by it (its controller: %s): paved never takes over or rewrites an object it did not create; the platform team can delete or rename that Application",
			ApplicationKind, ns, name, environment, controller))
	}
	if len(errs) == 0 {
		return nil
	}
	return &compose.ConflictError{Err: errors.New(strings.Join(errs, "; "))}
}
