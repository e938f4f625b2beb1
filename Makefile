# paved — see README.md. Every target works on a fresh machine with only Go,
# gcc, Node.js and npm: pinned tools are built from the Go module proxy and
# cached outside the repo (PAVED_CACHE, default ~/.cache/paved).

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
GO ?= go

.PHONY: all build function test unit fuzz bench render render-check golden validate tools clean

all: build

build: function

function:
	$(GO) build -trimpath -o bin/function ./fn/cmd/function

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

unit:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzRunFunction -fuzztime=20s ./fn/

bench:
	$(GO) test -run='^$$' -bench=BenchmarkRunFunction -benchmem -count=5 ./fn/...

# The README's test command.
test: unit fuzz render-check validate

clean:
	rm -rf bin _output
