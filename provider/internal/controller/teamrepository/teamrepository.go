// Package teamrepository reconciles github.paved.dev TeamRepositories: a
// team's permission on a repository of its organisation
// (terraform-provider-github's github_team_repository,
// https://registry.terraform.io/providers/integrations/github/latest/docs/resources/team_repository).
//
// A TeamRepository changes only access it owns: access it granted (the
// team had none), or access the team had that spec.forProvider.adoptExisting
// allowed it to manage. Deleting it removes only access it granted; access
// it did not grant is never removed, whatever the spec says. Ownership is
// recorded in annotations, which the managed reconciler persists after
// Create (pkg/reconciler/managed/reconciler.go, UpdateCriticalAnnotations).
package teamrepository

import (
	"context"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v85/github"
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

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/controller/ghbudget"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	"github.com/paved-dev/paved/provider/internal/controller/repository"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

const (
	errNoRepository  = "spec.forProvider.repository is not set (owner/name), and no repositoryRef or repositorySelector resolved"
	errBadRepository = "spec.forProvider.repository must be owner/name"
	errGetRepo       = "cannot get repository from GitHub"
	errGetAccess     = "cannot read the team's access to the repository from GitHub"
	errGrant         = "cannot grant the team access to the repository on GitHub"
	errRevoke        = "cannot remove the team's access to the repository on GitHub"
	errStateMetrics  = "cannot register the TeamRepository state metrics recorder"

	// errFmtUserOwner: teams exist only in organisations.
	errFmtUserOwner = "repository %s belongs to the user %s: only a repository of an organisation can be granted to a team"
	// errFmtExists names the access it refuses to take over.
	errFmtExists = "team %s already has the role %s on %s and this TeamRepository did not grant it: it is left untouched; set spec.forProvider.adoptExisting: true to manage it"
	// errFmtNotReferenced: the name no longer leads to the referenced
	// Repository's repository (it was renamed and another took the name).
	errFmtNotReferenced = "repository %s on GitHub has id %d, not the id %d the referenced Repository reports: nothing is changed there until spec.forProvider.repository follows the Repository's current name"
	// errFmtOtherRepo: the repository under the name is not the one the
	// access was granted (or adopted) on.
	errFmtOtherRepo = "repository %s has GitHub id %d, but this TeamRepository's access is to the repository with id %d: refusing to touch it"
)

// Annotations a TeamRepository records.
const (
	// AnnotationGranted says this TeamRepository granted the team's access
	// (the team had none): "<repository id>". Only such access is ever
	// removed.
	AnnotationGranted = "github.paved.dev/access-granted"
	// AnnotationAdopted says this TeamRepository manages access the team
	// already had (adoptExisting): "<repository id>". It is never removed.
	AnnotationAdopted = "github.paved.dev/access-adopted"
)

// Setup adds a controller that reconciles TeamRepositories, for each scope.
func Setup(mgr ctrl.Manager, o controller.Options, pool *ghclient.Pool) error {
	for _, s := range scoped.Scopes {
		if err := setup(mgr, o, pool, s); err != nil {
			return err
		}
	}
	return nil
}

func setup(mgr ctrl.Manager, o controller.Options, pool *ghclient.Pool, s scoped.Scope) error {
	refKind := refKindOf(s)
	name := managed.ControllerName(s.TeamRepository.GroupKind)
	opts := append(ReconcilerOptions(mgr.GetClient(), pool, o, s),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime records through a record.EventRecorder.
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
		if o.MetricOptions.MRStateMetrics != nil {
			sr := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics,
				s.TeamRepository.NewList(), o.MetricOptions.PollStateMetricInterval)
			if err := mgr.Add(sr); err != nil {
				return errors.Wrap(err, errStateMetrics)
			}
		}
	}
	r := managed.NewReconciler(mgr, resource.ManagedKind(s.TeamRepository.GroupVersionKind), opts...)
	if err := refKind.Index(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	gate := &refwait.Gate[scoped.TeamRepository]{
		Kind:   refKind,
		Kube:   mgr.GetClient(),
		Record: event.NewAPIRecorder(mgr.GetEventRecorderFor(name)), //nolint:staticcheck // as above.
		// Held back by its GitHub identity's limits: requeued for when
		// they allow it (package ghbudget).
		Next: ghbudget.New(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter)),
		Poll: o.PollInterval, Grace: refwait.Grace,
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(s.TeamRepository.New(), builder.WithPredicates(resource.DesiredStateChanged())).
		Watches(s.Repository.New(), handler.EnqueueRequestsFromMapFunc(refKind.Referencing(mgr.GetClient())),
			builder.WithPredicates(refwait.ValueChanged(v1alpha1.RepositoryFullName()))).
		Complete(gate)
}

// ReconcilerOptions are the managed reconciler options of the
// TeamRepository controller, less the event recorder and metrics.
func ReconcilerOptions(kube client.Client, pool *ghclient.Pool, o controller.Options, s scoped.Scope) []managed.ReconcilerOption {
	return append(reconcilerOptions(&connector{kube: kube, pool: pool}, o, s.TeamRepository.GroupKind),
		// spec.forProvider.repository follows the referenced Repository's
		// current owner/name (see refwait.Follower).
		managed.WithReferenceResolver(refwait.Follower[scoped.TeamRepository]{
			Kind: refKindOf(s), Kube: kube, Reset: func(cr scoped.TeamRepository) { cr.Parameters().Repository = nil },
		}))
}

func reconcilerOptions(c managed.TypedExternalConnector[scoped.TeamRepository], o controller.Options, groupKind string) []managed.ReconcilerOption {
	name := managed.ControllerName(groupKind)
	return []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[scoped.TeamRepository](c),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithManagementPolicies(),
		// Access is identified by repository and team.
		managed.WithInitializers(),
		managed.WithDeterministicExternalName(true),
	}
}

