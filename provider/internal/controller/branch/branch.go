// Package branch reconciles github.paved.dev Branches: a branch of a
// repository, created from the head of another branch, and its protection.
//
// A Branch changes only a branch it owns: one it created, or one that
// existed and spec.forProvider.adoptExisting allowed it to take over.
// Ownership is recorded in annotations by Create (or by Observe when it
// adopts), because crossplane-runtime's managed reconciler persists
// annotations after Create, even a failed one, but discards status set
// there (pkg/reconciler/managed/reconciler.go, UpdateCriticalAnnotations).
//
// Deleting a Branch deletes the branch only when this resource created it
// and its head is still the commit it was created at: such a branch holds
// no commit that is not also on the branch it was created from, so
// nothing is lost. A branch with any other head (someone pushed to it, or
// reset it) and an adopted branch are left as they are, protection
// included. GitHub's REST API has no conditional ref deletion, so a push
// landing between the read of the head and the deletion (one request
// apart) is the one case this cannot exclude.
package branch

import (
	"context"
	"net/http"
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
	errNoRepository    = "spec.forProvider.repository is not set (owner/name), and no repositoryRef or repositorySelector resolved"
	errBadRepository   = "spec.forProvider.repository must be owner/name"
	errGetRepo         = "cannot get repository from GitHub"
	errGetHead         = "cannot read the branch's head from GitHub"
	errGetSource       = "cannot read the head of the source branch from GitHub"
	errCreate          = "cannot create the branch on GitHub"
	errDelete          = "cannot delete the branch on GitHub"
	errGetProtection   = "cannot get branch protection from GitHub"
	errProtection      = "cannot update branch protection on GitHub"
	errDeleteProtect   = "cannot remove the protection of the branch before deleting it"
	errStateMetrics    = "cannot register the Branch state metrics recorder"
	errProtectionNoAdm = "GitHub answered 404 for the protection of an existing branch: the credentials need admin access to the repository to read branch protection"

	// errFmtExists names the branch it refuses to take over and its head.
	errFmtExists = "branch %s already exists in %s (head %s) and this Branch did not create it: it is left untouched; set spec.forProvider.adoptExisting: true to manage it"
	// errFmtNotReferenced: the name no longer leads to the referenced
	// Repository's repository (it was renamed and another took the name).
	errFmtNotReferenced = "repository %s on GitHub has id %d, not the id %d the referenced Repository reports: nothing is changed there until spec.forProvider.repository follows the Repository's current name"
	// errFmtOtherRepo: the repository under the name is not the one the
	// branch was created (or adopted) in.
	errFmtOtherRepo = "repository %s has GitHub id %d, but this Branch's branch is in the repository with id %d: refusing to touch it"
	// errFmtNoSource: the source branch has no commit to start from (an
	// empty repository, or one GitHub is still generating from a template).
	errFmtNoSource = "source branch %s of %s does not exist (yet): the new branch starts at its head"
)

// Annotations a Branch records.
const (
	// AnnotationCreated says this Branch created its branch:
	// "<repository id>:<commit>", GitHub's id of the repository and the
	// commit the branch was created at. Only a branch still at that commit
	// is ever deleted.
	AnnotationCreated = "github.paved.dev/branch-created"
	// AnnotationAdopted says this Branch adopted an existing branch (with
	// adoptExisting): "<repository id>". An adopted branch is never
	// deleted.
	AnnotationAdopted = "github.paved.dev/branch-adopted"
)

