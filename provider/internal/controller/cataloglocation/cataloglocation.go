// Package cataloglocation reconciles backstage.paved.dev CatalogLocations:
// locations registered in a Backstage catalog.
//
// Behaviour:
//   - The external name is the catalog's location id. It is set by Create,
//     never derived from metadata.name.
//   - Create validates the location with the catalog's dry run first
//     (POST /locations?dryRun=true, the only synchronous check Backstage
//     offers) and fails with the catalog's reason when the dry run is
//     refused; only then does it register the location.
//   - Ownership is recorded, because Backstage keeps no owner for a
//     location: when the catalog answers a registration with 201, Create
//     sets the annotation backstage.paved.dev/registered-location to the new
//     id together with the external name. crossplane-runtime's managed
//     reconciler persists the annotations set by Create
//     (UpdateCriticalAnnotations, pkg/reconciler/managed/reconciler.go
//     v2.4.0) but discards status set by Create, so the record is an
//     annotation. Only a location whose id this annotation records is ever
//     deleted (by Delete, or by Update replacing a stale location).
//   - A target that is already registered (the dry run answers exists, or
//     the registration answers 409) was registered by someone else: it is
//     refused unless spec.forProvider.adoptExisting is true, and an
//     adopted location is never deleted. Setting crossplane.io/external-name
//     to a location id is the other explicit opt-in (Crossplane's import).
//     The location is looked up in the catalog (GET /locations), never in
//     a cache. Two CatalogLocations created at once cannot both own one
//     registration: the catalog answers 201 to exactly one registration of
//     a target and 409 to every other.
//     A registration whose answer was lost (a timeout after the catalog
//     acted) cannot be told apart from someone else's and is refused too;
//     the condition says how to adopt it.
//   - A location that names the RepositoryFile committing its catalog file
//     (spec.forProvider.fileRef) is registered only once that file is
//     committed: until then it waits at a gate in front of the managed
//     reconciler (refwait.go), reporting Synced=False once, and the catalog
//     is not asked anything. Its refreshKey follows the file's commits.
//   - Observe reports the location id, type, target, the entities read from
//     it (the entities whose backstage.io/managed-by-origin-location is the
//     location) and the processing errors the catalog attached to them
//     (status.items of level error). The resource is Ready when entities
//     were read and none carries an error. It is up to date when the
//     registered type and target are the desired ones and the refreshKey
//     was acted on.
//   - Update refreshes the location's Location entity when refreshKey
//     changed.
//   - A location's type and target are replaced, not edited: Backstage's
//     catalog API registers (POST /locations), reads and deletes
//     (DELETE /locations/{id}) locations
//     (https://backstage.io/docs/features/software-catalog/software-catalog-api#locations);
//     only recent catalog backends also take PUT /locations/{id}
//     (@backstage/plugin-catalog-backend 4.x, service/createRouter), so
//     the provider does not rely on it. When they differ from the desired ones (a new path, or a Repository
//     renamed: spec.forProvider.repositoryURL follows the Repository's
//     current htmlURL, see refwait.Follower), the desired location is
//     registered first and the stale one removed after, so that the
//     catalog never goes without the entities while the resource is Ready:
//     Observe reports a stale location of ours as absent, Create registers
//     the desired one and records the stale id in the annotation
//     backstage.paved.dev/replaced-locations, and once the catalog has read
//     the new location (its Location entity exists) Update removes the
//     stale one and asks the catalog to refresh the new one, which then
//     emits the entities the stale one held. An adopted location is never
//     replaced: that is refused with a condition.
//   - Delete removes the location when it is ours (the catalog removes its
//     entities), and any stale location of ours not removed yet, and leaves
//     an adopted one alone.
//   - Missing or refused credentials surface as conditions with a clear
//     message; the token is never part of an error, event or status.
package cataloglocation

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/clients/backstage"
	"github.com/paved-dev/paved/provider/internal/clients/providerconfig"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// Error messages and condition messages. Messages ending in a verb phrase
