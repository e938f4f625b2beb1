// Package servicebundle composes a ServiceBundle (XServiceBundle): a new
// service in one claim. It composes the service's GitHub repository from
// its golden-path template, the catalog-info.yaml committed to it and its
// registration in Backstage's catalog, the database and bucket the service
// asked for (as nested XDatabase and XBucket composites, composed by their
// own Compositions), and one Argo CD Application per environment.
package servicebundle

import (
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
)

// Kind is the composite kind this composer handles.
const Kind = "XServiceBundle"

// usageRegistered names the ClusterUsage that keeps the Repository while
// the catalog registration exists (protect-repository-registered), and
// usageDeployedPrefix+<environment> the Usage that keeps it while that
// environment's Application exists (protect-repository-deployed-staging).
const (
	usageRegistered     = "repository-registered"
	usageDeployedPrefix = "repository-deployed-"
)

// Conditions the bundle reports on composite and claim.
const (
	ConditionRepository = "RepositoryReady"
	ConditionCatalog    = "CatalogRegistered"
	ConditionDatabase   = "DatabaseReady"
	ConditionBucket     = "BucketReady"
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
// each of them False with the reason.
func (Composer) ConditionTypes() []string {
	return []string{ConditionRepository, ConditionCatalog, ConditionDatabase, ConditionBucket, ConditionDelivery}
}

// ValidateEnvironment checks the ServiceBundle's section of the
// environment. The AWS settings are not the bundle's: the nested database
// and bucket are composed by their own Compositions, with their own
// environment, so a bad AWS setting never refuses a bundle.
func (Composer) ValidateEnvironment(e *env.Environment) error {
	_, err := validateEnvironment(e)
	return err
}

// Placement is empty: the bundle composes no cloud resources itself; the
// nested database and bucket pin their own.
func (Composer) Placement() []compose.Pin { return nil }

// Compose validates the bundle and its section of the environment and adds
// what it composes to set.
func (Composer) Compose(xr *compose.Composite, e *env.Environment, set *compose.Set) error {
	s, err := compose.Parsed(xr, parse)
	if err != nil {
		return err
	}
	st, err := validateEnvironment(e)
	if err != nil {
		return err
	}
	content, err := catalogInfo(s, st)
	if err != nil {
		return err
	}
	obs := observe(set)
	set.AddObject(Repository, repository(s, st), nil)
	set.AddObject(CatalogFile, catalogFile(xr, s, st, content), nil)
	set.AddObject(ReleaseBranch, releaseBranch(xr, st), nil)
	if obs.register() {
		set.AddObject(CatalogLocation, catalogLocation(xr, s, st, obs.commit), registered(componentRef(s)))
		// Deleting the bundle removes the registration before the
		// repository is archived: a ClusterUsage keeps the Repository while
		// the CatalogLocation exists (both are cluster-scoped; Crossplane's
		// webhook enforces it).
		set.Protect(CatalogLocation, "registers the repository's "+CatalogPath+" in Backstage's catalog and is removed first",
			compose.Kept{Name: Repository, Usage: usageRegistered})
	}
	// The nested composites' own DeletionProtected conditions (what their
	// RDS instance and S3 bucket keep) are repeated on the bundle's: with
	// the XRD's Foreground delete policy the bundle's claim stays until
	// they are gone, and says why.
	if s.database != nil {
		set.AddObject(Database, nestedDatabase(xr, s), nil)
		set.ReportNested(Database)
	}
	if s.bucket != nil {
		set.AddObject(Bucket, nestedBucket(xr, s), nil)
		set.ReportNested(Bucket)
	}
	for _, environment := range s.environments {
		if src := obs.source(environment); src != "" {
			app := ApplicationPrefix + environment
			set.AddObject(app, application(s, st, environment, src), applicationReady(environment))
			// Deleting the bundle removes the Applications before the
			// repository is archived: Argo CD deletes what an Application
			// deployed (its resources finalizer) and must still read the
			// repository meanwhile. The Application is namespaced, so a
			// namespaced Usage in Argo CD's namespace keeps the
			// cluster-scoped Repository (compose.Protect). Argo CD may be
			// unable to finish (its AppProject is gone): the claim says so
			// (deletionBlocked).
			set.ProtectBlocked(app, "Argo CD deletes once it has deleted what it deployed from the repository", deletionBlocked,
				compose.Kept{Name: Repository, Usage: usageDeployedPrefix + environment})
		}
	}
	return nil
}

// Check refuses dropping a database or bucket that exists: deleting the
// nested composite would delete the data (a database's deletion protection
// would leave it half-deleted). Claims that do not parse are left to
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
	if err := errs.Err(); err != nil {
		return &compose.ChangeError{Err: err}
	}
	return nil
}
