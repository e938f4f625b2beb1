// Package repository reconciles github.paved.dev Repositories.
package repository

import (
	"context"
	"slices"
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

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

const (
	errNotRepository = "managed resource is not a Repository"
	errGet           = "cannot get repository from GitHub"
	errGetProtection = "cannot get branch protection from GitHub"
	errCreate        = "cannot create repository on GitHub"
	errEdit          = "cannot update repository on GitHub"
	errUnarchive     = "cannot unarchive repository on GitHub"
	errTopics        = "cannot replace repository topics on GitHub"
	errProtection    = "cannot update branch protection on GitHub"
	errArchive       = "cannot archive repository on GitHub"
	errDelete        = "cannot delete repository on GitHub"
	errWhoAmI        = "cannot get the authenticated GitHub user"
	errNoBranch      = "cannot protect the default branch: it does not exist yet (set autoInit, a template, or commit a file first)"

	// errNotOurs is the refusal to adopt an existing repository.
	errNotOurs = "a repository with this name already exists on GitHub and was not created by this resource; " +
		"to manage it, set the crossplane.io/external-name annotation to its name (or use an Observe-only management policy)"
	errNameTaken = "cannot create repository: the name is already taken on GitHub (422); " +
		"to manage the existing repository, set the crossplane.io/external-name annotation to its name"
	errOwnerNotFound = "cannot create repository: owner is neither an organisation the credentials can see nor the authenticated user"

	// createSkew tolerates clock differences between the cluster and GitHub
	// when deciding whether a repository found after a failed or lost create
	// request is the one this resource created.
	createSkew = 2 * time.Minute
)

// AnnotationCreateRefused records the external-create-pending time of a
// create attempt GitHub refused because the name was taken.
const AnnotationCreateRefused = "github.paved.dev/create-refused"

// Setup adds a controller that reconciles Repositories.
func Setup(mgr ctrl.Manager, o controller.Options, pool *ghclient.Pool) error {
	name := managed.ControllerName(v1alpha1.RepositoryGroupKind)
	opts := append(ReconcilerOptions(mgr.GetClient(), pool, o),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name))))
	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.RepositoryGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		WithEventFilter(resource.DesiredStateChanged()).
		For(&v1alpha1.Repository{}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// ReconcilerOptions are the managed reconciler options of the Repository
// controller, less the event recorder.
func ReconcilerOptions(kube client.Client, pool *ghclient.Pool, o controller.Options) []managed.ReconcilerOption {
	name := managed.ControllerName(v1alpha1.RepositoryGroupKind)
	return []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[resource.Managed](&Connector{Kube: kube, Pool: pool}),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithManagementPolicies(),
		// The external name is the user's annotation or metadata.name: set
		// by Create, never defaulted, so that an explicit annotation is the
		// only way to adopt an existing repository.
		managed.WithInitializers(),
		managed.WithDeterministicExternalName(true),
	}
}

// A Connector produces an ExternalClient for a Repository.
type Connector struct {
	Kube client.Client
	Pool *ghclient.Pool
}

// Connect resolves the ProviderConfig's credentials and returns a client.
func (c *Connector) Connect(ctx context.Context, mg resource.Managed) (managed.ExternalClient, error) {
	cr, ok := mg.(*v1alpha1.Repository)
	if !ok {
		return nil, errors.New(errNotRepository)
	}
	g, err := c.Pool.ClientFor(ctx, c.Kube, cr)
	if err != nil {
		return nil, err
	}
	return &External{GH: g}, nil
}

// External manages a Repository on GitHub.
type External struct {
	GH *gh.Client
}

func repoName(cr *v1alpha1.Repository) (string, bool) {
	if n := meta.GetExternalName(cr); n != "" {
		return n, true
	}
	return cr.GetName(), false
}

func archiveOnDelete(cr *v1alpha1.Repository) bool {
	return cr.Spec.ForProvider.ArchiveOnDelete == nil || *cr.Spec.ForProvider.ArchiveOnDelete
}

func observeOnly(cr *v1alpha1.Repository) bool {
	p := cr.GetManagementPolicies()
	return len(p) > 0 && !slices.Contains(p, xpv2.ManagementActionAll) && !slices.Contains(p, xpv2.ManagementActionCreate)
}

