package ghtest

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestGetCommit: GET /repos/{owner}/{repo}/commits/{ref} answers a branch
// head's commit, by sha or branch, with the time it was committed; an
// unknown sha is 422, a missing repository 404 (GitHub's answers, held to
// its OpenAPI description by newServer).
func TestGetCommit(t *testing.T) {
	s, c := newServer(t)
	ctx := context.Background()
	s.CreateOutOfBand("acme", "svc")
	pushed := time.Now().UTC().Truncate(time.Second)
	if !s.SetFile("acme", "svc", "main", "app.go", "package main\n") {
		t.Fatal("SetFile refused")
	}
	ref, _, err := c.Git.GetRef(ctx, "acme", "svc", "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	sha := ref.GetObject().GetSHA()
	for _, r := range []string{sha, "main"} {
		cm, _, err := c.Repositories.GetCommit(ctx, "acme", "svc", r, nil)
		if err != nil {
			t.Fatalf("GetCommit(%s): %v", r, err)
		}
		at := cm.GetCommit().GetCommitter().GetDate().Time
		if cm.GetSHA() != sha || at.Before(pushed) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("GetCommit(%s) = %s at %s, want %s committed since %s", r, cm.GetSHA(), at, sha, pushed)
		}
	}
	_, rsp, err := c.Repositories.GetCommit(ctx, "acme", "svc", "0123456789abcdef0123456789abcdef01234567", nil)
	if err == nil || rsp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown sha: %v, want 422", err)
	}
	_, rsp, err = c.Repositories.GetCommit(ctx, "acme", "nothing", sha, nil)
	if err == nil || rsp.StatusCode != http.StatusNotFound {
		t.Errorf("missing repository: %v, want 404", err)
	}
}