type connector struct {
	kube client.Client
	pool *ghclient.Pool
}

func (c *connector) Connect(ctx context.Context, cr scoped.TeamRepository) (managed.TypedExternalClient[scoped.TeamRepository], error) {
	g, err := c.pool.ClientFor(ctx, c.kube, cr)
	if err != nil {
		return nil, err
	}
	want, err := repository.ReferencedID(ctx, c.kube, cr, cr.Parameters().RepositoryRef)
	if err != nil {
		return nil, err
	}
	return &external{gh: apiClient{c: g}, want: want}, nil
}

// external manages a team's access on GitHub. One is made per reconcile.
type external struct {
	gh   GitHub
	repo *gh.Repository // what Observe read
	// want is the id of the referenced Repository's repository (0: not
	// known, see repository.ReferencedID): a repository under the target's
	// name with another id is never changed.
	want int64
}

type target struct{ owner, repo, team string }

func targetOf(cr scoped.TeamRepository) (target, error) {
	p := *cr.Parameters()
	if p.Repository == nil || *p.Repository == "" {
		return target{}, errors.New(errNoRepository)
	}
	o, r, ok := strings.Cut(*p.Repository, "/")
	if !ok || o == "" || r == "" || strings.Contains(r, "/") {
		return target{}, errors.New(errBadRepository)
	}
	return target{owner: o, repo: r, team: p.Team}, nil
}

// notReferenced is the error for a name that leads to a repository other
// than the referenced Repository's.
type notReferenced struct{ error }

// described keeps a GitHub error's chain while its message is
// ghclient.Describe's, which never carries credentials.
type described struct{ err error }

func (d described) Error() string { return ghclient.Describe(d.err) }
func (d described) Unwrap() error { return d.err }

func wrap(err error, msg string) error {
	if err == nil {
		return nil
	}
	return errors.Wrap(described{err: err}, msg)
}

// An ownership is what a TeamRepository recorded about the access.
type ownership struct {
	granted, adopted bool
	repoID           int64
}

func ownershipOf(cr scoped.TeamRepository) ownership {
	a := cr.GetAnnotations()
	if n, err := strconv.ParseInt(a[AnnotationGranted], 10, 64); err == nil {
		return ownership{granted: true, repoID: n}
	}
	if n, err := strconv.ParseInt(a[AnnotationAdopted], 10, 64); err == nil {
		return ownership{adopted: true, repoID: n}
	}
	return ownership{}
}

func (o ownership) owned() bool { return o.granted || o.adopted }

func record(cr scoped.TeamRepository, annotation string, repoID int64) {
	meta.AddAnnotations(cr, map[string]string{annotation: strconv.FormatInt(repoID, 10)})
}

func observeOnly(cr scoped.TeamRepository) bool {
	p := cr.GetManagementPolicies()
	return len(p) == 1 && p[0] == xpv2.ManagementActionObserve
}

func createUnconfirmed(cr scoped.TeamRepository) bool {
	pending := meta.GetExternalCreatePending(cr)
	return !pending.IsZero() && pending.After(meta.GetExternalCreateSucceeded(cr))
}

func (e *external) repository(ctx context.Context, t target) (*gh.Repository, error) {
	if e.repo != nil {
		return e.repo, nil
	}
	r, err := e.gh.GetRepository(ctx, t.owner, t.repo)
	if err != nil {
		return nil, wrap(err, errGetRepo)
	}
	if e.want != 0 && r.GetID() != e.want {
		return nil, notReferenced{errors.Errorf(errFmtNotReferenced, t.owner+"/"+t.repo, r.GetID(), e.want)}
	}
	e.repo = r
	return r, nil
}

