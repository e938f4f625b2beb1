package signals

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	nsghv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// The guide's platform_lead_time_seconds{team,service}: for each
// production deploy Argo CD's history still holds, of an Application a
// ServiceBundle controls, the time from the commit of the deployed revision
// to the deploy.
//
//   - The deploy time is exact: the history entry's deployedAt, when Argo
//     CD's sync operation completed (argo-cd v3.1.0
//     pkg/apis/application/v1alpha1/types.go, RevisionHistory), by Argo CD's
//     clock. Argo CD keeps the last revisionHistoryLimit entries (default
//     10), so older deploys leave the histogram.
//   - The commit time is an estimate: the commit's committer date as GitHub
//     reports it (GET /repos/{owner}/{repo}/commits/{ref},
//     https://docs.github.com/en/rest/commits/commits#get-a-commit), which
//     git takes from the committer's clock (GitHub's own for merges made
//     on github.com); a rebase or amend moves it to when that was done.
//
// Commit times come from GitHub through provider-paved's own client pool,
// as the Repository's ProviderConfig names it (ghclient.Pool.ClientFor;
// a github.m.paved.dev Repository's ProviderConfig in its namespace or the
// ClusterProviderConfig it names, providerconfig.Resolver):
// every request counts against that identity's request budget and honours
// its rate limits like the controllers' (package github), and a commit's
// time never changes, so each is asked once per process (CommitTimes). A
// deploy whose commit time is not known yet is left out, never estimated.

// LeadTimeBuckets of platform_lead_time_seconds: five minutes to a week.
var LeadTimeBuckets = []float64{300, 900, 1800, 3600, 14400, 86400, 259200, 604800}

// environmentLeadTime is the environment whose deploys are a service's
// lead time: production (fn/servicebundle/delivery.go).
const environmentLeadTime = "production"

// LeadKey labels platform_lead_time_seconds.
type LeadKey struct{ Team, Service string }

// A Commit is a revision of a GitHub repository (owner/name).
type Commit struct{ Repo, SHA string }

// deployment is one production deploy in an Application's history, and
// the bundle's Repository its revision is a commit of.
type deployment struct {
	key        LeadKey
	commit     Commit
	deployedAt time.Time
	repo       scoped.Repository
}

// deployments lists the production deploys that Argo CD's history holds of
// the Applications ServiceBundles control, each with the bundle's
// Repository (the one the bundle controls that GitHub has named:
// status.atProvider.fullName). A legacy bundle composes a cluster-scoped
// Repository, a namespaced one a github.m.paved.dev Repository in its
// namespace (fn/internal/compose/dialect.go, pavedNamespacedKinds); either
// is read, whichever bundle controls it.
func deployments(s State) []deployment {
	bundles := bundlesOf(s)
	repos := map[types.UID]scoped.Repository{}
	controlled := func(r scoped.Repository) {
		if r.Observation().FullName == "" {
			return
		}
		for _, o := range r.GetOwnerReferences() {
			if _, ok := bundles[o.UID]; ok && o.Controller != nil && *o.Controller {
				repos[o.UID] = r
			}
		}
	}
	for i := range s.Repositories {
		controlled(&s.Repositories[i])
	}
	for i := range s.NamespacedRepositories {
		controlled(&s.NamespacedRepositories[i])
	}
	var out []deployment
	for i := range s.Objects[Application] {
		a := &s.Objects[Application][i]
		owner := controllerUID(a)
		repo, ok := repos[owner]
		if !ok || a.GetLabels()[labelEnvironment] != environmentLeadTime || a.GetLabels()[labelService] == "" {
			continue
		}
		key := LeadKey{Team: bounded(a.GetLabels()[labelTeam]), Service: bounded(a.GetLabels()[labelService])}
		hs, _, _ := unstructured.NestedSlice(a.Object, "status", "history")
		for _, h := range hs {
			m, ok := h.(map[string]any)
			if !ok {
				continue
			}
			rev, _ := m["revision"].(string)
			at, _ := m["deployedAt"].(string)
			t, err := time.Parse(time.RFC3339, at)
			if rev == "" || err != nil {
				continue
			}
			out = append(out, deployment{key: key, commit: Commit{Repo: repo.Observation().FullName, SHA: rev}, deployedAt: t, repo: repo})
		}
	}
	return out
}

// leadTimes observes each deploy whose commit time is known.
func leadTimes(s State, v *Values) {
	if s.CommitTime == nil {
		return
	}
	for _, d := range deployments(s) {
		t, ok := s.CommitTime(d.commit)
		if !ok {
			continue
		}
		h := v.LeadTime[d.key]
		if h == nil {
			h = newHistogram(LeadTimeBuckets)
			v.LeadTime[d.key] = h
		}
		// A commit dated after its deploy (a committer's clock ahead)
		// counts as no time, never as negative.
		h.observe(max(d.deployedAt.Sub(t), 0), LeadTimeBuckets)
	}
}

// FetchCommitTime asks GitHub when a commit of repo was made.
type FetchCommitTime func(ctx context.Context, repo resource.Managed, c Commit) (time.Time, error)

