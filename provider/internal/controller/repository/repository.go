// Package repository reconciles github.paved.dev Repositories.
package repository

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v85/github"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
	"github.com/paved-dev/paved/provider/internal/scoped"
)

const (
	errGet           = "cannot get repository from GitHub"
	errGetByID       = "cannot get repository by id from GitHub"
	errGetProtection = "cannot get branch protection from GitHub"
	errCreate        = "cannot create repository on GitHub"
	errEdit          = "cannot update repository on GitHub"
	errRename        = "cannot rename repository on GitHub"
	errUnarchive     = "cannot unarchive repository on GitHub"
	errTopics        = "cannot replace repository topics on GitHub"
	errProtection    = "cannot update branch protection on GitHub"
	errArchive       = "cannot archive repository on GitHub"
	errDelete        = "cannot delete repository on GitHub"
	errWhoAmI        = "cannot get the authenticated GitHub user"
	errGetOwner      = "cannot get the repository owner from GitHub"
	errNoBranch      = "cannot protect the default branch: it does not exist yet (set autoInit, a template, or commit a file first)"
	errStateMetrics  = "cannot add the managed resource state recorder"

	// errNoAdmin explains GitHub's 404 for branch protection without admin.
	errNoAdmin = "cannot read or change branch protection: the credentials lack admin on the repository " +
		"(GitHub answers 404 for branch protection to a token or GitHub App installation without the Administration permission); " +
		"grant admin on the repository, or leave spec.forProvider.branchProtection unset"

	// errNotOurs is the refusal to adopt an existing repository.
	errNotOurs = "a repository with this name already exists on GitHub and was not created by this resource; " +
		"to manage it, set the crossplane.io/external-name annotation to its name (or use the management policies [Observe])"
	errNameTaken = "cannot create repository: the name is already taken on GitHub (422); " +
		"to manage the existing repository, set the crossplane.io/external-name annotation to its name"
	errOwnerNotFound = "cannot create repository: owner is neither an organisation the credentials can see nor the authenticated user"

	// errFmtGone refuses to re-create a repository this resource manages
	// (it has its id) that GitHub no longer shows: a fresh one under its
	// name would hide the loss of its contents.
	errFmtGone = "repository %s/%s (GitHub id %d, annotation " + AnnotationRepositoryID + ") is gone: " +
		"it was deleted on GitHub outside Crossplane, or moved where the credentials cannot see it; " +
		"paved does not re-create it. " + restoreHint + "; to start anew, delete this Repository or remove its " +
		AnnotationRepositoryID + " annotation"
	errFmtOtherID = "repository %s/%s has GitHub id %d, but this resource manages the repository with id %d " +
		"(annotation " + AnnotationRepositoryID + "), which was deleted on GitHub outside Crossplane or moved where the credentials cannot see it, " +
		"and another one took its name; paved neither adopts nor re-creates a repository. " + restoreHint +
		"; to manage this one instead, set the annotation to %d"
	errFmtOtherIDRenamed = "repository %s/%s has GitHub id %d, but this resource manages the repository with id %d " +
		"(annotation " + AnnotationRepositoryID + "), which was renamed to %q on GitHub and another one took its old name; " +
		"refusing to touch either. To follow it, set the crossplane.io/external-name annotation to %q"
	msgLost = "the repository this resource manages is not where it was on GitHub: see the Synced condition"

	// restoreHint is GitHub's way back for a deleted repository
	// (https://docs.github.com/en/repositories/creating-and-managing-repositories/restoring-a-deleted-repository):
	// usually possible within 90 days, for an organisation's repository by
	// an organisation owner.
	restoreHint = "An organisation owner can usually restore a deleted repository within 90 days " +
		"(https://docs.github.com/en/repositories/creating-and-managing-repositories/restoring-a-deleted-repository), " +
		"and this resource then manages it again"
	errFmtBadID    = "annotation " + AnnotationRepositoryID + " is %q: want GitHub's numeric repository id"
	errFmtInternal = "spec.forProvider.visibility: \"internal\" is not possible for %q, a user account: internal repositories exist only in organisations on GitHub Enterprise; use private or public"

	// createSkew tolerates clock differences between the cluster and GitHub
	// when deciding whether a repository found after a failed or lost create
	// request is the one this resource created.
	createSkew = 2 * time.Minute

	// creationGracePeriod is the managed reconciler's: for that long after
	// a successful Create it waits, and never creates, when Observe
	// reports no repository (crossplane-runtime v2.4.0
	// pkg/reconciler/managed/reconciler.go, "we want to wait for that
	// period to expire before we trust that the resource really doesn't
	// exist"). Set explicitly because Observe relies on it.
	creationGracePeriod = 30 * time.Second
)

