// Package repositoryfile reconciles github.paved.dev RepositoryFiles: files
// committed to a repository, such as a Backstage catalog-info.yaml.
//
// A RepositoryFile writes and deletes only a file it owns: one it created,
// or one that existed and spec.forProvider.overwriteOnCreate allowed it to
// take over. Ownership is recorded in annotations set by Create, because
// crossplane-runtime's managed reconciler persists annotations after Create
// but discards status set there (reconciler.go, "Any other changes made
// during Create will be reverted when annotations are updated").
//
// When the branch's protection refuses direct commits (it requires pull
// requests or status checks and applies to administrators), the change is
// proposed in a pull request from the branch paved/<name>; the file is
// Ready once a reviewer has merged it. See proposal.go.
package repositoryfile

import (
	"context"
	"net/http"
	"strings"

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

	gh "github.com/google/go-github/v85/github"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/controller/ghbudget"
	"github.com/paved-dev/paved/provider/internal/controller/refwait"
	repoctl "github.com/paved-dev/paved/provider/internal/controller/repository"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

const (
	errNoRepository  = "spec.forProvider.repository is not set (owner/name), and no repositoryRef or repositorySelector resolved"
	errBadRepository = "spec.forProvider.repository must be owner/name"
	errGetRepo       = "cannot get repository from GitHub"
	errWriteLock     = "cannot wait for the other writes to the repository"
	errGet           = "cannot get file from GitHub"
	errNotFileType   = "path exists on GitHub but is not a file"
	errDecode        = "cannot decode file content from GitHub"
	errCommit        = "cannot commit file to GitHub"
	errDelete        = "cannot delete file on GitHub"
	errHead          = "cannot read the head of the branch to propose from"
	errBranch        = "cannot create the pull request's branch"
	errResetBranch   = "cannot reset the pull request's branch to the head of the branch it proposes to"
	errListPulls     = "cannot list pull requests"
	errCreatePull    = "cannot open pull request"
	errStateMetrics  = "cannot register the RepositoryFile state metrics recorder"

	// errFmtExists names the file it refuses to touch: path, branch, blob.
	errFmtExists = "%s already exists on branch %s (blob %s) and this RepositoryFile did not create it: it is left untouched; set spec.forProvider.overwriteOnCreate: true to take it over"
	// errFmtOtherRepo: the name no longer leads to the referenced
	// Repository's repository: owner/name, its id, the Repository's id.
	errFmtOtherRepo = "repository %s/%s on GitHub has id %d, not the id %d the referenced Repository reports: it was renamed and another repository took its old name; nothing is written there, and the file follows once spec.forProvider.repository follows the Repository's current name"
	// errFmtClosed: a reviewer closed the pull request for this content.
	errFmtClosed = "pull request %s proposing this content to branch %s was closed without being merged: change spec.forProvider.content or reopen the pull request"
)

// Setup adds a controller that reconciles RepositoryFiles, for each scope.
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
	name := managed.ControllerName(s.RepositoryFile.GroupKind)
	opts := append(ReconcilerOptions(mgr.GetClient(), pool, o, s),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name)))) //nolint:staticcheck // crossplane-runtime records through a record.EventRecorder.
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
		if o.MetricOptions.MRStateMetrics != nil {
			sr := statemetrics.NewMRStateRecorder(mgr.GetClient(), o.Logger, o.MetricOptions.MRStateMetrics,
				s.RepositoryFile.NewList(), o.MetricOptions.PollStateMetricInterval)
			if err := mgr.Add(sr); err != nil {
				return errors.Wrap(err, errStateMetrics)
			}
		}
	}
	r := managed.NewReconciler(mgr, resource.ManagedKind(s.RepositoryFile.GroupVersionKind), opts...)
	if err := refKind.Index(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	gate := &refwait.Gate[scoped.RepositoryFile]{
		Kind:   refKind,
		Kube:   mgr.GetClient(),
		Record: event.NewAPIRecorder(mgr.GetEventRecorderFor(name)), //nolint:staticcheck // as above.
		// A RepositoryFile whose GitHub identity cannot take its
		// requests yet waits likewise (package ghbudget).
		Next: ghbudget.New(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter)),
		Poll: o.PollInterval, Grace: refwait.Grace,
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(s.RepositoryFile.New(), builder.WithPredicates(resource.DesiredStateChanged())).
		// See refwait.go: a RepositoryFile waiting for its Repository is
		// woken when the Repository's full name appears.
		Watches(s.Repository.New(), handler.EnqueueRequestsFromMapFunc(refKind.Referencing(mgr.GetClient())),
			builder.WithPredicates(refwait.ValueChanged(v1alpha1.RepositoryFullName()))).
		Complete(gate)
}

