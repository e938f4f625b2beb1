//go:build generate

// Code generation for the provider's APIs. Run `make generate` (or
// `go generate -tags generate ./provider` from the repository root). The tools
// are pinned in hack/tools/{controller-gen,angryjet} and built by
// hack/tools.sh. Generated files (zz_generated.*.go, package/crds) are never
// edited by hand.

// Remove stale generated files first so deleted types leave nothing behind.
//go:generate bash -c "find ./apis -name 'zz_generated.*.go' -delete && rm -f ../package/crds/*.yaml"

// Deepcopy methods and CRDs.
//go:generate bash -c "$(../hack/tools.sh controller-gen) object:headerFile=../hack/boilerplate.go.txt paths=./apis/..."
//go:generate bash -c "$(../hack/tools.sh controller-gen) crd:crdVersions=v1,allowDangerousTypes=false paths=./apis/... output:crd:artifacts:config=../package/crds"

// Managed resource, ProviderConfig(Usage) method sets and reference resolvers.
// Build tag angryjet leaves out the namespaced kinds' hand-written
// resolvers (provider/apis/namespaced/*/v1alpha1/resolvers.go), which need
// the methods angryjet writes: it loads only packages that type-check.
//go:generate bash -c "GOFLAGS=-tags=angryjet $(../hack/tools.sh angryjet) generate-methodsets --header-file=../hack/boilerplate.go.txt ./apis/..."

package provider