// Observe reads the repository and the team's access to it. It writes
// nothing to GitHub; it records an adoption (adoptExisting) or a grant
// whose answer was lost in annotations, persisted as a late
// initialisation.
func (e *external) Observe(ctx context.Context, cr scoped.TeamRepository) (managed.ExternalObservation, error) {
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	deleting := meta.WasDeleted(cr)
	r, err := e.repository(ctx, t)
	if ghclient.IsNotFound(err) || (deleting && errors.As(err, &notReferenced{})) {
		// Nothing to change, or not the referenced Repository's
		// repository: deleting this resource must not touch it.
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if r.GetOwner().GetType() != "Organization" {
		if deleting {
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return managed.ExternalObservation{}, errors.Errorf(errFmtUserOwner, r.GetFullName(), r.GetOwner().GetLogin())
	}
	o := ownershipOf(cr)
	if o.owned() && o.repoID != r.GetID() {
		if deleting {
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return managed.ExternalObservation{}, errors.Errorf(errFmtOtherRepo, r.GetFullName(), r.GetID(), o.repoID)
	}
	org := r.GetOwner().GetLogin()
	access, err := e.gh.TeamAccess(ctx, org, t.team, org, r.GetName())
	if ghclient.IsNotFound(err) {
		// No access (or no such team, which the grant reports): Create
		// grants it, again if someone removed it.
		cr.Observation().RoleName = ""
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, wrap(err, errGetAccess)
	}
	role := observedRole(access)
	cr.Observation().RoleName = role
	want := roleOf[permission(cr)]

	lateInit := false
	switch {
	case observeOnly(cr), o.owned():
	case deleting:
		// Not granted by this resource: never removed.
		return managed.ExternalObservation{ResourceExists: false}, nil
	case cr.Parameters().AdoptExisting:
		record(cr, AnnotationAdopted, r.GetID())
		o, lateInit = ownershipOf(cr), true
	case createUnconfirmed(cr) && role == want:
		// Our grant's answer was lost: the team has exactly the access we
		// asked for.
		record(cr, AnnotationGranted, r.GetID())
		o, lateInit = ownershipOf(cr), true
	default:
		return managed.ExternalObservation{}, errors.Errorf(errFmtExists, t.team, role, r.GetFullName())
	}
	if deleting {
		return managed.ExternalObservation{ResourceExists: o.granted, ResourceUpToDate: true}, nil
	}
	cr.SetConditions(xpv2.Available())
	d := ""
	if role != want {
		d = "spec.forProvider.permission: " + role + " on GitHub, want " + want
	}
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: role == want, ResourceLateInitialized: lateInit, Diff: d}, nil
}

// grant puts the team's permission on the repository.
func (e *external) grant(ctx context.Context, cr scoped.TeamRepository) (*gh.Repository, error) {
	t, err := targetOf(cr)
	if err != nil {
		return nil, err
	}
	r, err := e.repository(ctx, t)
	if err != nil {
		return nil, err
	}
	org := r.GetOwner().GetLogin()
	if err := e.gh.GrantTeam(ctx, org, t.team, org, r.GetName(), permission(cr)); err != nil {
		return nil, wrap(err, errGrant)
	}
	return r, nil
}

// Create grants the team access and records that this resource granted
// it.
func (e *external) Create(ctx context.Context, cr scoped.TeamRepository) (managed.ExternalCreation, error) {
	r, err := e.grant(ctx, cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	record(cr, AnnotationGranted, r.GetID())
	return managed.ExternalCreation{}, nil
}

// Update puts the spec's permission back.
func (e *external) Update(ctx context.Context, cr scoped.TeamRepository) (managed.ExternalUpdate, error) {
	_, err := e.grant(ctx, cr)
	return managed.ExternalUpdate{}, err
}

// Delete removes access this resource granted (Observe reports any other
// access as absent).
func (e *external) Delete(ctx context.Context, cr scoped.TeamRepository) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	r, err := e.repository(ctx, t)
	if ghclient.IsNotFound(err) {
		return managed.ExternalDelete{}, nil
	}
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	org := r.GetOwner().GetLogin()
	err = e.gh.RevokeTeam(ctx, org, t.team, org, r.GetName())
	if err != nil && !ghclient.IsNotFound(err) {
		return managed.ExternalDelete{}, wrap(err, errRevoke)
	}
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing: clients are pooled.
func (e *external) Disconnect(_ context.Context) error { return nil }