// ReconcilerOptions are the managed reconciler options of the
// RepositoryFile controller, less the event recorder and metrics.
func ReconcilerOptions(kube client.Client, pool *ghclient.Pool, o controller.Options, s scoped.Scope) []managed.ReconcilerOption {
	return append(reconcilerOptions(&connector{kube: kube, pool: pool, locks: newWriteLocks()}, o, s.RepositoryFile.GroupKind),
		// spec.forProvider.repository follows the referenced Repository's
		// current owner/name (see refwait.Follower).
		managed.WithReferenceResolver(refwait.Follower[scoped.RepositoryFile]{
			Kind: refKindOf(s), Kube: kube, Reset: func(f scoped.RepositoryFile) { f.Parameters().Repository = nil },
		}))
}

func reconcilerOptions(c managed.TypedExternalConnector[scoped.RepositoryFile], o controller.Options, groupKind string) []managed.ReconcilerOption {
	name := managed.ControllerName(groupKind)
	return []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[scoped.RepositoryFile](c),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithManagementPolicies(),
		// A file is identified by repository, branch and path.
		managed.WithInitializers(),
		managed.WithDeterministicExternalName(true),
	}
}

// connector produces an external client for a RepositoryFile from its
// ProviderConfig.
type connector struct {
	kube  client.Client
	pool  *ghclient.Pool
	locks *writeLocks // shared by every reconcile: see serial.go
}

func (c *connector) Connect(ctx context.Context, cr scoped.RepositoryFile) (managed.TypedExternalClient[scoped.RepositoryFile], error) {
	g, err := c.pool.ClientFor(ctx, c.kube, cr)
	if err != nil {
		return nil, err
	}
	want, err := referencedID(ctx, c.kube, cr)
	if err != nil {
		return nil, err
	}
	return &external{gh: apiClient{c: g}, want: want, locks: c.locks}, nil
}

// referencedID is GitHub's id of the repository of the Repository that cr
// references (its status.atProvider.id), or 0 when cr names its repository
// directly or the Repository is gone.
//
// A repository's id survives renames, its name does not: GitHub redirects
// the old name to the renamed repository only "If you create a new
// repository under your repository's old name, redirects to the renamed
// repository will break"
// (https://docs.github.com/en/repositories/creating-and-managing-repositories/renaming-a-repository).
// Every write is therefore checked against this id (external.repository)
// before it is sent. The check uses the documented GET
// /repos/{owner}/{repo} (https://docs.github.com/en/rest/repos/repos#get-a-repository),
// not GET /repositories/{id}, which GitHub does not document (go-github
// RepositoriesService.GetByID: "uses the undocumented GitHub API
// endpoint"); the name to write to follows the Repository (refwait.Follower).
func referencedID(ctx context.Context, kube client.Reader, cr scoped.RepositoryFile) (int64, error) {
	return repoctl.ReferencedID(ctx, kube, cr, cr.Parameters().RepositoryRef)
}

// A file is what GitHub holds at a path on a branch.
type file struct {
	sha     string // git blob SHA
	content string
}

// seen is what Observe found, carried to Create, Update and Delete of the
// same reconcile (a new external client is connected for every reconcile):
// they write over exactly the blob Observe saw, and Observe changes
// nothing.
type seen struct {
	file *file
	// recovered: the file holds this RepositoryFile's content and a create
	// of ours is unconfirmed (its answer was lost): Create records
	// ownership without writing.
	recovered bool
}

// external manages a file on GitHub.
type external struct {
	gh   GitHub
	seen *seen
	repo *gh.Repository // read at most once per reconcile
	// want is the id of the referenced Repository's repository (0: not
	// known, see referencedID): a repository under the target's name with
	// another id is never written to.
	want  int64
	locks *writeLocks
}

// otherRepository is the error for a name that leads to a repository
// other than the referenced Repository's.
type otherRepository struct{ error }

