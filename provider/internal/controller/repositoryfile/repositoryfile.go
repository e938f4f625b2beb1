// Package repositoryfile reconciles github.paved.dev RepositoryFiles: files
// committed to a repository, such as a Backstage catalog-info.yaml.
package repositoryfile

import (
	"context"
	"net/http"
	"strings"

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
	errNotFile       = "managed resource is not a RepositoryFile"
	errNoRepository  = "spec.forProvider.repository is not set (owner/name), and no repositoryRef or repositorySelector resolved"
	errBadRepository = "spec.forProvider.repository must be owner/name"
	errGet           = "cannot get file from GitHub"
	errGetRepo       = "cannot get repository from GitHub"
	errNotFileType   = "path exists on GitHub but is not a file"
	errDecode        = "cannot decode file content from GitHub"
	errCommit        = "cannot commit file to GitHub"
	errDelete        = "cannot delete file on GitHub"
)

// Setup adds a controller that reconciles RepositoryFiles.
func Setup(mgr ctrl.Manager, o controller.Options, pool *ghclient.Pool) error {
	name := managed.ControllerName(v1alpha1.RepositoryFileGroupKind)
	opts := append(ReconcilerOptions(mgr.GetClient(), pool, o),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name))))
	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.RepositoryFileGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		WithEventFilter(resource.DesiredStateChanged()).
		For(&v1alpha1.RepositoryFile{}).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// ReconcilerOptions are the managed reconciler options of the
// RepositoryFile controller, less the event recorder.
func ReconcilerOptions(kube client.Client, pool *ghclient.Pool, o controller.Options) []managed.ReconcilerOption {
	name := managed.ControllerName(v1alpha1.RepositoryFileGroupKind)
	return []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[resource.Managed](&Connector{Kube: kube, Pool: pool}),
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithManagementPolicies(),
		// A file is identified by repository, branch and path.
		managed.WithInitializers(),
		managed.WithDeterministicExternalName(true),
	}
}

// A Connector produces an ExternalClient for a RepositoryFile.
type Connector struct {
	Kube client.Client
	Pool *ghclient.Pool
}

// Connect resolves the ProviderConfig's credentials and returns a client.
func (c *Connector) Connect(ctx context.Context, mg resource.Managed) (managed.ExternalClient, error) {
	cr, ok := mg.(*v1alpha1.RepositoryFile)
	if !ok {
		return nil, errors.New(errNotFile)
	}
	g, err := c.Pool.ClientFor(ctx, c.Kube, cr)
	if err != nil {
		return nil, err
	}
	return &External{GH: g}, nil
}

// External manages a file on GitHub.
type External struct {
	GH *gh.Client
}

func target(cr *v1alpha1.RepositoryFile) (owner, repo string, err error) {
	p := cr.Spec.ForProvider
	if p.Repository == nil || *p.Repository == "" {
		return "", "", errors.New(errNoRepository)
	}
	o, r, ok := strings.Cut(*p.Repository, "/")
	if !ok || o == "" || r == "" || strings.Contains(r, "/") {
		return "", "", errors.New(errBadRepository)
	}
	return o, r, nil
}

func branch(cr *v1alpha1.RepositoryFile) string {
	if b := cr.Spec.ForProvider.Branch; b != nil {
		return *b
	}
	return "" // the repository's default branch
}

func message(cr *v1alpha1.RepositoryFile) string {
	if m := cr.Spec.ForProvider.CommitMessage; m != "" {
		return m
	}
	return "Managed by paved"
}

