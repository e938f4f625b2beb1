# paved — see README.md. Every target works on a fresh machine with only Go,
# gcc, Node.js and npm: pinned tools are built from the Go module proxy and
# cached outside the repo (PAVED_CACHE, default ~/.cache/paved).

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go

.PHONY: all build function provider generate generate-check provider-test-deps test unit fuzz bench render render-check golden validate tools clean

all: build

build: function provider

function:
	$(GO) build -trimpath -o bin/function ./fn/cmd/function

provider:
	$(GO) build -trimpath -o bin/provider ./provider/cmd/provider

# Deepcopy, CRDs (package/crds) and managed-resource methods for the provider's
# APIs, from pinned controller-gen and angryjet (hack/tools.sh).
generate:
	$(GO) generate -tags generate ./provider

# Fails when the committed generated files differ from what generate writes.
generate-check: generate
	git diff --exit-code -- provider/apis package/crds
	test -z "$$(git status --porcelain --untracked-files=all -- provider/apis package/crds)"

# GitHub's OpenAPI description (npm @octokit/openapi, pinned by a lockfile)
# that the provider's GitHub tests validate every request and response with.
provider-test-deps:
	hack/github-openapi.sh >/dev/null

tools:
	hack/tools.sh crossplane-cli >/dev/null
	hack/tools.sh crossplane-core >/dev/null

# The main job: render every example through the real crossplane CLI and print
# the composed resources.
render: function tools
	hack/render.sh print

# Render every example and compare with the committed golden files.
render-check: function tools
	hack/render.sh check

# Re-write the golden files after an intended change (review the diff!).
golden: function tools
	hack/render.sh update

# Validate every render output against the real provider-aws CRDs.
validate: function tools
	hack/render.sh validate

unit: provider-test-deps
	$(GO) vet ./...
	PAVED_GITHUB_OPENAPI=$$(hack/github-openapi.sh) $(GO) test -race -count=1 ./...

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzRunFunction -fuzztime=20s ./fn/

bench:
	$(GO) test -run='^$$' -bench=BenchmarkRunFunction -benchmem -count=5 ./fn/...

# The README's test command.
test: generate-check unit fuzz render-check validate

clean:
	rm -rf bin _output