// repository reads the target repository once per reconcile, and refuses
// one whose id is not the referenced Repository's.
func (e *external) repository(ctx context.Context, t target) (*gh.Repository, error) {
	if e.repo != nil {
		return e.repo, nil
	}
	r, err := e.gh.GetRepository(ctx, t.owner, t.repo)
	if err != nil {
		return nil, wrap(err, errGetRepo)
	}
	if e.want != 0 && r.GetID() != e.want {
		return nil, otherRepository{errors.Errorf(errFmtOtherRepo, t.owner, t.repo, r.GetID(), e.want)}
	}
	e.repo = r
	return r, nil
}

// writable returns the target with the repository's current owner and name
// (GitHub's answer, so that no write depends on a redirect) and the
// repository's write lock, once the repository is known to be the
// referenced one. The caller releases the lock when its writes are done.
func (e *external) writable(ctx context.Context, t target) (target, *gh.Repository, func(), error) {
	r, err := e.repository(ctx, t)
	if err != nil {
		return t, nil, nil, err
	}
	if o, n := r.GetOwner().GetLogin(), r.GetName(); o != "" && n != "" {
		t.owner, t.repo = o, n
	}
	unlock, err := e.locks.lock(ctx, r.GetID())
	if err != nil {
		return t, nil, nil, errors.Wrap(err, errWriteLock)
	}
	return t, r, unlock, nil
}

// target is where a RepositoryFile's file lives.
type target struct {
	owner, repo string
	branch      string // empty: the repository's default branch
	path        string
}

func targetOf(cr scoped.RepositoryFile) (target, error) {
	p := *cr.Parameters()
	if p.Repository == nil || *p.Repository == "" {
		return target{}, errors.New(errNoRepository)
	}
	o, r, ok := strings.Cut(*p.Repository, "/")
	if !ok || o == "" || r == "" || strings.Contains(r, "/") {
		return target{}, errors.New(errBadRepository)
	}
	t := target{owner: o, repo: r, path: p.Path}
	if p.Branch != nil {
		t.branch = *p.Branch
	}
	return t, nil
}

func message(cr scoped.RepositoryFile) string {
	if m := cr.Parameters().CommitMessage; m != "" {
		return m
	}
	return "Managed by paved"
}

// described keeps a GitHub error's chain (errors.Is/As reach the
// *gh.ErrorResponse) while its message is ghclient.Describe's, which
// never carries credentials.
type described struct{ err error }

func (d described) Error() string { return ghclient.Describe(d.err) }
func (d described) Unwrap() error { return d.err }

func wrap(err error, msg string) error { return errors.Wrap(described{err: err}, msg) }

// read returns the file at t.path on branch (empty: default branch), or
// nil when there is none.
func (e *external) read(ctx context.Context, t target, branch string) (*file, error) {
	f, err := e.gh.GetFile(ctx, t.owner, t.repo, t.path, branch)
	if ghclient.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err, errGet)
	}
	if f == nil || f.GetType() != "file" {
		return nil, errors.New(errNotFileType)
	}
	c, err := f.GetContent()
	if err != nil {
		return nil, errors.Wrap(err, errDecode)
	}
	return &file{sha: f.GetSHA(), content: c}, nil
}