// Setup adds a controller that reconciles Branches, for each scope.
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
	name := managed.ControllerName(s.Branch.GroupKind)
	opts := append(ReconcilerOptions(mgr.GetClient(), pool, o, s),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime records through a record.EventRecorder.
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
		if o.MetricOptions.MRStateMetrics != nil {
			sr := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics,
				s.Branch.NewList(), o.MetricOptions.PollStateMetricInterval)
			if err := mgr.Add(sr); err != nil {
				return errors.Wrap(err, errStateMetrics)
			}
		}
	}
	r := managed.NewReconciler(mgr, resource.ManagedKind(s.Branch.GroupVersionKind), opts...)
	if err := refKind.Index(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	gate := &refwait.Gate[scoped.Branch]{
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
		For(s.Branch.New(), builder.WithPredicates(resource.DesiredStateChanged())).
		Watches(s.Repository.New(), handler.EnqueueRequestsFromMapFunc(refKind.Referencing(mgr.GetClient())),
			builder.WithPredicates(refwait.ValueChanged(v1alpha1.RepositoryFullName()))).
		Complete(gate)
}

// ReconcilerOptions are the managed reconciler options of the Branch
// controller, less the event recorder and metrics.
func ReconcilerOptions(kube client.Client, pool *ghclient.Pool, o controller.Options, s scoped.Scope) []managed.ReconcilerOption {
	return append(reconcilerOptions(&connector{kube: kube, pool: pool}, o, s.Branch.GroupKind),
		// spec.forProvider.repository follows the referenced Repository's
		// current owner/name (see refwait.Follower).
		managed.WithReferenceResolver(refwait.Follower[scoped.Branch]{
			Kind: refKindOf(s), Kube: kube, Reset: func(cr scoped.Branch) { cr.Parameters().Repository = nil },
		}))
}

func reconcilerOptions(c managed.TypedExternalConnector[scoped.Branch], o controller.Options, groupKind string) []managed.ReconcilerOption {
	name := managed.ControllerName(groupKind)
	return []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[scoped.Branch](c),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithManagementPolicies(),
		// A branch is identified by repository and name.
		managed.WithInitializers(),
		managed.WithDeterministicExternalName(true),
	}
}

type connector struct {
	kube client.Client
	pool *ghclient.Pool
}

func (c *connector) Connect(ctx context.Context, cr scoped.Branch) (managed.TypedExternalClient[scoped.Branch], error) {
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

// external manages a branch on GitHub. One is made per reconcile.
type external struct {
	gh GitHub
	// want is the id of the referenced Repository's repository (0: not
	// known, see repository.ReferencedID): a repository under the target's
	// name with another id is never changed.
	want int64

	// What Observe read, for Create, Update and Delete of the same
	// reconcile.
	repo       *gh.Repository
	protection *gh.Protection
}

// target is where a Branch's branch lives.
type target struct {
	owner, repo, branch string
}

func (t target) fullName() string { return t.owner + "/" + t.repo }

func targetOf(cr scoped.Branch) (target, error) {
	p := *cr.Parameters()
	if p.Repository == nil || *p.Repository == "" {
		return target{}, errors.New(errNoRepository)
	}
	o, r, ok := strings.Cut(*p.Repository, "/")
	if !ok || o == "" || r == "" || strings.Contains(r, "/") {
		return target{}, errors.New(errBadRepository)
	}
	return target{owner: o, repo: r, branch: p.Branch}, nil
}

// notReferenced is the error for a name that leads to a repository other
// than the referenced Repository's.
type notReferenced struct{ error }

// described keeps a GitHub error's chain (errors.Is/As reach go-github's
// error types) while its message is ghclient.Describe's, which never
// carries credentials.
type described struct{ err error }

func (d described) Error() string { return ghclient.Describe(d.err) }
func (d described) Unwrap() error { return d.err }

func wrap(err error, msg string) error {
	if err == nil {
		return nil
	}
	return errors.Wrap(described{err: err}, msg)
}

// noCommits reports whether GitHub answered that a ref does not exist:
// 404, or 409 "Git Repository is empty" for a repository without commits
// (GET /repos/{owner}/{repo}/git/ref/{ref} lists 409 in its responses).
func noCommits(err error) bool {
	c := ghclient.StatusCode(err)
	return c == http.StatusNotFound || c == http.StatusConflict
}

// An ownership is what a Branch recorded about its branch.
type ownership struct {
	created, adopted bool
	repoID           int64
	sha              string // the commit a created branch was created at
}

func ownershipOf(cr scoped.Branch) ownership {
	a := cr.GetAnnotations()
	if id, sha, ok := strings.Cut(a[AnnotationCreated], ":"); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			return ownership{created: true, repoID: n, sha: sha}
		}
	}
	if n, err := strconv.ParseInt(a[AnnotationAdopted], 10, 64); err == nil {
		return ownership{adopted: true, repoID: n}
	}
	return ownership{}
}

func (o ownership) owned() bool { return o.created || o.adopted }