// wrap the error that caused them; messages with verbs (%s) are formats.
const (
	errNotCatalogLocation = "managed resource is not a CatalogLocation"
	errStateMetrics       = "cannot register the CatalogLocation state metrics recorder"
	errNewClient          = "cannot create a Backstage client from the ProviderConfig's spec.backstage"
	errUnauthorized       = "Backstage refused the credentials (401): check the token in the ProviderConfig's spec.backstage.tokenSecretRef and the backend's backend.auth.externalAccess"
	errForbidden          = "Backstage denied the request (403): check the permissions of the token's subject"
	errGetLocation        = "cannot get the catalog location"
	errListEntities       = "cannot list the entities read from the catalog location"
	errNoTarget           = "the location target is not known: set spec.forProvider.target, or a repository whose htmlURL and defaultBranch are reported"
	errDryRun             = "cannot validate the location with the catalog's dry run"
	errRegister           = "cannot register the catalog location"
	errNoID               = "the catalog answered the registration without a location id"
	errListLocations      = "cannot list catalog locations to find the existing registration"
	errConflictGone       = "the catalog reported the target as registered, but no location with this target was found"
	errAdoptType          = "a location with this target is already registered with type %q (id %s), not %q; not adopting it"
	errAdoptRefused       = "a location with this target is already registered (id %s) and this CatalogLocation did not register it: set spec.forProvider.adoptExisting: true to adopt it (an adopted location is never deleted), or remove it from the catalog"
	errRefresh            = "cannot ask the catalog to refresh the location"
	errReplace            = "cannot remove the stale location whose type or target differs from the desired one"
	errReplaceAdopted     = "the registered location %s has another type or target than spec.forProvider, and it was adopted, not registered by this CatalogLocation: it is not removed; restore the type and target, or delete this CatalogLocation (the location stays)"
	errDeleteLocation     = "cannot delete the catalog location"

	msgWaiting = "the location is registered; waiting for the catalog to read entities from it"
	msgErrors  = "the catalog reported processing errors (see status.atProvider.processingErrors): "
)

// AnnotationRegistered records the id of the location this CatalogLocation
// registered itself (the catalog answered its POST /locations with 201). It
// is the provider's record of ownership: do not set it by hand.
const AnnotationRegistered = "backstage.paved.dev/registered-location"

// AnnotationRegisteredRefreshKey records the refreshKey at the time of the
// registration: a location the catalog has just registered is read anew, so
// that key needs no refresh. Status set by Create would be discarded, so it
// is an annotation; status.atProvider.refreshedKey takes over once Update
// acts on a later key.
const AnnotationRegisteredRefreshKey = "backstage.paved.dev/registered-refresh-key"

// AnnotationReplaced lists (comma-separated) the ids of locations this
// CatalogLocation registered and replaced by a location with the desired
// type and target, until they are removed from the catalog. Create sets it
// (the managed reconciler persists annotations set by Create); Update
// removes those locations once the catalog has read the new one.
const AnnotationReplaced = "backstage.paved.dev/replaced-locations"

// creationGracePeriod is how long a location that was just registered may be
// reported missing before it is registered again.
const creationGracePeriod = 5 * time.Second

// processingErrorLevel is the status item level of processing errors.
const processingErrorLevel = "error"

// Setup adds a controller that reconciles CatalogLocations, for each scope.
func Setup(mgr ctrl.Manager, o controller.Options) error {
	for _, s := range scoped.Scopes {
		if err := setup(mgr, o, s); err != nil {
			return err
		}
	}
	return nil
}