// Observe reads the file and decides, without writing anything, whether
// this RepositoryFile owns it and whether it holds the desired content.
func (e *external) Observe(ctx context.Context, cr scoped.RepositoryFile) (managed.ExternalObservation, error) {
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	deleting := meta.WasDeleted(cr)
	if deleting {
		// An archived (or deleted) repository keeps its files read-only:
		// nothing is left to delete.
		r, err := e.repository(ctx, t)
		if ghclient.IsNotFound(err) || (err == nil && r.GetArchived()) {
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		if errors.As(err, &otherRepository{}) {
			// The name is another repository's now: nothing of ours is
			// deleted there (nor anything of theirs).
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		if err != nil {
			return managed.ExternalObservation{}, err
		}
	}
	cur, err := e.read(ctx, t, t.branch)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	e.seen = &seen{file: cur}
	st := cr.Observation()
	st.BlobSHA = ""
	if cur != nil {
		st.BlobSHA = cur.sha
	}

	if observeOnly(cr) {
		if cur != nil {
			cr.SetConditions(xpv2.Available())
		}
		return managed.ExternalObservation{ResourceExists: cur != nil, ResourceUpToDate: matches(cur, &cr.Parameters().Content)}, nil
	}
	owned, err := e.owns(ctx, cr, t, cur, deleting)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if !owned {
		switch {
		case cur == nil, deleting:
			// Nothing of ours exists: create it, or finish deleting
			// without touching someone else's file.
			return managed.ExternalObservation{ResourceExists: false}, nil
		case createUnconfirmed(cr) && cur.sha == blobSHA(cr.Parameters().Content):
			e.seen.recovered = true
			return managed.ExternalObservation{ResourceExists: false}, nil
		case cr.Parameters().OverwriteOnCreate:
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		return managed.ExternalObservation{}, e.refuseExisting(ctx, t, cur)
	}

	var want *string
	if !deleting {
		want = &cr.Parameters().Content
	}
	if matches(cur, want) {
		st.PullRequestURL, st.PullRequestNumber = "", 0
		if cur != nil {
			st.CommitSHA = commitOf(cr, cur.sha)
			cr.SetConditions(xpv2.Available())
		}
		return managed.ExternalObservation{ResourceExists: cur != nil, ResourceUpToDate: true}, nil
	}

	// Not (yet) as desired: is the change waiting in a pull request?
	p, err := e.findProposal(ctx, cr, t)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if p != nil && !p.merged && matches(p.file, want) {
		switch {
		case p.open:
			st.PullRequestURL, st.PullRequestNumber = p.url, p.number
			if deleting {
				// The removal is proposed; a reviewer merges it.
				return managed.ExternalObservation{ResourceExists: false}, nil
			}
			cr.SetConditions(pendingReview(p))
			return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
		case !deleting:
			return managed.ExternalObservation{}, errors.Errorf(errFmtClosed, p.url, p.base)
		}
	}
	return managed.ExternalObservation{ResourceExists: cur != nil, ResourceUpToDate: false}, nil
}

// owns reports whether this RepositoryFile owns the file at its target.
// The repository's id is compared only before a write or delete could
// follow (the file differs from the spec, or the resource is being
// deleted), so a steady-state reconcile reads nothing more.
func (e *external) owns(ctx context.Context, cr scoped.RepositoryFile, t target, cur *file, deleting bool) (bool, error) {
	o := ownershipOf(cr)
	if !o.coversBranch(t) {
		return false, nil
	}
	if !o.known || (!deleting && matches(cur, &cr.Parameters().Content)) {
		return o.owned, nil
	}
	r, err := e.repository(ctx, t)
	if ghclient.IsNotFound(err) {
		return o.owned, nil // nothing to write over; Create reports it
	}
	if err != nil {
		return false, err
	}
	return o.coversRepository(r.GetID()), nil
}

// refuseExisting is the error for a file this RepositoryFile may not take
// over; it names the path, the branch and the file's blob.
func (e *external) refuseExisting(ctx context.Context, t target, f *file) error {
	b := t.branch
	if b == "" {
		if d, err := e.baseBranch(ctx, t); err == nil && d != "" {
			b = d
		} else {
			b = "(the default branch)"
		}
	}
	return errors.Errorf(errFmtExists, t.path, b, f.sha)
}

func matches(f *file, want *string) bool {
	if want == nil {
		return f == nil
	}
	return f != nil && f.content == *want
}

// observed is what Observe saw in this reconcile, or a fresh read when
// Create, Update or Delete is called on its own.
func (e *external) observed(ctx context.Context, _ scoped.RepositoryFile, t target) (*seen, error) {
	if e.seen != nil {
		return e.seen, nil
	}
	f, err := e.read(ctx, t, t.branch)
	if err != nil {
		return nil, err
	}
	e.seen = &seen{file: f}
	return e.seen, nil
}

// write commits content to t.path on branch over the blob prev (nil: the
// file does not exist there).
func (e *external) write(ctx context.Context, cr scoped.RepositoryFile, t target, branch string, prev *file) (*gh.RepositoryContentResponse, error) {
	opts := &gh.RepositoryContentFileOptions{
		Message: gh.Ptr(message(cr)),
		Content: []byte(cr.Parameters().Content),
	}
	if prev != nil {
		opts.SHA = gh.Ptr(prev.sha)
	}
	if branch != "" {
		opts.Branch = gh.Ptr(branch)
	}
	return e.gh.PutFile(ctx, t.owner, t.repo, t.path, opts)
}

// Create commits the file, over an existing one only when
// overwriteOnCreate allows it, and records that this RepositoryFile owns
// it. A branch that requires pull requests gets a pull request instead.
func (e *external) Create(ctx context.Context, cr scoped.RepositoryFile) (managed.ExternalCreation, error) {
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	s, err := e.observed(ctx, cr, t)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	t, r, unlock, err := e.writable(ctx, t)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	defer unlock()
	if s.recovered {
		// Our own earlier create, whose answer was lost.
		setOwner(cr, ownerCreated, r.GetID(), t)
		return managed.ExternalCreation{}, nil
	}
	own := ownerCreated
	if s.file != nil {
		if !cr.Parameters().OverwriteOnCreate {
			return managed.ExternalCreation{}, e.refuseExisting(ctx, t, s.file)
		}
		own = ownerOverwritten
	}
	rsp, err := e.write(ctx, cr, t, t.branch, s.file)
	if isProtected(err) {
		p, perr := e.propose(ctx, cr, t)
		if perr != nil {
			return managed.ExternalCreation{}, perr
		}
		setOwner(cr, own, r.GetID(), t)
		setCreated(cr, p.commit, blobSHA(cr.Parameters().Content))
		return managed.ExternalCreation{}, nil
	}
	if err != nil {
		return managed.ExternalCreation{}, wrap(err, errCommit)
	}
	setOwner(cr, own, r.GetID(), t)
	setCreated(cr, commitSHA(rsp), rsp.GetContent().GetSHA())
	return managed.ExternalCreation{}, nil
}

// Update commits the desired content over the blob Observe saw (GitHub
// requires it: https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents),
// or proposes it in a pull request when the branch requires one.
func (e *external) Update(ctx context.Context, cr scoped.RepositoryFile) (managed.ExternalUpdate, error) {
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	s, err := e.observed(ctx, cr, t)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	t, _, unlock, err := e.writable(ctx, t)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	defer unlock()
	st := cr.Observation()
	rsp, err := e.write(ctx, cr, t, t.branch, s.file)
	if isProtected(err) {
		p, perr := e.propose(ctx, cr, t)
		if perr != nil {
			return managed.ExternalUpdate{}, perr
		}
		st.CommitSHA, st.PullRequestURL, st.PullRequestNumber = p.commit, p.url, p.number
		cr.SetConditions(pendingReview(p))
		return managed.ExternalUpdate{}, nil
	}
	if err != nil {
		return managed.ExternalUpdate{}, wrap(err, errCommit)
	}
	// Status written by Update is persisted by the managed reconciler.
	st.BlobSHA, st.CommitSHA = rsp.GetContent().GetSHA(), commitSHA(rsp)
	return managed.ExternalUpdate{}, nil
}

// Delete commits the removal of a file this RepositoryFile owns (Observe
// reports any other file as absent), or proposes it in a pull request
// when the branch requires one.
func (e *external) Delete(ctx context.Context, cr scoped.RepositoryFile) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	t, err := targetOf(cr)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	s, err := e.observed(ctx, cr, t)
	if err != nil || s.file == nil {
		return managed.ExternalDelete{}, err
	}
	t, _, unlock, err := e.writable(ctx, t)
	if ghclient.IsNotFound(err) {
		return managed.ExternalDelete{}, nil // nothing left to delete
	}
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	defer unlock()
	opts := &gh.RepositoryContentFileOptions{Message: gh.Ptr(message(cr)), SHA: gh.Ptr(s.file.sha)}
	if t.branch != "" {
		opts.Branch = gh.Ptr(t.branch)
	}
	_, err = e.gh.DeleteFile(ctx, t.owner, t.repo, t.path, opts)
	switch {
	case isProtected(err):
		p, perr := e.propose(ctx, cr, t)
		if perr != nil {
			return managed.ExternalDelete{}, perr
		}
		cr.Observation().PullRequestURL, cr.Observation().PullRequestNumber = p.url, p.number
		return managed.ExternalDelete{}, nil
	case err != nil && ghclient.StatusCode(err) != http.StatusNotFound:
		return managed.ExternalDelete{}, wrap(err, errDelete)
	}
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing: clients are pooled.
func (e *external) Disconnect(_ context.Context) error { return nil }
