package signals

import (
	"context"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

// Watched are the kinds the metrics are computed from, besides the
// provider's own Repositories (always in its cache): paved's composites and
// Argo CD's Applications, and Crossplane's Operations (the day-two checks'
// runs). Both dialects' ServiceBundles are watched: a platform may have
// either XRD installed, or both. Their CRDs belong to paved's Configuration, Argo CD and Crossplane
// (alpha), so any of them may be absent.
var Watched = []schema.GroupVersionKind{XServiceBundle, ServiceBundle, XDatabase, XBucket, Database, Bucket, Application, Operation}

// Informers is what Sources needs of the manager's cache.
type Informers interface {
	GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error)
}

// Sources starts an informer for each Watched kind whose CRD is installed,
// and says which have synced. It is a manager.Runnable that runs on every
// replica (the metrics endpoint does): a kind whose CRD is absent is skipped
// and logged, and looked up again every Interval, so that the provider
// never fails to start because Argo CD or paved's Configuration is not
// installed (yet), and picks the kind up once it is. A kind whose
// informer cannot list it (no RBAC: the provider package's service account
// gets only its own CRDs, docs/operations.md) never syncs and is reported
// as unavailable, not waited for.
type Sources struct {
	informers Informers
	mapper    meta.RESTMapper
	log       logging.Logger
	// Interval between look-ups of absent kinds.
	Interval time.Duration
	// Allowed says whether the provider may list and watch a resource;
	// nil allows all.
	Allowed func(ctx context.Context, r schema.GroupVersionResource) (bool, error)

	mu      sync.RWMutex
	synced  map[schema.GroupVersionKind]func() bool
	skipped map[schema.GroupVersionKind]bool
}

// NewSources returns Sources over a cache's informers and a REST mapper.
func NewSources(i Informers, m meta.RESTMapper, log logging.Logger) *Sources {
	return &Sources{informers: i, mapper: m, log: log, Interval: 30 * time.Second,
		synced: map[schema.GroupVersionKind]func() bool{}, skipped: map[schema.GroupVersionKind]bool{}}
}

// NeedLeaderElection is false: every replica serves metrics.
func (s *Sources) NeedLeaderElection() bool { return false }

// Start watches what it can until ctx is done.
func (s *Sources) Start(ctx context.Context) error {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		if s.watch(ctx) {
			<-ctx.Done()
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// watch starts the informers not yet started; true when all are.
func (s *Sources) watch(ctx context.Context) bool {
	done := true
	for _, gvk := range Watched {
		s.mu.RLock()
		_, started := s.synced[gvk]
		s.mu.RUnlock()
		if started {
			continue
		}
		m, err := s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			done = false
			s.skip(gvk, "Platform metrics skip a kind the API server does not serve; looking again every interval", "error", err.Error())
			continue
		}
		// An informer that may not list and watch retries forever, each
		// failure logged by client-go's reflector: ask first.
		if s.Allowed != nil {
			ok, err := s.Allowed(ctx, m.Resource)
			if err != nil || !ok {
				done = false
				why := "forbidden"
				if err != nil {
					why = err.Error()
				}
				s.skip(gvk, "Platform metrics skip a kind provider-paved may not list and watch (docs/operations.md, Platform metrics: RBAC); looking again every interval", "error", why)
				continue
			}
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		// Not blocking: an informer that cannot list (RBAC) would
		// otherwise hold up the others; Synced says when it has.
		inf, err := s.informers.GetInformer(ctx, u, cache.BlockUntilSynced(false))
		if err != nil {
			done = false
			s.log.Info("Platform metrics cannot watch a kind; looking again every interval", "kind", gvk.String(), "error", err.Error())
			continue
		}
		s.mu.Lock()
		s.synced[gvk] = inf.HasSynced
		s.mu.Unlock()
		s.log.Debug("Platform metrics watch a kind", "kind", gvk.String())
	}
	return done
}

// skip logs, once per kind, why it is not watched yet.
func (s *Sources) skip(gvk schema.GroupVersionKind, msg string, kv ...any) {
	s.mu.Lock()
	first := !s.skipped[gvk]
	s.skipped[gvk] = true
	s.mu.Unlock()
	if first {
		s.log.Info(msg, append([]any{"kind", gvk.String(), "interval", s.Interval.String()}, kv...)...)
	}
}

// Synced says whether gvk's informer has started and synced: only then may
// it be listed without blocking.
func (s *Sources) Synced(gvk schema.GroupVersionKind) bool {
	s.mu.RLock()
	f, ok := s.synced[gvk]
	s.mu.RUnlock()
	return ok && f()
}

// Setup adds the Sources to mgr and registers their Collector with
// controller-runtime's metrics registry, which the manager serves on
// --metrics-bind-address. Objects are listed from mgr's informer cache.
//
// With a GitHub client pool (the controllers' own), the commit times of
// production deploys are read from GitHub in the background
// (CommitTimes) for platform_lead_time_seconds.
func Setup(mgr ctrl.Manager, log logging.Logger, gh *ghclient.Pool) error {
	s := NewSources(mgr.GetCache(), mgr.GetRESTMapper(), log)
	s.Allowed = ListWatchAllowed(mgr.GetClient())
	if err := mgr.Add(s); err != nil {
		return errors.Wrap(err, "cannot add the platform metrics' sources")
	}
	c := NewCollector(mgr.GetCache(), s, log)
	if gh != nil {
		c.Commits = NewCommitTimes(mgr.GetCache(), s, GitHubCommitTime(mgr.GetClient(), gh), log)
		if err := mgr.Add(c.Commits); err != nil {
			return errors.Wrap(err, "cannot add the lead time's commit times")
		}
	}
	return errors.Wrap(metrics.Registry.Register(c), "cannot register the platform metrics")
}

// ListWatchAllowed asks the API server whether the provider's own identity
// may list and watch a resource in every namespace (a
// SelfSubjectAccessReview each;
// https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access).
// Every authenticated identity may create them: the default ClusterRole
// system:basic-user, bound to system:authenticated
// (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles).
func ListWatchAllowed(c client.Client) func(ctx context.Context, r schema.GroupVersionResource) (bool, error) {
	return func(ctx context.Context, r schema.GroupVersionResource) (bool, error) {
		for _, verb := range []string{"list", "watch"} {
			review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{Group: r.Group, Resource: r.Resource, Verb: verb},
			}}
			if err := c.Create(ctx, review); err != nil {
				return false, errors.Wrapf(err, "cannot review access to %s %s", verb, r.GroupResource())
			}
			if !review.Status.Allowed {
				return false, nil
			}
		}
		return true, nil
	}
}
