package repositoryfile

import (
	"context"
	"sync"
)

// Content writes to one repository are serialised: "If you use this
// endpoint and the "Delete a file" endpoint in parallel, the concurrent
// requests will conflict and you will receive errors. You must use these
// endpoints serially instead."
// (https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents,
// the same note on #delete-a-file). GitHub answers the loser 409 "is at
// <sha> but expected <sha>" (integrations/terraform-provider-github#2909).
// Several RepositoryFiles of one repository (a service's catalog file,
// CODEOWNERS, ...) are reconciled by parallel workers; without this, all but
// one of their writes would fail and be retried with backoff, each retry
// spending requests of the rate limit. Writes to different repositories
// do not wait for each other.

// writeLocks holds one lock per repository id, while it is held or waited
// for: the map does not grow with every repository ever written.
type writeLocks struct {
	mu    sync.Mutex
	locks map[int64]*writeLock
}

type writeLock struct {
	held  chan struct{} // holds a token while the lock is held
	users int           // holders and waiters
}

func newWriteLocks() *writeLocks { return &writeLocks{locks: map[int64]*writeLock{}} }

// lock takes the write lock of repository id, waiting for it until ctx is
// done, and returns its release. A nil *writeLocks serialises nothing.
func (w *writeLocks) lock(ctx context.Context, id int64) (func(), error) {
	if w == nil {
		return func() {}, nil
	}
	w.mu.Lock()
	l, ok := w.locks[id]
	if !ok {
		l = &writeLock{held: make(chan struct{}, 1)}
		w.locks[id] = l
	}
	l.users++
	w.mu.Unlock()

	done := func() {
		w.mu.Lock()
		if l.users--; l.users == 0 {
			delete(w.locks, id)
		}
		w.mu.Unlock()
	}
	select {
	case l.held <- struct{}{}:
	default:
		select {
		case l.held <- struct{}{}:
		case <-ctx.Done():
			done()
			return nil, ctx.Err()
		}
	}
	return func() {
		<-l.held
		done()
	}, nil
}
