package repository

import (
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