// Annotations the controller records on a Repository.
const (
	// AnnotationCreateRefused records the external-create-pending time of
	// a create attempt GitHub refused because the name was taken.
	AnnotationCreateRefused = "github.paved.dev/create-refused"

	// AnnotationRepositoryID is GitHub's numeric id of the repository this
	// resource manages, recorded when it creates (or first observes) the
	// repository. It is an annotation because of what the managed
	// reconciler persists after Create (crossplane-runtime v2.4.0
	// pkg/reconciler/managed/reconciler.go and api.go,
	// RetryingCriticalAnnotationUpdater): an Update of the object, whose
	// answer overwrites the status set in Create, and on a conflict a fresh
	// Get with only the annotations re-applied ("Any other changes made
	// during Create will be reverted when annotations are updated").
	AnnotationRepositoryID = "github.paved.dev/repository-id"
)

// Setup adds a controller that reconciles Repositories, for each scope.
func Setup(mgr ctrl.Manager, o controller.Options, pool *ghclient.Pool) error {
	for _, s := range scoped.Scopes {
		if err := setup(mgr, o, pool, s.Repository); err != nil {
			return err
		}
	}
	return nil
}

func setup(mgr ctrl.Manager, o controller.Options, pool *ghclient.Pool, k scoped.Kind[scoped.Repository]) error {
	name := managed.ControllerName(k.GroupKind)
	opts := append(ReconcilerOptions(mgr.GetClient(), pool, o, k.GroupKind),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime records through a record.EventRecorder.
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
		// Ready/Synced counts of Repositories, as provider-kubernetes
		// records its Objects.
		if o.MetricOptions.MRStateMetrics != nil {
			sr := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics,
				k.NewList(), o.MetricOptions.PollStateMetricInterval)
			if err := mgr.Add(sr); err != nil {
				return errors.Wrap(err, errStateMetrics)
			}
		}
	}
	r := managed.NewReconciler(mgr, resource.ManagedKind(k.GroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		WithEventFilter(resource.DesiredStateChanged()).
		For(k.New()).
		// A Repository whose GitHub identity cannot take its requests yet
		// (write pacing, limits) is requeued for when it can, in front of
		// the global rate limiter (package ghbudget).
		Complete(ghbudget.New(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter)))
}

// ReconcilerOptions are the managed reconciler options of the Repository
// controller of the kind groupKind (either scope's), less the event
// recorder and metrics.
func ReconcilerOptions(kube client.Client, pool *ghclient.Pool, o controller.Options, groupKind string) []managed.ReconcilerOption {
	name := managed.ControllerName(groupKind)
	return []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[scoped.Repository](&Connector{Kube: kube, Pool: pool}),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithManagementPolicies(),
		// The external name is the user's annotation or metadata.name: set
		// by Create, never defaulted, so that an explicit annotation is the
		// only way to adopt an existing repository.
		managed.WithInitializers(),
		managed.WithDeterministicExternalName(true),
		managed.WithCreationGracePeriod(creationGracePeriod),
	}
}

// A Connector produces an External client for a Repository.
type Connector struct {
	Kube client.Client
	Pool *ghclient.Pool
}

// Connect resolves the ProviderConfig's credentials and returns a client.
func (c *Connector) Connect(ctx context.Context, cr scoped.Repository) (managed.TypedExternalClient[scoped.Repository], error) {
	g, err := c.Pool.ClientFor(ctx, c.Kube, cr)
	if err != nil {
		return nil, err
	}
	return &External{Repos: g.Repositories, Users: g.Users}, nil
}

// External manages a Repository on GitHub. One is made per reconcile.
type External struct {
	Repos RepositoriesAPI
	Users UsersAPI

	// observed is the repository Observe found, so that Update and Delete
	// address it by its current name.
	observed *gh.Repository
}

var _ managed.TypedExternalClient[scoped.Repository] = (*External)(nil)

func repoName(cr scoped.Repository) (string, bool) {
	if n := meta.GetExternalName(cr); n != "" {
		return n, true
	}
	return cr.GetName(), false
}