// createdByUs reports whether repository r is the one this resource asked
// GitHub to create in a request whose answer was lost (timeout, 5xx after
// the change): GitHub created it after we started creating.
func createdByUs(cr *v1alpha1.Repository, r *gh.Repository) bool {
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

// Observe reads the repository. A 304 answer to the conditional request
// costs no rate limit.
func (e *External) Observe(ctx context.Context, mg resource.Managed) (managed.ExternalObservation, error) {
	cr, ok := mg.(*v1alpha1.Repository)
	if !ok {
		return managed.ExternalObservation{}, errors.New(errNotRepository)
	}
	name, explicit := repoName(cr)
	owner := cr.Spec.ForProvider.Owner
	r, _, err := e.GH.Repositories.Get(ctx, owner, name)
	if ghclient.IsNotFound(err) {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(errors.New(ghclient.Describe(err)), errGet)
	}
	if meta.WasDeleted(cr) && archiveOnDelete(cr) && r.GetArchived() {
		// Archived is what deletion means for this resource.
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	lateInit := false
	if !explicit {
		if !createdByUs(cr, r) && !observeOnly(cr) {
			if meta.WasDeleted(cr) {
				// Never ours: deleting this resource must not touch it.
				return managed.ExternalObservation{ResourceExists: false}, nil
			}
			return managed.ExternalObservation{}, errors.New(errNotOurs)
		}
		meta.SetExternalName(cr, name)
		lateInit = true
	}
	cr.Status.AtProvider = observation(r)
	cr.SetConditions(xpv2.Available())

	var prot *gh.Protection
	if cr.Spec.ForProvider.BranchProtection != nil {
		prot, err = e.protection(ctx, owner, name, r.GetDefaultBranch())
		if err != nil {
			return managed.ExternalObservation{}, errors.Wrap(errors.New(ghclient.Describe(err)), errGetProtection)
		}
	}
	return managed.ExternalObservation{
		ResourceExists:          true,
		ResourceUpToDate:        len(diff(cr.Spec.ForProvider, r, prot)) == 0,
		ResourceLateInitialized: lateInit,
	}, nil
}

// protection returns the branch's protection, nil when it has none.
func (e *External) protection(ctx context.Context, owner, name, branch string) (*gh.Protection, error) {
	p, _, err := e.GH.Repositories.GetBranchProtection(ctx, owner, name, branch)
	if errors.Is(err, gh.ErrBranchNotProtected) || ghclient.IsNotFound(err) {
		return nil, nil
	}
	return p, err
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

// Drift kinds reported by diff.
const (
	driftArchived   = "archived"
	driftSettings   = "settings"
	driftTopics     = "topics"
	driftProtection = "protection"
)

// diff lists what differs between the desired parameters and GitHub.
// Topics and required status checks are compared as sets.
func diff(p v1alpha1.RepositoryParameters, r *gh.Repository, prot *gh.Protection) []string {
	var d []string
	if r.GetArchived() {
		d = append(d, driftArchived)
	}
	if edit := settingsEdit(p, r); edit != nil {
		d = append(d, driftSettings)
	}
	if !sameSet(normTopics(p.Topics), normTopics(r.Topics)) {
		d = append(d, driftTopics)
	}
	if p.BranchProtection != nil && !protectionMatches(*p.BranchProtection, prot) {
		d = append(d, driftProtection)
	}
	return d
}

// settingsEdit returns the PATCH body that puts GitHub's settings back to
// the desired ones, or nil when they match.
func settingsEdit(p v1alpha1.RepositoryParameters, r *gh.Repository) *gh.Repository {
	edit := &gh.Repository{}
	changed := false
	if p.Description != nil && *p.Description != r.GetDescription() {
		edit.Description, changed = gh.Ptr(*p.Description), true
	}
	if v := visibility(p); v != r.GetVisibility() {
		edit.Visibility, changed = gh.Ptr(v), true
	}
	if b := defaultBranch(p); b != r.GetDefaultBranch() {
		edit.DefaultBranch, changed = gh.Ptr(b), true
	}
	setBool := func(want *bool, have bool, dst **bool) {
		if want != nil && *want != have {
			*dst, changed = gh.Ptr(*want), true
		}
	}
	if m := p.MergeOptions; m != nil {
		setBool(m.AllowMergeCommit, r.GetAllowMergeCommit(), &edit.AllowMergeCommit)
		setBool(m.AllowSquashMerge, r.GetAllowSquashMerge(), &edit.AllowSquashMerge)
		setBool(m.AllowRebaseMerge, r.GetAllowRebaseMerge(), &edit.AllowRebaseMerge)
	}
	setBool(p.DeleteBranchOnMerge, r.GetDeleteBranchOnMerge(), &edit.DeleteBranchOnMerge)
	if !changed {
		return nil
	}
	return edit
}

func visibility(p v1alpha1.RepositoryParameters) string {
	if p.Visibility == "" {
		return v1alpha1.VisibilityPrivate
	}
	return p.Visibility
}

func defaultBranch(p v1alpha1.RepositoryParameters) string {
	if p.DefaultBranch == "" {
		return "main"
	}
	return p.DefaultBranch
}

func normTopics(t []string) []string {
	out := make([]string, 0, len(t))
	for _, s := range t {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func reviewCount(bp v1alpha1.BranchProtection) int {
	if bp.RequiredApprovingReviewCount == nil {
		return 1
	}
	return *bp.RequiredApprovingReviewCount
}

func protectionMatches(bp v1alpha1.BranchProtection, p *gh.Protection) bool {
	if p == nil {
		return false
	}
	rv := p.RequiredPullRequestReviews
	if rv == nil || rv.RequiredApprovingReviewCount != reviewCount(bp) ||
		rv.DismissStaleReviews != bp.DismissStaleReviews || rv.RequireCodeOwnerReviews != bp.RequireCodeOwnerReviews {
		return false
	}
	if (p.EnforceAdmins != nil && p.EnforceAdmins.Enabled) != bp.EnforceAdmins {
		return false
	}
	want, have := bp.RequiredStatusChecks, p.RequiredStatusChecks
	if want == nil || have == nil {
		return want == nil && have == nil
	}
	var contexts []string
	if have.Contexts != nil {
		contexts = *have.Contexts
	}
	return want.Strict == have.Strict && sameSet(want.Contexts, contexts)
}

func protectionRequest(bp v1alpha1.BranchProtection) *gh.ProtectionRequest {
	req := &gh.ProtectionRequest{
		EnforceAdmins: bp.EnforceAdmins,
		RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{
			DismissStaleReviews:          bp.DismissStaleReviews,
			RequireCodeOwnerReviews:      bp.RequireCodeOwnerReviews,
			RequiredApprovingReviewCount: reviewCount(bp),
		},
	}
	if c := bp.RequiredStatusChecks; c != nil {
		contexts := append([]string{}, c.Contexts...)
		slices.Sort(contexts)
		req.RequiredStatusChecks = &gh.RequiredStatusChecks{Strict: c.Strict, Contexts: &contexts}
	}
	return req
}

// Create creates the repository, from a template if one is given. Topics,
// default branch and protection follow in Update. A taken name is an error,
// never an adoption.
func (e *External) Create(ctx context.Context, mg resource.Managed) (managed.ExternalCreation, error) {
	cr, ok := mg.(*v1alpha1.Repository)
	if !ok {
		return managed.ExternalCreation{}, errors.New(errNotRepository)
	}
	name, _ := repoName(cr)
	p := cr.Spec.ForProvider
	var err error
	if t := p.Template; t != nil {
		_, _, err = e.GH.Repositories.CreateFromTemplate(ctx, t.Owner, t.Repository, &gh.TemplateRepoRequest{
			Name:               gh.Ptr(name),
			Owner:              gh.Ptr(p.Owner),
			Description:        p.Description,
			IncludeAllBranches: gh.Ptr(t.IncludeAllBranches),
			Private:            gh.Ptr(visibility(p) != v1alpha1.VisibilityPublic),
		})
	} else {
		err = e.create(ctx, p, name)
	}
	if ghclient.IsNameTaken(err) {
		// Remember that this create attempt did not make the repository
		// (the managed reconciler persists annotations after a failed
		// create), so it is never mistaken for ours later.
		meta.AddAnnotations(cr, map[string]string{
			AnnotationCreateRefused: meta.GetExternalCreatePending(cr).Format(time.RFC3339),
		})
		return managed.ExternalCreation{}, errors.New(errNameTaken)
	}
	if err != nil {
		return managed.ExternalCreation{}, errors.Wrap(errors.New(ghclient.Describe(err)), errCreate)
	}
	meta.SetExternalName(cr, name)
	return managed.ExternalCreation{}, nil
}

func (e *External) create(ctx context.Context, p v1alpha1.RepositoryParameters, name string) error {
	req := &gh.Repository{
		Name:                gh.Ptr(name),
		Description:         p.Description,
		Visibility:          gh.Ptr(visibility(p)),
		AutoInit:            p.AutoInit,
		DeleteBranchOnMerge: p.DeleteBranchOnMerge,
	}
	if m := p.MergeOptions; m != nil {
		req.AllowMergeCommit, req.AllowSquashMerge, req.AllowRebaseMerge = m.AllowMergeCommit, m.AllowSquashMerge, m.AllowRebaseMerge
	}
	_, _, err := e.GH.Repositories.Create(ctx, p.Owner, req)
	if !ghclient.IsNotFound(err) {
		return err
	}
	// Not an organisation: a repository of the authenticated user?
	u, _, uerr := e.GH.Users.Get(ctx, "")
	if uerr != nil {
		return errors.Wrap(errors.New(ghclient.Describe(uerr)), errWhoAmI)
	}
	if !strings.EqualFold(u.GetLogin(), p.Owner) {
		return errors.New(errOwnerNotFound)
	}
	if req.GetVisibility() == v1alpha1.VisibilityInternal {
		req.Visibility = nil
		req.Private = gh.Ptr(true)
	}
	_, _, err = e.GH.Repositories.Create(ctx, "", req)
	return err
}

// Update puts drifted settings, topics and branch protection back. It reads
// the repository through the ETag cache, so an unchanged repository costs
// no counted request here.
func (e *External) Update(ctx context.Context, mg resource.Managed) (managed.ExternalUpdate, error) {
	cr, ok := mg.(*v1alpha1.Repository)
	if !ok {
		return managed.ExternalUpdate{}, errors.New(errNotRepository)
	}
	name, _ := repoName(cr)
	p := cr.Spec.ForProvider
	r, _, err := e.GH.Repositories.Get(ctx, p.Owner, name)
	if err != nil {
		return managed.ExternalUpdate{}, errors.Wrap(errors.New(ghclient.Describe(err)), errGet)
	}
	if r.GetArchived() {
		if r, _, err = e.GH.Repositories.Edit(ctx, p.Owner, name, &gh.Repository{Archived: gh.Ptr(false)}); err != nil {
			return managed.ExternalUpdate{}, errors.Wrap(errors.New(ghclient.Describe(err)), errUnarchive)
		}
	}
	if edit := settingsEdit(p, r); edit != nil {
		if r, _, err = e.GH.Repositories.Edit(ctx, p.Owner, name, edit); err != nil {
			return managed.ExternalUpdate{}, errors.Wrap(errors.New(ghclient.Describe(err)), errEdit)
		}
	}
	if want := normTopics(p.Topics); !sameSet(want, normTopics(r.Topics)) {
		if _, _, err := e.GH.Repositories.ReplaceAllTopics(ctx, p.Owner, name, want); err != nil {
			return managed.ExternalUpdate{}, errors.Wrap(errors.New(ghclient.Describe(err)), errTopics)
		}
	}
	if bp := p.BranchProtection; bp != nil {
		prot, err := e.protection(ctx, p.Owner, name, r.GetDefaultBranch())
		if err != nil {
			return managed.ExternalUpdate{}, errors.Wrap(errors.New(ghclient.Describe(err)), errGetProtection)
		}
		if !protectionMatches(*bp, prot) {
			if _, _, err := e.GH.Repositories.UpdateBranchProtection(ctx, p.Owner, name, r.GetDefaultBranch(), protectionRequest(*bp)); err != nil {
				if ghclient.IsNotFound(err) {
					return managed.ExternalUpdate{}, errors.New(errNoBranch)
				}
				return managed.ExternalUpdate{}, errors.Wrap(errors.New(ghclient.Describe(err)), errProtection)
			}
		}
	}
	cr.Status.AtProvider = observation(r)
	return managed.ExternalUpdate{}, nil
}

// Delete archives the repository (the default) or deletes it when
// archiveOnDelete is false.
func (e *External) Delete(ctx context.Context, mg resource.Managed) (managed.ExternalDelete, error) {
	cr, ok := mg.(*v1alpha1.Repository)
	if !ok {
		return managed.ExternalDelete{}, errors.New(errNotRepository)
	}
	cr.SetConditions(xpv2.Deleting())
	name, _ := repoName(cr)
	owner := cr.Spec.ForProvider.Owner
	if archiveOnDelete(cr) {
		_, _, err := e.GH.Repositories.Edit(ctx, owner, name, &gh.Repository{Archived: gh.Ptr(true)})
		if err != nil && !ghclient.IsNotFound(err) {
			return managed.ExternalDelete{}, errors.Wrap(errors.New(ghclient.Describe(err)), errArchive)
		}
		return managed.ExternalDelete{}, nil
	}
	_, err := e.GH.Repositories.Delete(ctx, owner, name)
	if err != nil && !ghclient.IsNotFound(err) {
		return managed.ExternalDelete{}, errors.Wrap(errors.New(ghclient.Describe(err)), errDelete)
	}
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing: clients are pooled.
func (e *External) Disconnect(_ context.Context) error { return nil }