// Observe reads the file with a conditional request.
func (e *External) Observe(ctx context.Context, mg resource.Managed) (managed.ExternalObservation, error) {
	cr, ok := mg.(*v1alpha1.RepositoryFile)
	if !ok {
		return managed.ExternalObservation{}, errors.New(errNotFile)
	}
	owner, repo, err := target(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if meta.WasDeleted(cr) {
		// An archived (or deleted) repository keeps its files read-only:
		// nothing is left to delete.
		r, _, err := e.GH.Repositories.Get(ctx, owner, repo)
		if ghclient.IsNotFound(err) || (err == nil && r.GetArchived()) {
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
		if err != nil {
			return managed.ExternalObservation{}, errors.Wrap(errors.New(ghclient.Describe(err)), errGetRepo)
		}
	}
	var opts *gh.RepositoryContentGetOptions
	if b := branch(cr); b != "" {
		opts = &gh.RepositoryContentGetOptions{Ref: b}
	}
	f, _, _, err := e.GH.Repositories.GetContents(ctx, owner, repo, cr.Spec.ForProvider.Path, opts)
	if ghclient.IsNotFound(err) {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(errors.New(ghclient.Describe(err)), errGet)
	}
	if f == nil || f.GetType() != "file" {
		return managed.ExternalObservation{}, errors.New(errNotFileType)
	}
	content, err := f.GetContent()
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrap(err, errDecode)
	}
	cr.Status.AtProvider.BlobSHA = f.GetSHA()
	cr.SetConditions(xpv2.Available())
	return managed.ExternalObservation{
		ResourceExists:   true,
		ResourceUpToDate: content == cr.Spec.ForProvider.Content,
	}, nil
}

func (e *External) put(ctx context.Context, cr *v1alpha1.RepositoryFile, sha *string) error {
	owner, repo, err := target(cr)
	if err != nil {
		return err
	}
	opts := &gh.RepositoryContentFileOptions{
		Message: gh.Ptr(message(cr)),
		Content: []byte(cr.Spec.ForProvider.Content),
		SHA:     sha,
	}
	if b := branch(cr); b != "" {
		opts.Branch = gh.Ptr(b)
	}
	var rsp *gh.RepositoryContentResponse
	if sha == nil {
		rsp, _, err = e.GH.Repositories.CreateFile(ctx, owner, repo, cr.Spec.ForProvider.Path, opts)
	} else {
		rsp, _, err = e.GH.Repositories.UpdateFile(ctx, owner, repo, cr.Spec.ForProvider.Path, opts)
	}
	if err != nil {
		return errors.Wrap(errors.New(ghclient.Describe(err)), errCommit)
	}
	cr.Status.AtProvider.BlobSHA = rsp.GetContent().GetSHA()
	cr.Status.AtProvider.CommitSHA = rsp.Commit.GetSHA()
	return nil
}

// Create commits the file.
func (e *External) Create(ctx context.Context, mg resource.Managed) (managed.ExternalCreation, error) {
	cr, ok := mg.(*v1alpha1.RepositoryFile)
	if !ok {
		return managed.ExternalCreation{}, errors.New(errNotFile)
	}
	return managed.ExternalCreation{}, e.put(ctx, cr, nil)
}

// Update commits the desired content over the observed blob.
func (e *External) Update(ctx context.Context, mg resource.Managed) (managed.ExternalUpdate, error) {
	cr, ok := mg.(*v1alpha1.RepositoryFile)
	if !ok {
		return managed.ExternalUpdate{}, errors.New(errNotFile)
	}
	return managed.ExternalUpdate{}, e.put(ctx, cr, gh.Ptr(cr.Status.AtProvider.BlobSHA))
}

// Delete commits the file's removal.
func (e *External) Delete(ctx context.Context, mg resource.Managed) (managed.ExternalDelete, error) {
	cr, ok := mg.(*v1alpha1.RepositoryFile)
	if !ok {
		return managed.ExternalDelete{}, errors.New(errNotFile)
	}
	cr.SetConditions(xpv2.Deleting())
	owner, repo, err := target(cr)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	opts := &gh.RepositoryContentFileOptions{Message: gh.Ptr(message(cr)), SHA: gh.Ptr(cr.Status.AtProvider.BlobSHA)}
	if b := branch(cr); b != "" {
		opts.Branch = gh.Ptr(b)
	}
	_, _, err = e.GH.Repositories.DeleteFile(ctx, owner, repo, cr.Spec.ForProvider.Path, opts)
	if err != nil && ghclient.StatusCode(err) != http.StatusNotFound {
		return managed.ExternalDelete{}, errors.Wrap(errors.New(ghclient.Describe(err)), errDelete)
	}
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing: clients are pooled.
func (e *External) Disconnect(_ context.Context) error { return nil }