func archiveOnDelete(cr scoped.Repository) bool {
	return cr.Parameters().ArchiveOnDelete == nil || *cr.Parameters().ArchiveOnDelete
}

// observeOnly reports whether the management policies are exactly
// [Observe], the only policies that may take over an existing repository
// without the external-name annotation (they never change it).
func observeOnly(cr scoped.Repository) bool {
	p := cr.GetManagementPolicies()
	return len(p) == 1 && p[0] == xpv2.ManagementActionObserve
}

// lateInitPolicy reports whether the management policies include
// LateInitialize (no policies means the default, *).
func lateInitPolicy(cr scoped.Repository) bool {
	p := cr.GetManagementPolicies()
	return len(p) == 0 || slices.Contains(p, xpv2.ManagementActionAll) || slices.Contains(p, xpv2.ManagementActionLateInitialize)
}

// createdByUs reports whether repository r is the one this resource asked
// GitHub to create in a request whose answer was lost (timeout, 5xx after
// the change): GitHub created it after we started creating.
func createdByUs(cr scoped.Repository, r *gh.Repository) bool {
	pending := meta.GetExternalCreatePending(cr)
	if pending.IsZero() || r.CreatedAt == nil {
		return false
	}
	if cr.GetAnnotations()[AnnotationCreateRefused] == pending.Format(time.RFC3339) {
		// GitHub said the name was taken when we tried: not ours.
		return false
	}
	return !r.CreatedAt.Before(pending.Add(-createSkew))
}

// createdHere reports whether this resource created repository r: its
// create succeeded (crossplane-runtime records that time after Create), or
// its answer was lost and r was created since.
func createdHere(cr scoped.Repository, r *gh.Repository) bool {
	return !meta.GetExternalCreateSucceeded(cr).IsZero() || createdByUs(cr, r)
}

// recordedID returns the repository id recorded on cr, 0 if none.
func recordedID(cr scoped.Repository) (int64, error) {
	v, ok := cr.GetAnnotations()[AnnotationRepositoryID]
	if !ok || v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errors.Errorf(errFmtBadID, v)
	}
	return id, nil
}

func recordID(cr scoped.Repository, id int64) {
	meta.AddAnnotations(cr, map[string]string{AnnotationRepositoryID: strconv.FormatInt(id, 10)})
}

// find returns the repository this resource manages: the one GitHub has
// under name (following GitHub's redirect if it was renamed), or, when that
// name does not exist but the resource knows its repository's id, that
// repository under its current name (the external name was changed to
// rename it). A 404 error means there is no such repository.
func (e *External) find(ctx context.Context, owner, name string, id int64) (*gh.Repository, error) {
	r, _, err := e.Repos.Get(ctx, owner, name)
	if err != nil {
		if !ghclient.IsNotFound(err) || id == 0 {
			return nil, wrap(err, errGet)
		}
		if r, _, err = e.Repos.GetByID(ctx, id); err != nil {
			return nil, wrap(err, errGetByID)
		}
	}
	// GitHub also redirects the old name of a transferred repository.
	if !strings.EqualFold(r.GetOwner().GetLogin(), owner) {
		return nil, movedError{id: r.GetID(), fullName: r.GetFullName(), owner: owner}
	}
	return r, nil
}

// justCreated reports whether this resource's Create succeeded so recently
// that GitHub may not show the repository yet. Half the managed
// reconciler's creation grace period, so that the reconciler, which checks
// its own period after Observe returns, still waits instead of creating.
func justCreated(cr scoped.Repository) bool {
	return meta.ExternalCreateSucceededDuring(cr, creationGracePeriod/2)
}

// lost reports that the repository this resource manages is not where it
// was, for reason err: the resource is no longer Ready (the managed
// reconciler persists the status Observe sets along with its error) and
// Observe fails, so that nothing is created or changed.
func lost(cr scoped.Repository, err error) (managed.ExternalObservation, error) {
	cr.SetConditions(xpv2.Unavailable().WithMessage(msgLost))
	return managed.ExternalObservation{}, err
}

