// Builds the runtime images of function-paved and provider-paved in Go, with
// no Docker engine (make xpkg). Its own module so go-containerregistry never
// reaches paved's go.mod.
module github.com/paved-dev/paved/hack/xpkg

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/go-containerregistry v0.21.9
	go.yaml.in/yaml/v3 v3.0.4
	golang.org/x/crypto/x509roots/fallback v0.0.0-20261030153154-30a33513ff6d
)

require (
	github.com/klauspost/compress v1.19.1 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