// GitHubCommitTime fetches a commit's committer date with the pooled
// client of the Repository's ProviderConfig (what its controller's Connect
// uses, so the request is counted and budgeted with the identity's other
// requests).
func GitHubCommitTime(kube client.Client, pool *ghclient.Pool) FetchCommitTime {
	return func(ctx context.Context, repo resource.Managed, c Commit) (time.Time, error) {
		gc, err := pool.ClientFor(ctx, kube, repo)
		if err != nil {
			return time.Time{}, err
		}
		owner, name, _ := strings.Cut(c.Repo, "/")
		cm, _, err := gc.Repositories.GetCommit(ctx, owner, name, c.SHA, nil)
		if err != nil {
			return time.Time{}, errors.Wrapf(err, "cannot get commit %s of %s", c.SHA, c.Repo)
		}
		d := cm.GetCommit().GetCommitter().GetDate()
		if d.IsZero() {
			return time.Time{}, errors.Errorf("commit %s of %s has no committer date", c.SHA, c.Repo)
		}
		return d.UTC(), nil
	}
}

// CommitTimes resolves, in the background, the commit times of the
// revisions production deploys hold, and remembers them: a manager.Runnable
// on every replica (the metrics are served by each). A commit GitHub does
// not know (404, 422) is not asked again; any other failure is retried at
// the next run. Each run asks at most MaxPerRun commits, and stops at the
// first answer that the identity's budget or GitHub's limits hold back.
type CommitTimes struct {
	reader  client.Reader
	sources Synced
	fetch   FetchCommitTime
	log     logging.Logger
	// Interval between runs; MaxPerRun bounds the requests of one.
	Interval  time.Duration
	MaxPerRun int

	mu      sync.RWMutex
	known   map[Commit]time.Time
	refused map[Commit]bool
}

// NewCommitTimes returns CommitTimes that lists with r what s has synced
// and asks fetch.
func NewCommitTimes(r client.Reader, s Synced, fetch FetchCommitTime, log logging.Logger) *CommitTimes {
	return &CommitTimes{reader: r, sources: s, fetch: fetch, log: log, Interval: time.Minute, MaxPerRun: 30,
		known: map[Commit]time.Time{}, refused: map[Commit]bool{}}
}

// Get returns a commit's time, if known.
func (c *CommitTimes) Get(k Commit) (time.Time, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.known[k]
	return t, ok
}

// NeedLeaderElection is false: every replica serves metrics.
func (c *CommitTimes) NeedLeaderElection() bool { return false }

// Start resolves every Interval until ctx is done.
func (c *CommitTimes) Start(ctx context.Context) error {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		c.Resolve(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// state lists what deployments reads: the Applications, the bundles of
// each dialect whose kind has synced (a platform may have either XRD, or
// both), and the Repositories of each scope that can be listed. ok is
// false when the Applications or no bundle kind can be listed.
func (c *CommitTimes) state(ctx context.Context) (State, bool) {
	s := State{Objects: map[schema.GroupVersionKind][]unstructured.Unstructured{}}
	list := func(gvk schema.GroupVersionKind) bool {
		if !c.sources.Synced(gvk) {
			return false
		}
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := c.reader.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return false
		}
		s.Objects[gvk] = l.Items
		return true
	}
	if !list(Application) {
		return s, false
	}
	bundles := false
	for _, gvk := range ServiceBundles {
		bundles = list(gvk) || bundles
	}
	rl := &ghv1alpha1.RepositoryList{}
	if err := c.reader.List(ctx, rl, client.UnsafeDisableDeepCopy); err == nil {
		s.Repositories, s.RepositoriesAvailable = rl.Items, true
	}
	nl := &nsghv1alpha1.RepositoryList{}
	if err := c.reader.List(ctx, nl, client.UnsafeDisableDeepCopy); err == nil {
		s.NamespacedRepositories, s.NamespacedRepositoriesAvailable = nl.Items, true
	}
	return s, bundles && (s.RepositoriesAvailable || s.NamespacedRepositoriesAvailable)
}

// Resolve asks GitHub for the commit times not known yet, at most
// MaxPerRun, and returns how many requests it made.
func (c *CommitTimes) Resolve(ctx context.Context) int {
	s, ok := c.state(ctx)
	if !ok {
		return 0
	}
	asked := 0
	for _, d := range deployments(s) {
		c.mu.RLock()
		_, known := c.known[d.commit]
		refused := c.refused[d.commit]
		c.mu.RUnlock()
		if known || refused {
			continue
		}
		if asked >= c.MaxPerRun {
			break
		}
		// The Repository is the cache's: the client pool is given a
		// copy (of either scope, a managed resource like the original).
		repo, ok := d.repo.DeepCopyObject().(resource.Managed)
		if !ok {
			continue
		}
		asked++
		t, err := c.fetch(ctx, repo, d.commit)
		switch code := ghclient.StatusCode(err); {
		case err == nil:
			c.mu.Lock()
			c.known[d.commit] = t
			c.mu.Unlock()
		case code == http.StatusNotFound || code == http.StatusUnprocessableEntity:
			c.mu.Lock()
			c.refused[d.commit] = true
			c.mu.Unlock()
			c.log.Debug("Platform metrics: GitHub does not know a deployed revision; leaving it out of the lead time", "repository", d.commit.Repo, "revision", d.commit.SHA)
		case ghclient.IsRateLimited(err):
			c.log.Debug("Platform metrics: commit times wait for the GitHub identity's budget", "error", err.Error())
			return asked
		default:
			c.log.Info("Platform metrics cannot get a deployed revision's commit time; asking again next run", "repository", d.commit.Repo, "error", err.Error())
		}
	}
	return asked
}