// refuseOther explains why repository r, found under this resource's name
// in owner, is not the one it manages (whose id is id): that one is gone,
// renamed (the name's redirect ends when another repository takes it,
// https://docs.github.com/en/repositories/creating-and-managing-repositories/renaming-a-repository),
// or transferred. Either way r is never adopted.
func (e *External) refuseOther(ctx context.Context, owner string, r *gh.Repository, id int64) error {
	ours, _, err := e.Repos.GetByID(ctx, id)
	switch {
	case ghclient.IsNotFound(err):
		return errors.Errorf(errFmtOtherID, owner, r.GetName(), r.GetID(), id, r.GetID())
	case err != nil:
		return wrap(err, errGetByID)
	case !strings.EqualFold(ours.GetOwner().GetLogin(), owner):
		return movedError{id: ours.GetID(), fullName: ours.GetFullName(), owner: owner}
	}
	return errors.Errorf(errFmtOtherIDRenamed, owner, r.GetName(), r.GetID(), id, ours.GetName(), ours.GetName())
}

// Observe reads the repository. Its GET is conditional: a 304 answer costs
// no rate limit. It never writes to GitHub.
func (e *External) Observe(ctx context.Context, cr scoped.Repository) (managed.ExternalObservation, error) {
	name, explicit := repoName(cr)
	owner := cr.Parameters().Owner
	id, err := recordedID(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	r, err := e.find(ctx, owner, name, id)
	deleting := meta.WasDeleted(cr)
	if ghclient.IsNotFound(err) && id != 0 && !deleting && !justCreated(cr) {
		// The repository this resource created or adopted is gone. Saying
		// it does not exist would make the managed reconciler call Create,
		// and a fresh repository under its name (from the template, if
		// any) would hide the loss and put another repository where the
		// old one was.
		return lost(cr, errors.Wrapf(err, errFmtGone, owner, name, id))
	}
	if ghclient.IsNotFound(err) || deleting && isMoved(err) {
		// A repository transferred to another owner is gone from this
		// resource's point of view: deleting the resource must neither
		// archive nor delete it in its new home.
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if isMoved(err) {
		return lost(cr, err)
	}
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if id != 0 && r.GetID() != id {
		if deleting {
			// Not the repository this resource managed: deleting the
			// resource must not touch it.
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return lost(cr, e.refuseOther(ctx, owner, r, id))
	}
	if deleting && archiveOnDelete(cr) && r.GetArchived() {
		// Archived is what deletion means for this resource.
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	lateInit := false
	if id == 0 {
		if !explicit {
			if !createdByUs(cr, r) && !observeOnly(cr) {
				if deleting {
					// Never ours: deleting this resource must not touch it.
					return managed.ExternalObservation{ResourceExists: false}, nil
				}
				return managed.ExternalObservation{}, errors.New(errNotOurs)
			}
			meta.SetExternalName(cr, name)
		}
		// Adopted explicitly, or created by a request whose answer was
		// lost: from now on the repository is known by its id.
		recordID(cr, r.GetID())
		lateInit = true
	}
	e.observed = r
	*cr.Observation() = observation(r)
	cr.SetConditions(xpv2.Available())
	if deleting {
		// Delete needs nothing more; in particular no branch-protection
		// read, which GitHub may refuse (403) and which must not block a
		// deletion.
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
	}
	if cr.Parameters().Visibility == v1alpha1.VisibilityInternal && r.GetOwner().GetType() == "User" {
		return managed.ExternalObservation{}, errors.Errorf(errFmtInternal, r.GetOwner().GetLogin())
	}
	// Only with LateInitialize in the policies: the managed reconciler
	// persists the whole object on other occasions too (adding its
	// finalizer), which would otherwise late-initialise regardless.
	if lateInitPolicy(cr) && lateInitialize(cr.Parameters(), r, createdHere(cr, r)) {
		lateInit = true
	}

	var prot *gh.Protection
	if cr.Parameters().BranchProtection != nil && !readOnly(*cr.Parameters(), r) {
		prot, err = e.protection(ctx, r)
		if err != nil {
			return managed.ExternalObservation{}, err
		}
	}
	d := diff(*cr.Parameters(), name, r, prot)
	return managed.ExternalObservation{
		ResourceExists:          true,
		ResourceUpToDate:        len(d) == 0,
		ResourceLateInitialized: lateInit,
		Diff:                    strings.Join(d, ", "),
	}, nil
}

// protection returns the default branch's protection, nil when it has none.
func (e *External) protection(ctx context.Context, r *gh.Repository) (*gh.Protection, error) {
	p, _, err := e.Repos.GetBranchProtection(ctx, r.GetOwner().GetLogin(), r.GetName(), r.GetDefaultBranch())
	if ghclient.IsNotFound(err) && lacksAdmin(r) {
		return nil, errors.Wrap(apiError{err: err}, errNoAdmin)
	}
	if errors.Is(err, gh.ErrBranchNotProtected) || ghclient.IsNotFound(err) {
		return nil, nil
	}
	return p, wrap(err, errGetProtection)
}

// lacksAdmin reports whether GitHub says the credentials do not have admin
// on repository r (its `permissions`, which describe the caller's access).
// Branch protection needs the "Administration" repository permission
// (https://docs.github.com/en/rest/branches/branch-protection#get-branch-protection),
// and without it GitHub answers 404, as it does wherever a 403 would tell
// what exists
// (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#404-not-found-for-an-existing-resource):
// that 404 means "no access", not "not protected" or "no such branch".
func lacksAdmin(r *gh.Repository) bool {
	p := r.GetPermissions()
	return p != nil && p.Admin != nil && !*p.Admin
}

func observation(r *gh.Repository) v1alpha1.RepositoryObservation {
	return v1alpha1.RepositoryObservation{
		ID:            r.GetID(),
		FullName:      r.GetFullName(),
		HTMLURL:       r.GetHTMLURL(),
		CloneURL:      r.GetCloneURL(),
		SSHURL:        r.GetSSHURL(),
		DefaultBranch: r.GetDefaultBranch(),
		Archived:      r.GetArchived(),
	}
}

// Create creates the repository, from a template if one is given, and
// records its id. Settings the spec leaves unset get GitHub's defaults,
// except visibility: a new repository is private unless the spec says
// otherwise. Topics, default branch and protection follow in Update. A
// taken name is an error, never an adoption.
func (e *External) Create(ctx context.Context, cr scoped.Repository) (managed.ExternalCreation, error) {
	name, _ := repoName(cr)
	p := *cr.Parameters()
	id, err := recordedID(cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	if id != 0 {
		// Observe refuses a resource whose repository is gone; this keeps
		// any other path to Create from making a second repository.
		return managed.ExternalCreation{}, errors.Errorf(errFmtGone, p.Owner, name, id)
	}
	if p.Visibility == v1alpha1.VisibilityInternal {
		// Refused before any write: GitHub would create the repository
		// and then never let it become internal.
		if err := e.refuseInternalForUser(ctx, p.Owner); err != nil {
			return managed.ExternalCreation{}, err
		}
	}
	var r *gh.Repository
	if t := p.Template; t != nil {
		// POST /repos/{template_owner}/{template_repo}/generate takes
		// `private` only (default false: public); it has no `visibility`.
		r, _, err = e.Repos.CreateFromTemplate(ctx, t.Owner, t.Repository, &gh.TemplateRepoRequest{
			Name:               gh.Ptr(name),
			Owner:              gh.Ptr(p.Owner),
			Description:        p.Description,
			IncludeAllBranches: gh.Ptr(t.IncludeAllBranches),
			Private:            gh.Ptr(createPrivate(p)),
		})
		err = wrap(err, errCreate)
	} else {
		r, err = e.create(ctx, p, name)
	}
	if ghclient.IsNameTaken(err) {
		// Remember that this create attempt did not make the repository
		// (the managed reconciler persists annotations after a failed
		// create), so it is never mistaken for ours later.
		meta.AddAnnotations(cr, map[string]string{
			AnnotationCreateRefused: meta.GetExternalCreatePending(cr).Format(time.RFC3339),
		})
		return managed.ExternalCreation{}, errors.Wrap(err, errNameTaken)
	}
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	// Both annotations are persisted by the managed reconciler's critical
	// annotation update that follows a successful Create.
	meta.SetExternalName(cr, name)
	recordID(cr, r.GetID())
	if p.Template == nil && lateInitPolicy(cr) {
		// The late-initialisation the next Observe would make, from the
		// repository GitHub's 201 answer describes. That update of the
		// object persists the whole object (RetryingCriticalAnnotationUpdater,
		// crossplane-runtime v2.4.0 pkg/reconciler/managed/api.go), spec
		// included unless it meets a conflict, in which case Observe
		// late-initialises as before. Done here, the reconcile after
		// Create does not update the object: the managed reconciler's
		// late-initialisation update would overwrite the Ready condition
		// that Observe set with the API server's status (reconciler.go,
		// "this update may reset any pending updates to the status") and
		// cost one more reconcile. Not for a repository generated from a
		// template: GitHub fills it asynchronously (its default branch is
		// the template's), so it is late-initialised once observed.
		// Visibility is the one asked for, never the answer's: an
		// endpoint that ignored the request (POST /user/repos has no
		// `visibility`, fluxcd/go-git-providers#44) answers with a public
		// repository, and recording that would make the leak the desired
		// state (lateInitialize, created).
		lateInitialize(cr.Parameters(), r, true)
	}
	return managed.ExternalCreation{}, nil
}

// createVisibility is the visibility a new repository gets: private unless
// the spec names one.
func createVisibility(p v1alpha1.RepositoryParameters) string {
	if p.Visibility == "" {
		return v1alpha1.VisibilityPrivate
	}
	return p.Visibility
}

// createPrivate is the `private` field of a create request: true unless
// the spec asks for a public repository. Every create endpoint has it, and
// it defaults to false (public) where the request leaves it out; internal
// is not public, so an endpoint that ignored `visibility` would still
// make it private.
func createPrivate(p v1alpha1.RepositoryParameters) bool {
	return createVisibility(p) != v1alpha1.VisibilityPublic
}

// refuseInternalForUser returns an error when owner is a user account:
// internal visibility exists only for organisations on GitHub Enterprise
// Cloud and Server
// (https://docs.github.com/en/repositories/creating-and-managing-repositories/about-repositories#about-internal-repositories).
func (e *External) refuseInternalForUser(ctx context.Context, owner string) error {
	u, _, err := e.Users.Get(ctx, owner)
	if err != nil {
		return wrap(err, errGetOwner)
	}
	if u.GetType() == "User" {
		return errors.Errorf(errFmtInternal, u.GetLogin())
	}
	return nil
}

// create creates a repository that is not from a template: in the
// organisation p.Owner, or, when there is no such organisation, for the
// authenticated user if that is p.Owner. The two endpoints take different
// fields (GitHub's OpenAPI description, npm @octokit/openapi): POST
// /orgs/{org}/repos has `private` and `visibility` (which alone can say
// internal); POST /user/repos has `private` only (default false) and
// ignores a `visibility`, so a user's repository is private only by
// `private` (fluxcd/go-git-providers#44).
func (e *External) create(ctx context.Context, p v1alpha1.RepositoryParameters, name string) (*gh.Repository, error) {
	req := func(org bool) *gh.Repository {
		r := &gh.Repository{
			Name:                gh.Ptr(name),
			Description:         p.Description,
			Private:             gh.Ptr(createPrivate(p)),
			AutoInit:            p.AutoInit,
			DeleteBranchOnMerge: p.DeleteBranchOnMerge,
		}
		if org {
			r.Visibility = gh.Ptr(createVisibility(p))
		}
		if m := p.MergeOptions; m != nil {
			r.AllowMergeCommit, r.AllowSquashMerge, r.AllowRebaseMerge = m.AllowMergeCommit, m.AllowSquashMerge, m.AllowRebaseMerge
		}
		return r
	}
	r, _, err := e.Repos.Create(ctx, p.Owner, req(true))
	if !ghclient.IsNotFound(err) {
		return r, wrap(err, errCreate)
	}
	// Not an organisation: a repository of the authenticated user?
	u, _, uerr := e.Users.Get(ctx, "")
	if uerr != nil {
		return nil, wrap(uerr, errWhoAmI)
	}
	if !strings.EqualFold(u.GetLogin(), p.Owner) {
		return nil, errors.New(errOwnerNotFound)
	}
	r, _, err = e.Repos.Create(ctx, "", req(false))
	return r, wrap(err, errCreate)
}

// current returns the repository Observe found, or finds it (Update called
// without Observe, in tests).
func (e *External) current(ctx context.Context, cr scoped.Repository) (*gh.Repository, error) {
	if e.observed != nil {
		return e.observed, nil
	}
	name, _ := repoName(cr)
	id, err := recordedID(cr)
	if err != nil {
		return nil, err
	}
	r, err := e.find(ctx, cr.Parameters().Owner, name, id)
	if err != nil {
		return nil, err
	}
	if id != 0 && r.GetID() != id {
		return nil, e.refuseOther(ctx, cr.Parameters().Owner, r, id)
	}
	return r, nil
}

// Update puts what the spec names back: name (a rename), archived state,
// settings, topics and branch protection. Fields the spec leaves unset are
// not touched.
func (e *External) Update(ctx context.Context, cr scoped.Repository) (managed.ExternalUpdate, error) {
	r, err := e.current(ctx, cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	name, _ := repoName(cr)
	p := *cr.Parameters()
	owner := r.GetOwner().GetLogin()
	if !strings.EqualFold(r.GetName(), name) {
		// The external name changed, or someone renamed the repository on
		// GitHub: same id, so rename it to the external name
		// (https://docs.github.com/en/rest/repos/repos#update-a-repository).
		if r, _, err = e.Repos.Edit(ctx, owner, r.GetName(), &gh.Repository{Name: gh.Ptr(name)}); err != nil {
			return managed.ExternalUpdate{}, wrap(err, errRename)
		}
	}
	if r.GetArchived() && p.Archived != nil && !*p.Archived {
		if r, _, err = e.Repos.Edit(ctx, owner, name, &gh.Repository{Archived: gh.Ptr(false)}); err != nil {
			return managed.ExternalUpdate{}, wrap(err, errUnarchive)
		}
	}
	if !readOnly(p, r) {
		if r, err = e.updateWritable(ctx, p, owner, name, r); err != nil {
			return managed.ExternalUpdate{}, err
		}
	}
	if p.Archived != nil && *p.Archived && !r.GetArchived() {
		// Last: an archived repository is read-only.
		if r, _, err = e.Repos.Edit(ctx, owner, name, &gh.Repository{Archived: gh.Ptr(true)}); err != nil {
			return managed.ExternalUpdate{}, wrap(err, errArchive)
		}
	}
	*cr.Observation() = observation(r)
	return managed.ExternalUpdate{}, nil
}

// updateWritable updates settings, topics and protection of a repository
// that is not archived.
func (e *External) updateWritable(ctx context.Context, p v1alpha1.RepositoryParameters, owner, name string, r *gh.Repository) (*gh.Repository, error) {
	var err error
	if edit := settingsEdit(p, r); edit != nil {
		if r, _, err = e.Repos.Edit(ctx, owner, name, edit); err != nil {
			return nil, wrap(err, errEdit)
		}
	}
	if p.Topics != nil {
		if want := normTopics(*p.Topics); !sameSet(want, normTopics(r.Topics)) {
			if _, _, err := e.Repos.ReplaceAllTopics(ctx, owner, name, want); err != nil {
				return nil, wrap(err, errTopics)
			}
		}
	}
	if bp := p.BranchProtection; bp != nil {
		prot, err := e.protection(ctx, r)
		if err != nil {
			return nil, err
		}
		if !protectionMatches(*bp, prot) {
			if _, _, err := e.Repos.UpdateBranchProtection(ctx, owner, name, r.GetDefaultBranch(), protectionRequest(*bp, prot)); err != nil {
				if ghclient.IsNotFound(err) && lacksAdmin(r) {
					return nil, errors.Wrap(apiError{err: err}, errNoAdmin)
				}
				if ghclient.IsNotFound(err) {
					return nil, errors.Wrap(apiError{err: err}, errNoBranch)
				}
				return nil, wrap(err, errProtection)
			}
		}
	}
	return r, nil
}

// Delete archives the repository (the default) or deletes it when
// archiveOnDelete is false.
func (e *External) Delete(ctx context.Context, cr scoped.Repository) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	r, err := e.current(ctx, cr)
	if ghclient.IsNotFound(err) || isMoved(err) {
		// Gone, or transferred to another owner: nothing of this
		// resource's is left to archive or delete.
		return managed.ExternalDelete{}, nil
	}
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	owner, name := r.GetOwner().GetLogin(), r.GetName()
	if archiveOnDelete(cr) {
		if r.GetArchived() {
			return managed.ExternalDelete{}, nil
		}
		_, _, err := e.Repos.Edit(ctx, owner, name, &gh.Repository{Archived: gh.Ptr(true)})
		if err != nil && !ghclient.IsNotFound(err) {
			return managed.ExternalDelete{}, wrap(err, errArchive)
		}
		return managed.ExternalDelete{}, nil
	}
	_, err = e.Repos.Delete(ctx, owner, name)
	if err != nil && !ghclient.IsNotFound(err) {
		return managed.ExternalDelete{}, wrap(err, errDelete)
	}
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing: clients are pooled.
func (e *External) Disconnect(_ context.Context) error { return nil }

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
