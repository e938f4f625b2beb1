package repository

import (
	"fmt"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

// apiError keeps a GitHub error in the chain (errors.Is and errors.As see
// go-github's *ErrorResponse, *RateLimitError, ...) while its message is
// ghclient.Describe's: the status and GitHub's message, never a header.
type apiError struct{ err error }

func (e apiError) Error() string { return ghclient.Describe(e.err) }
func (e apiError) Unwrap() error { return e.err }

// wrap annotates a GitHub error with what the controller was doing.
func wrap(err error, msg string) error {
	if err == nil {
		return nil
	}
	return errors.Wrap(apiError{err: err}, msg)
}

// movedError says the repository this resource manages now belongs to
// another owner: GitHub redirected its name (or its id) to a repository of
// another owner, which is what a transfer does
// (https://docs.github.com/en/repositories/creating-and-managing-repositories/transferring-a-repository).
type movedError struct {
	id              int64
	fullName, owner string
}

func (e movedError) Error() string {
	return fmt.Sprintf("repository id %d is now %q, not owned by %q: it was transferred; refusing to touch it", e.id, e.fullName, e.owner)
}

// isMoved reports whether err says the repository was transferred.
func isMoved(err error) bool {
	var m movedError
	return errors.As(err, &m)
}