func setup(mgr ctrl.Manager, o controller.Options, s scoped.Scope) error {
	refKind := refKindOf(s)
	name := managed.ControllerName(s.CatalogLocation.GroupKind)
	r := NewReconciler(mgr, o, &Connector{Kube: mgr.GetClient()}, s)
	if o.MetricOptions != nil && o.MetricOptions.MRStateMetrics != nil {
		sr := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics,
			s.CatalogLocation.NewList(), o.MetricOptions.PollStateMetricInterval)
		if err := mgr.Add(sr); err != nil {
			return errors.Wrap(err, errStateMetrics)
		}
	}
	fileKind := fileKindOf(s)
	for _, k := range []refwait.Kind[scoped.CatalogLocation]{refKind, fileKind} {
		if err := k.Index(context.Background(), mgr.GetFieldIndexer()); err != nil {
			return err
		}
	}
	rec := event.NewAPIRecorder(mgr.GetEventRecorderFor(name)) //nolint:staticcheck // crossplane-runtime records through a record.EventRecorder.
	// A CatalogLocation waits for its Repository, then for its file, each
	// at a gate of its own (refwait.go).
	gate := &refwait.Gate[scoped.CatalogLocation]{
		Kind: refKind, Kube: mgr.GetClient(), Record: rec, Poll: o.PollInterval, Grace: refwait.Grace,
		Next: &refwait.Gate[scoped.CatalogLocation]{
			Kind: fileKind, Kube: mgr.GetClient(), Record: rec, Poll: o.PollInterval, Grace: refwait.Grace,
			Next: ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter),
		},
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(s.CatalogLocation.New(), builder.WithPredicates(resource.DesiredStateChanged())).
		// See refwait.go: a CatalogLocation waiting for its Repository is
		// woken when the Repository's htmlURL and defaultBranch appear,
		// and one waiting for its file when the file is committed (and at
		// every commit after, which its refreshKey follows).
		Watches(s.Repository.New(), handler.EnqueueRequestsFromMapFunc(refKind.Referencing(mgr.GetClient())),
			builder.WithPredicates(refwait.ValueChanged(v1alpha1.RepositoryBlobURL()))).
		Watches(s.RepositoryFile.New(), handler.EnqueueRequestsFromMapFunc(fileKind.Referencing(mgr.GetClient())),
			builder.WithPredicates(refwait.ValueChanged(v1alpha1.RepositoryFileCommit()))).
		Complete(gate)
}

// NewReconciler returns the managed reconciler of scope s's CatalogLocations,
// connecting through c. It uses mgr's client, scheme and event recorder.
func NewReconciler(mgr ctrl.Manager, o controller.Options, c *Connector, s scoped.Scope) *managed.Reconciler {
	name := managed.ControllerName(s.CatalogLocation.GroupKind)
	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[scoped.CatalogLocation](c),
		// The external name is the catalog's location id, assigned by
		// Create; it must not default to metadata.name.
		managed.WithInitializers(),
		// spec.forProvider.repositoryURL follows the referenced
		// Repository's current htmlURL and default branch (a rename).
		managed.WithReferenceResolver(follower(mgr.GetClient(), s)),
		managed.WithPollInterval(o.PollInterval),
		// Backstage stores locations in its database: a location it
		// registered is found by id at once. The default 30 s grace period
		// for eventually consistent APIs would only delay deletes and
		// replacements that follow a create.
		managed.WithCreationGracePeriod(creationGracePeriod),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name))), //nolint:staticcheck // crossplane-runtime records through a record.EventRecorder.
		managed.WithManagementPolicies(),
	}
	if o.Logger != nil {
		opts = append(opts, managed.WithLogger(o.Logger.WithValues("controller", name)))
	}
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
	}
	return managed.NewReconciler(mgr, resource.ManagedKind(s.CatalogLocation.GroupVersionKind), opts...)
}

// A Connector produces an External client for a CatalogLocation from its
// ProviderConfig's spec.backstage.
type Connector struct {
	Kube client.Client
	// Options are passed to every Backstage client (tests pass an HTTP
	// client).
	Options []backstage.Option
}

// Connect resolves the ProviderConfig's spec.backstage (recording the usage)
// and returns a client of the configured Backstage catalog.
func (c *Connector) Connect(ctx context.Context, cr scoped.CatalogLocation) (managed.TypedExternalClient[scoped.CatalogLocation], error) {
	if cr == nil {
		return nil, errors.New(errNotCatalogLocation)
	}
	bs, err := providerconfig.NewResolver(c.Kube).Backstage(ctx, cr)
	if err != nil {
		return nil, err
	}
	bc, err := backstage.New(bs.BaseURL, bs.Token, c.Options...)
	if err != nil {
		return nil, errors.Wrap(err, errNewClient)
	}
	return &External{Catalog: bc}, nil
}

// Catalog is the part of the Backstage catalog API External uses.
type Catalog interface {
	AddLocation(ctx context.Context, req backstage.AddLocationRequest, dryRun bool) (*backstage.AddLocationResponse, error)
	GetLocation(ctx context.Context, id string) (*backstage.Location, error)
	ListLocations(ctx context.Context) ([]backstage.Location, error)
	ListEntities(ctx context.Context, filters map[string]string) ([]backstage.Entity, error)
	Refresh(ctx context.Context, entityRef string) error
	DeleteLocation(ctx context.Context, id string) error
}

