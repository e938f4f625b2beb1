// Package version holds the version of paved's binaries. Builds stamp it with
//
//	-ldflags "-X github.com/paved-dev/paved/internal/version.Version=v0.1.0"
//
// (make xpkg and the Dockerfile do); plain `go build` leaves "dev".
package version

// Version of this build.
var Version = "dev"
