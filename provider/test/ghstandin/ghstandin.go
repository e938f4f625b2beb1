// Package ghstandin opens the provider's GitHub stand-in
// (provider/internal/clients/github/ghtest: stateful, every request and
// response validated against GitHub's OpenAPI description) to tests outside
// provider/, such as the golden path in test/e2e, which Go's internal-package
// rule keeps from importing it. It adds nothing: the types are ghtest's.
package ghstandin

import (
	"github.com/paved-dev/paved/provider/internal/clients/github/ghtest"
)

// EnvOpenAPI names the environment variable that may hold the path of
// GitHub's full OpenAPI description (hack/github-openapi.sh prints it);
// without it the stand-in validates with the committed cut of it.
const EnvOpenAPI = ghtest.EnvOpenAPI

type (
	// Server is the stand-in.
	Server = ghtest.Server
	// Fault is an injected failure (Server.Inject, Server.InjectRandom).
	Fault = ghtest.Fault
	// FaultWindow is a failure that lasts until it is ended
	// (Server.StartFaultWindow, Server.EndFaultWindow).
	FaultWindow = ghtest.FaultWindow
	// Stats count what the stand-in has served.
	Stats = ghtest.Stats
	// RepoState is a test's view of a repository.
	RepoState = ghtest.RepoState
	// PullRequest is a test's view of a pull request.
	PullRequest = ghtest.PullRequest
)

// Start loads GitHub's OpenAPI description (ghtest.LoadValidator) and starts a
// stand-in on 127.0.0.1 that validates its traffic against it. Close it
// when done.
func Start() (*Server, error) {
	v, err := ghtest.LoadValidator()
	if err != nil {
		return nil, err
	}
	return ghtest.NewServer(v), nil
}