// External manages one CatalogLocation's registration.
type External struct {
	Catalog Catalog
	// stale are the replaced locations of ours Observe found still in the
	// catalog (a new External is connected for every reconcile).
	stale []string
}

// apiError wraps err with msg, replacing it with a fixed, clear message when
// the catalog refused the credentials.
func apiError(err error, msg string) error {
	switch {
	case backstage.IsUnauthorized(err):
		return errors.Wrap(err, errUnauthorized)
	case backstage.IsForbidden(err):
		return errors.Wrap(err, errForbidden)
	default:
		return errors.Wrap(err, msg)
	}
}

// Observe reports whether the location exists and what the catalog read from
// it.
func (e *External) Observe(ctx context.Context, cr scoped.CatalogLocation) (managed.ExternalObservation, error) {
	id := meta.GetExternalName(cr)
	if id == "" {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	deleting := meta.WasDeleted(cr)
	// Stale locations of ours that still exist (see AnnotationReplaced).
	stale, err := e.staleLocations(ctx, cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	e.stale = stale
	if deleting && !registered(cr) {
		// The managed reconciler removes its finalizer only once Observe
		// reports the external resource gone; a location this
		// CatalogLocation did not register is left in the catalog, so it
		// is reported gone for this resource (once no stale location of
		// ours is left for Delete to remove).
		return managed.ExternalObservation{ResourceExists: len(stale) > 0}, nil
	}
	loc, err := e.Catalog.GetLocation(ctx, id)
	if backstage.IsNotFound(err) {
		// While deleting, stale locations of ours are still Delete's to
		// remove.
		return managed.ExternalObservation{ResourceExists: deleting && len(stale) > 0}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, apiError(err, errGetLocation)
	}

	obs, err := e.observeEntities(ctx, loc)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	obs.RefreshedKey = cr.Observation().RefreshedKey
	if obs.RefreshedKey == "" && registered(cr) {
		obs.RefreshedKey = cr.GetAnnotations()[AnnotationRegisteredRefreshKey]
	}
	*cr.Observation() = obs

	switch {
	case len(obs.ProcessingErrors) > 0:
		cr.SetConditions(xpv2.Unavailable().WithMessage(msgErrors + summarize(obs.ProcessingErrors)))
	case len(obs.EntityRefs) == 0:
		cr.SetConditions(xpv2.Unavailable().WithMessage(msgWaiting))
	default:
		cr.SetConditions(xpv2.Available())
	}

	if !deleting && registered(cr) && !locationMatches(cr, loc) {
		// Ours, with another type or target than desired: Create
		// registers the desired location while this one keeps serving its
		// entities.
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	// A stale location is removed once the catalog has read the one that
	// replaces it.
	replacing := len(stale) > 0 && obs.LocationEntityRef != ""
	return managed.ExternalObservation{
		ResourceExists:   true,
		ResourceUpToDate: locationMatches(cr, loc) && refreshed(cr) && !replacing,
	}, nil
}

// replaced returns the ids AnnotationReplaced lists.
func replaced(cr scoped.CatalogLocation) []string {
	var ids []string
	for id := range strings.SplitSeq(cr.GetAnnotations()[AnnotationReplaced], ",") {
		if id = strings.TrimSpace(id); id != "" && id != meta.GetExternalName(cr) {
			ids = append(ids, id)
		}
	}
	return ids
}

// staleLocations returns the ids of the replaced locations of ours that are
// still in the catalog. Backstage's location ids are never reused (UUIDs).
func (e *External) staleLocations(ctx context.Context, cr scoped.CatalogLocation) ([]string, error) {
	var stale []string
	for _, id := range replaced(cr) {
		_, err := e.Catalog.GetLocation(ctx, id)
		if backstage.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, apiError(err, errGetLocation)
		}
		stale = append(stale, id)
	}
	return stale, nil
}

// removeStale removes the replaced locations of ours in ids.
func (e *External) removeStale(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if err := e.Catalog.DeleteLocation(ctx, id); err != nil && !backstage.IsNotFound(err) {
			return apiError(err, errReplace)
		}
	}
	return nil
}

// observeEntities lists the entities read from loc (including the Location
// entity the catalog made for the registration) and their processing errors.
func (e *External) observeEntities(ctx context.Context, loc *backstage.Location) (v1alpha1.CatalogLocationObservation, error) {
	obs := v1alpha1.CatalogLocationObservation{ID: loc.ID, Type: loc.Type, Target: loc.Target}
	ents, err := e.Catalog.ListEntities(ctx, map[string]string{
		"metadata.annotations." + backstage.AnnotationManagedByOriginLocation: backstage.LocationRef(loc.Type, loc.Target),
	})
	if err != nil {
		return obs, apiError(err, errListEntities)
	}
	self := backstage.LocationEntityName(loc.Type, loc.Target)
	for i := range ents {
		ent := &ents[i]
		ref := ent.Ref()
		if strings.EqualFold(ent.Kind, "Location") && ent.Metadata.Name == self {
			obs.LocationEntityRef = ref
		} else {
			obs.EntityRefs = append(obs.EntityRefs, ref)
		}
		if ent.Status == nil {
			continue
		}
		for _, it := range ent.Status.Items {
			if it.Level != processingErrorLevel {
				continue
			}
			pe := v1alpha1.ProcessingError{EntityRef: ref, Message: it.Message}
			if it.Error != nil {
				pe.Name = it.Error.Name
				if pe.Message == "" {
					pe.Message = it.Error.Message
				}
			}
			obs.ProcessingErrors = append(obs.ProcessingErrors, pe)
		}
	}
	sort.Strings(obs.EntityRefs)
	sort.Slice(obs.ProcessingErrors, func(i, j int) bool {
		a, b := obs.ProcessingErrors[i], obs.ProcessingErrors[j]
		if a.EntityRef != b.EntityRef {
			return a.EntityRef < b.EntityRef
		}
		return a.Message < b.Message
	})
	return obs, nil
}

// summarize returns the first processing error and how many there are.
func summarize(pes []v1alpha1.ProcessingError) string {
	first := pes[0]
	s := first.EntityRef + ": "
	if first.Name != "" {
		s += first.Name + ": "
	}
	s += first.Message
	if len(pes) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(pes)-1)
	}
	return s
}