func setCreated(cr scoped.Branch, repoID int64, sha string) {
	meta.AddAnnotations(cr, map[string]string{AnnotationCreated: strconv.FormatInt(repoID, 10) + ":" + sha})
}

func setAdopted(cr scoped.Branch, repoID int64) {
	meta.AddAnnotations(cr, map[string]string{AnnotationAdopted: strconv.FormatInt(repoID, 10)})
}

// observeOnly reports whether the management policies are exactly
// [Observe]: the branch is read, never owned, written or deleted.
func observeOnly(cr scoped.Branch) bool {
	p := cr.GetManagementPolicies()
	return len(p) == 1 && p[0] == xpv2.ManagementActionObserve
}

// createUnconfirmed reports whether a create was attempted and never
// recorded as succeeded: its answer may have been lost after GitHub
// created the branch.
func createUnconfirmed(cr scoped.Branch) bool {
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

// sourceHead is the commit a new branch starts at: the head of
// sourceBranch, or of the repository's default branch.
func (e *external) sourceHead(ctx context.Context, cr scoped.Branch, t target, r *gh.Repository) (string, error) {
	src := r.GetDefaultBranch()
	if s := cr.Parameters().SourceBranch; s != nil {
		src = *s
	}
	sha, err := e.gh.GetBranchHead(ctx, t.owner, t.repo, src)
	if noCommits(err) {
		return "", errors.Wrap(described{err: err}, errors.Errorf(errFmtNoSource, src, t.fullName()).Error())
	}
	return sha, wrap(err, errGetSource)
}

// readProtection returns the branch's protection, nil when it has none.
func (e *external) readProtection(ctx context.Context, t target) (*gh.Protection, error) {
	p, err := e.gh.GetProtection(ctx, t.owner, t.repo, t.branch)
	switch {
	case errors.Is(err, gh.ErrBranchNotProtected):
		return nil, nil
	case ghclient.IsNotFound(err):
		// The branch exists (its ref was just read): GitHub hides the
		// protection from credentials without admin access
		// (https://docs.github.com/en/rest/branches/branch-protection#get-branch-protection
		// needs the "Administration" repository permission).
		return nil, errors.Wrap(described{err: err}, errProtectionNoAdm)
	}
	return p, wrap(err, errGetProtection)
}

// Observe reads the repository, the branch's head and, when the spec
// manages it, the branch's protection. It writes nothing to GitHub; it
// records an adoption (adoptExisting) or a create whose answer was lost
// in annotations, persisted as a late initialisation.
func (e *external) Observe(ctx context.Context, cr scoped.Branch) (managed.ExternalObservation, error) {
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
	if deleting && r.GetArchived() {
		// An archived repository is read-only: its branches stay, with
		// the repository, as they are.
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	o := ownershipOf(cr)
	if o.owned() && o.repoID != r.GetID() {
		if deleting {
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return managed.ExternalObservation{}, errors.Errorf(errFmtOtherRepo, t.fullName(), r.GetID(), o.repoID)
	}
	head, err := e.gh.GetBranchHead(ctx, t.owner, t.repo, t.branch)
	if err != nil && !noCommits(err) {
		return managed.ExternalObservation{}, wrap(err, errGetHead)
	}
	cr.Observation().HeadSHA = head
	if head == "" {
		// Create makes it (again: a branch someone deleted is desired
		// state); a deletion has nothing left to do.
		return managed.ExternalObservation{ResourceExists: false}, nil
	}

	lateInit := false
	switch {
	case observeOnly(cr), o.owned():
	case deleting:
		// Never ours: deleting this resource must not touch it.
		return managed.ExternalObservation{ResourceExists: false}, nil
	case cr.Parameters().AdoptExisting:
		setAdopted(cr, r.GetID())
		o, lateInit = ownershipOf(cr), true
	case createUnconfirmed(cr):
		// Our create's answer may have been lost: the branch is ours if
		// it is where we would have created it. A branch at the source's
		// head holds no commit of its own either way.
		src, err := e.sourceHead(ctx, cr, t, r)
		if err != nil {
			return managed.ExternalObservation{}, err
		}
		if src != head {
			return managed.ExternalObservation{}, errors.Errorf(errFmtExists, t.branch, t.fullName(), head)
		}
		setCreated(cr, r.GetID(), head)
		o, lateInit = ownershipOf(cr), true
	default:
		return managed.ExternalObservation{}, errors.Errorf(errFmtExists, t.branch, t.fullName(), head)
	}

	if deleting {
		// Only a branch this resource created, still at the commit it was
		// created at, is deleted.
		return managed.ExternalObservation{ResourceExists: o.created && head == o.sha, ResourceUpToDate: true}, nil
	}
	cr.SetConditions(xpv2.Available())
	bp := cr.Parameters().Protection
	if bp == nil {
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ResourceLateInitialized: lateInit}, nil
	}
	e.protection, err = e.readProtection(ctx, t)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	cr.Observation().Protected = e.protection != nil
	upToDate := repository.ProtectionMatches(*bp, e.protection)
	d := ""
	if !upToDate {
		d = "spec.forProvider.protection"
	}
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: upToDate, ResourceLateInitialized: lateInit, Diff: d}, nil
}

// Create creates the branch at the head of its source and protects it in
// the same reconcile, so that the branch is unprotected for as short a
// time as GitHub allows (a branch must exist before it can be protected).
func (e *external) Create(ctx context.Context, cr scoped.Branch) (managed.ExternalCreation, error) {
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	r, err := e.repository(ctx, t)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	sha, err := e.sourceHead(ctx, cr, t, r)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	// "Creates a reference for your repository. You are unable to create
	// new references for empty repositories"
	// (https://docs.github.com/en/rest/git/refs#create-a-reference).
	if err := e.gh.CreateBranch(ctx, t.owner, t.repo, t.branch, sha); err != nil {
		return managed.ExternalCreation{}, wrap(err, errCreate)
	}
	setCreated(cr, r.GetID(), sha)
	if bp := cr.Parameters().Protection; bp != nil {
		// Annotations are persisted even when this fails; the next
		// reconcile finds the branch ours and unprotected, and Update
		// protects it.
		if err := e.gh.UpdateProtection(ctx, t.owner, t.repo, t.branch, repository.ProtectionRequest(*bp, nil)); err != nil {
			return managed.ExternalCreation{}, wrap(err, errProtection)
		}
	}
	return managed.ExternalCreation{}, nil
}

// Update puts the protection the spec names back, keeping every setting it
// does not name as GitHub has it.
func (e *external) Update(ctx context.Context, cr scoped.Branch) (managed.ExternalUpdate, error) {
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	bp := cr.Parameters().Protection
	if bp == nil {
		return managed.ExternalUpdate{}, nil
	}
	cur := e.protection
	if cur == nil {
		if cur, err = e.readProtection(ctx, t); err != nil {
			return managed.ExternalUpdate{}, err
		}
	}
	if err := e.gh.UpdateProtection(ctx, t.owner, t.repo, t.branch, repository.ProtectionRequest(*bp, cur)); err != nil {
		return managed.ExternalUpdate{}, wrap(err, errProtection)
	}
	cr.Observation().Protected = true
	return managed.ExternalUpdate{}, nil
}

// Delete deletes a branch this resource created whose head Observe found
// at the commit it was created at (Observe reports any other branch as
// absent). Its protection goes first: GitHub refuses to delete a protected
// branch unless the protection allows deletions
// (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches#allow-deletions).
func (e *external) Delete(ctx context.Context, cr scoped.Branch) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	err = e.gh.DeleteProtection(ctx, t.owner, t.repo, t.branch)
	if err != nil && !ghclient.IsNotFound(err) {
		return managed.ExternalDelete{}, wrap(err, errDeleteProtect)
	}
	err = e.gh.DeleteBranch(ctx, t.owner, t.repo, t.branch)
	if err == nil || ghclient.IsNotFound(err) {
		return managed.ExternalDelete{}, nil
	}
	if ghclient.StatusCode(err) == http.StatusUnprocessableEntity {
		// 422 is GitHub's answer both for a reference that does not exist
		// and for one it refuses to delete (a ruleset): done only if the
		// branch is gone.
		if _, herr := e.gh.GetBranchHead(ctx, t.owner, t.repo, t.branch); noCommits(herr) {
			return managed.ExternalDelete{}, nil
		}
	}
	return managed.ExternalDelete{}, wrap(err, errDelete)
}

// Disconnect does nothing: clients are pooled.
func (e *external) Disconnect(_ context.Context) error { return nil }
