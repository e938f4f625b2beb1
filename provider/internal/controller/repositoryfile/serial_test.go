package repositoryfile

import (
	"context"
	"errors"
	"testing"
)

// A repository's write lock is exclusive; another repository's is not
// held up by it, and the registry forgets a lock nobody holds.
func TestWriteLocks(t *testing.T) {
	w := newWriteLocks()
	done, cancel := context.WithCancel(context.Background())
	cancel() // a lock that would have to wait fails at once

	unlockA, err := w.lock(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.lock(done, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("second lock of repository 1 while held: %v, want to wait (context.Canceled)", err)
	}
	unlockB, err := w.lock(done, 2)
	if err != nil {
		t.Fatalf("lock of repository 2 while 1 is held: %v, want it at once", err)
	}
	unlockA()
	again, err := w.lock(done, 1)
	if err != nil {
		t.Fatalf("lock of repository 1 after its release: %v", err)
	}
	again()
	unlockB()
	if n := len(w.locks); n != 0 {
		t.Errorf("%d locks kept after every release, want 0", n)
	}
	var none *writeLocks
	if unlock, err := none.lock(done, 1); err != nil {
		t.Errorf("nil registry: %v", err)
	} else {
		unlock()
	}
}