// locationMatches reports whether loc is registered with the desired type and
// target. While the desired target is not known (an unresolved reference)
// nothing is compared.
func locationMatches(cr scoped.CatalogLocation, loc *backstage.Location) bool {
	p := cr.Parameters()
	target := p.LocationTarget()
	if target == "" {
		return true
	}
	return loc.Type == p.LocationType() && loc.Target == target
}

// refreshed reports whether the current refreshKey was acted on.
func refreshed(cr scoped.CatalogLocation) bool {
	k := cr.Parameters().RefreshKey
	return k == nil || *k == cr.Observation().RefreshedKey
}

func refreshKey(cr scoped.CatalogLocation) string {
	if k := cr.Parameters().RefreshKey; k != nil {
		return *k
	}
	return ""
}

// Create validates the location with a dry run, then registers it (or adopts
// an existing registration that is exactly ours).
func (e *External) Create(ctx context.Context, cr scoped.CatalogLocation) (managed.ExternalCreation, error) {
	p := cr.Parameters()
	req := backstage.AddLocationRequest{Type: p.LocationType(), Target: p.LocationTarget()}
	if req.Target == "" {
		return managed.ExternalCreation{}, errors.New(errNoTarget)
	}
	cr.SetConditions(xpv2.Creating())

	dry, err := e.Catalog.AddLocation(ctx, req, true)
	if err != nil {
		return managed.ExternalCreation{}, apiError(err, errDryRun)
	}

	// A location of ours with another type or target is replaced: it is
	// removed once the catalog has read the new one (see Update).
	stale := replaced(cr)
	if registered(cr) {
		stale = append(stale, meta.GetExternalName(cr))
	}

	var id string
	if dry.Exists != nil && *dry.Exists {
		id, err = e.adopt(ctx, cr, req)
	} else {
		var rsp *backstage.AddLocationResponse
		rsp, err = e.Catalog.AddLocation(ctx, req, false)
		switch {
		case backstage.IsConflict(err):
			// Registered by someone else between the dry run and now (or
			// by an earlier attempt of ours whose answer was lost: the
			// catalog cannot tell the two apart).
			id, err = e.adopt(ctx, cr, req)
		case err != nil:
			err = apiError(err, errRegister)
		case rsp.Location.ID == "":
			err = errors.New(errNoID)
		default:
			id = rsp.Location.ID
			meta.AddAnnotations(cr, map[string]string{AnnotationRegistered: id, AnnotationRegisteredRefreshKey: refreshKey(cr)})
		}
	}
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	meta.SetExternalName(cr, id)
	if len(stale) > 0 {
		meta.AddAnnotations(cr, map[string]string{AnnotationReplaced: strings.Join(stale, ",")})
	}
	return managed.ExternalCreation{}, nil
}

// registered reports whether the location the external name names is the
// one this CatalogLocation registered.
func registered(cr scoped.CatalogLocation) bool {
	id := meta.GetExternalName(cr)
	return id != "" && cr.GetAnnotations()[AnnotationRegistered] == id
}

// adopt returns the id of the registered location with req's target when
// spec.forProvider.adoptExisting allows adopting it. It reads the catalog's
// GET /locations: a cache could miss a registration made a moment ago.
func (e *External) adopt(ctx context.Context, cr scoped.CatalogLocation, req backstage.AddLocationRequest) (string, error) {
	locs, err := e.Catalog.ListLocations(ctx)
	if err != nil {
		return "", apiError(err, errListLocations)
	}
	var found *backstage.Location
	for i := range locs {
		if locs[i].Target != req.Target {
			continue
		}
		found = &locs[i]
		if found.Type == req.Type {
			break
		}
	}
	switch {
	case found == nil:
		return "", errors.New(errConflictGone)
	case found.Type != req.Type:
		return "", errors.Errorf(errAdoptType, found.Type, found.ID, req.Type)
	case !cr.Parameters().AdoptExisting:
		return "", errors.Errorf(errAdoptRefused, found.ID)
	}
	return found.ID, nil
}

// Update acts on a changed refreshKey, and removes the stale locations a
// new registration replaced (see Create) once the catalog has read it.
// An adopted location whose type or target is not the desired one is
// refused: it is not ours to replace.
func (e *External) Update(ctx context.Context, cr scoped.CatalogLocation) (managed.ExternalUpdate, error) {
	id := meta.GetExternalName(cr)
	loc, err := e.Catalog.GetLocation(ctx, id)
	if err != nil {
		return managed.ExternalUpdate{}, apiError(err, errGetLocation)
	}
	if !locationMatches(cr, loc) {
		if !registered(cr) {
			return managed.ExternalUpdate{}, errors.Errorf(errReplaceAdopted, id)
		}
		return managed.ExternalUpdate{}, nil // Create replaces it
	}
	ref := backstage.EntityRef("Location", backstage.DefaultNamespace, backstage.LocationEntityName(loc.Type, loc.Target))
	if cr.Observation().LocationEntityRef != "" && len(e.stale) > 0 {
		if err := e.removeStale(ctx, e.stale); err != nil {
			return managed.ExternalUpdate{}, err
		}
		// The catalog drops the entities the stale location emitted;
		// processed now, the new location emits them again at once rather
		// than at its next processing cycle.
		if err := e.Catalog.Refresh(ctx, ref); err != nil {
			return managed.ExternalUpdate{}, apiError(err, errRefresh)
		}
	}
	if !refreshed(cr) {
		if err := e.Catalog.Refresh(ctx, ref); err != nil {
			return managed.ExternalUpdate{}, apiError(err, errRefresh)
		}
		cr.Observation().RefreshedKey = refreshKey(cr)
	}
	return managed.ExternalUpdate{}, nil
}

// Delete removes the location when this CatalogLocation registered it (the
// catalog removes the entities read from it); an adopted location, or one
// named by hand, is left in the catalog.
func (e *External) Delete(ctx context.Context, cr scoped.CatalogLocation) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	if err := e.removeStale(ctx, replaced(cr)); err != nil {
		return managed.ExternalDelete{}, err
	}
	if !registered(cr) {
		return managed.ExternalDelete{}, nil
	}
	id := meta.GetExternalName(cr)
	if err := e.Catalog.DeleteLocation(ctx, id); err != nil && !backstage.IsNotFound(err) {
		return managed.ExternalDelete{}, apiError(err, errDeleteLocation)
	}
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing: the client holds no connection to close.
func (e *External) Disconnect(_ context.Context) error { return nil }
