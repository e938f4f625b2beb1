# paved — see README.md. Every target works on a fresh machine with only Go,
# gcc, Node.js and npm (and Python 3, make and g++ where better-sqlite3 for
# the Backstage test backend must compile: docs/development.md, Requirements): pinned tools
# are built from the Go module proxy and cached outside the repo (PAVED_CACHE,
# default ~/.cache/paved).

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
# While make test runs its steps (PAVED_STEP_LOG, set by the test target),
# every recipe line runs through hack/step-shell.sh, which logs its
# target's start, end and CPU; make test prints them when its steps are
# done, passed or not (figure: test-step, hack/step-times.sh), so a run
# shows which step held it up and what each cost.
ifdef PAVED_STEP_LOG
SHELL := $(CURDIR)/hack/step-shell.sh
.SHELLFLAGS = $@ -euo pipefail -c
endif
GO ?= go
# Version of the packages make xpkg builds (image label, binary --version,
# the tag to push). Bump on release.
VERSION ?= v0.1.0

# Every Go build, vet and test here compiles as the shipped binaries do
# (static, CGO_ENABLED=0, -trimpath: make function, provider, paved;
# hack/xpkg.sh), so that one compiled copy of each dependency serves them
# all: cgo and -trimpath are part of the Go build cache's key, and a default
# `go test` or `go vet` compiled client-go, controller-runtime and the rest
# a second time (about 400 CPU-seconds cold on two cores; docs/performance.md,
# "CI"). Only the race detector needs cgo (go: -race requires cgo):
# RACE sets it for the race-built tests. Set CGO_ENABLED or GOFLAGS to
# override.
export CGO_ENABLED ?= 0
export GOFLAGS ?= -trimpath
RACE := CGO_ENABLED=1 $(GO) test -race

.PHONY: all build function provider paved discover-render generate generate-check github-openapi provider-test-deps provider-backstage-test test unit fuzz bench render render-check golden validate operation-render tools clean

all: build

build: function provider paved

# bin/function is built as it ships (hack/xpkg.sh, Dockerfile: static, no
# symbol table or DWARF; only its --version says dev), so that the tests,
# renders and hack/bench-ratio.sh's memory figures run the shipped binary;
# a cgo build also maps libc and the dynamic loader (+1.2 MiB resident).
# hack/xpkg's TestDockerfileLayout checks that the three agree.
function:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags "-s -w" -o bin/function ./fn/cmd/function

# bin/provider too is built as it ships (hack/xpkg.sh): the e2e suites run
# what the package holds, and the two builds share every compiled package
# (a cgo build would compile net, and all that imports it, a second time).
provider:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags "-s -w" -o bin/provider ./provider/cmd/provider

# The platform team's command (README.md, "Install"): paved environment
# discover, paved doctor. Built as it ships next to the packages (hack/xpkg.sh;
# hack/xpkg's TestPavedCommand checks both).
paved:
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags "-s -w" -o bin/paved ./cmd/paved

# Deepcopy, CRDs (package/crds) and managed-resource methods for the provider's
# APIs, and the function input's deepcopy and CRD (package/input), from pinned
# controller-gen and angryjet (hack/tools.sh).
generate:
	$(GO) generate -tags generate ./provider ./fn

# The part of GitHub's OpenAPI description the GitHub stand-in validates with
# (the paths it serves and the components they reference), cut from the
# pinned npm @octokit/openapi and committed, so that `go test ./...` needs
# Go alone. Tests use it unless PAVED_GITHUB_OPENAPI names the full one.
GITHUB_OPENAPI_CUT := test/ghtest/testdata/api.github.com.json
github-openapi:
	full=$$(hack/github-openapi.sh); $(GO) run ./test/ghtest/cmd/github-openapi-cut -in "$$full" -out $(GITHUB_OPENAPI_CUT)

# Fails when paved and the pinned tools in hack/tools select different
# versions of a module they share: each package then compiles once on a
# cold machine, not once per tool (hack/align-modules; -fix raises them).
.PHONY: modules-check
modules-check:
	$(GO) run ./hack/align-modules

# Fails when the committed generated files differ from what generate and
# github-openapi write. Both run in a copy of the tree (hack/generate-check.sh),
# so that make test never deletes and rewrites generated files under suites
# that run beside it (.ci/run).
GENERATED := provider/apis fn/input package/crds package/input $(GITHUB_OPENAPI_CUT)
generate-check:
	hack/generate-check.sh $(GENERATED)

# GitHub's full OpenAPI description (npm @octokit/openapi, pinned by a
# lockfile), which make's test targets validate the GitHub stand-in's
# traffic with instead of the committed cut.
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

# The day-two checks' CronOperation rendered with the crossplane CLI's
# `operation render` and core's Operation engine, the function in-process
# with its clock on a day a database's CA expires in 20 days
# (fn/operation_render_test.go).
operation-render: tools
	PAVED_CROSSPLANE_CLI=$$(hack/tools.sh crossplane-cli) PAVED_CROSSPLANE_CORE=$$(hack/tools.sh crossplane-core) \
	$(GO) test -tags operationrender -count=1 -run '^TestDayTwoOperationRender$$' -v ./fn/ | grep -E '^(=== RUN|--- |PASS|FAIL|ok|    )|rendered'; exit $${PIPESTATUS[0]}

# Render every example, compare with the golden files (as render-check),
# and validate every render output against the real CRDs of what it holds
# (provider-aws, paved's provider and XRDs, Argo CD: hack/render.sh).
validate: function tools
	hack/render.sh validate

# go vet is make lint's: golangci-lint's govet runs every analyzer go vet
# runs and more (.golangci.yml: enable-all), over the test files and every
# build tag, so a `go vet ./...` here analysed the same code a second time.
unit: provider-test-deps
	PAVED_GITHUB_OPENAPI=$$(hack/github-openapi.sh) $(RACE) -count=1 ./...

fuzz:
	hack/fuzz.sh

# The function's CPU per gRPC round trip against the same-bytes and decoded floors, for
# every kind (hack/bench-ratio.sh: figure lines, no assertion), and its
# resident memory (make rss, which asserts the budget; PAVED_BENCH_RSS=0
# leaves it out). .ci/run runs it with fewer rounds (BENCH_COUNT,
# BENCH_ROUNDS). Every benchmark, in process too: bench-all.
BENCH_COUNT ?= 5
BENCH_ROUNDS ?= 3000
.PHONY: bench bench-all
bench:
	hack/bench-ratio.sh $(BENCH_COUNT) $(BENCH_ROUNDS)

bench-all:
	$(GO) test -run='^$$' -bench=BenchmarkRunFunction -benchmem -count=5 ./fn/...

# Integration tests of the CatalogLocation controller, and of the ServiceBundle's
# generated catalog-info.yaml, against a real Backstage
# catalog backend from npm (installed and cached by hack/backstage-backend.sh,
# cold ~5-12 min) that the test harness starts on 127.0.0.1, and against a
# real kube-apiserver (envtest; the e2e tools, built once and cached).
provider-backstage-test:
	hack/backstage-backend.sh >/dev/null
	hack/tools.sh etcd >/dev/null
	hack/tools.sh kube-apiserver >/dev/null
	$(GO) test -tags backstage -count=1 -timeout 20m -v ./provider/internal/controller/cataloglocation/ ./test/backstagetest/
	$(GO) test -tags backstage -count=1 -timeout 10m -run TestCatalogInfoAgainstBackstage -v ./fn/servicebundle/
	$(GO) test -tags backstage -count=1 -timeout 10m -run TestDoctorBackstageRules -v ./cmd/paved/

# The function binary as it ships (make function) holds its resident-memory
# budget after 10,000 mixed first-reconcile requests (fn/rss_test.go, which
# prints its figure: lines). A budget, not a timing: it may fail a run.
.PHONY: rss
rss: function
	PAVED_RSS_FUNCTION=$(CURDIR)/bin/function $(GO) test -tags rss -run='^TestRSSAfterMixedRequests$$' -count=1 -v ./fn/ | grep -E '^(=== RUN|--- |PASS|FAIL|ok|    )|figure:|budget'; exit $${PIPESTATUS[0]}

# golangci-lint, pinned (hack/tools.sh golangci-lint), with .golangci.yml:
# every linter on, each one off says why; every //nolint names its linter
# and reason. --allow-serial-runners: a second run on the machine (another
# checkout's make test) waits for the first instead of failing with
# "parallel golangci-lint is running".
.PHONY: lint
lint:
	$$(hack/tools.sh golangci-lint) run --allow-serial-runners ./...

# bin/paved environment discover against the AWS stand-in, then every
# example that renders rendered with the EnvironmentConfig it printed
# (crossplane CLI, core and bin/function as make render runs them), and
# that EnvironmentConfig validated against Crossplane's CRD
# (cmd/paved/render_test.go).
discover-render: function paved tools
	PAVED_BIN=$(CURDIR)/bin/paved PAVED_FUNCTION=$(CURDIR)/bin/function \
	PAVED_CROSSPLANE_CLI=$$(hack/tools.sh crossplane-cli) PAVED_CROSSPLANE_CORE=$$(hack/tools.sh crossplane-core) \
	PAVED_CROSSPLANE_CRDS=$$(hack/tools.sh crossplane-crds) \
	$(GO) test -count=1 -run '^TestDiscoveredEnvironmentRenders$$' -v ./cmd/paved/ | grep -E '^(=== RUN|--- |PASS|FAIL|ok|    )|figure:'; exit $${PIPESTATUS[0]}

# paved doctor through a kubeconfig against a real kube-apiserver (envtest,
# the e2e tools, built once and cached) holding Crossplane's, provider-paved's,
# provider-aws's and Argo CD's CRDs and a healthy install
# (cmd/paved/doctor_apiserver_test.go).
.PHONY: doctor-apiserver
doctor-apiserver:
	for t in etcd kube-apiserver crossplane-crds provider-aws-crds argocd-crds; do hack/tools.sh $$t >/dev/null; done
	$(GO) test -tags apiserver -count=1 -run '^TestDoctorAPIServer$$' ./cmd/paved/

# The README's test command. render-check is not among its steps: validate
# renders every example and compares it with examples/golden as render-check
# does (hack/render.sh, "check|validate"), then validates the renders.
#
# The steps are independent of one another, so they run side by side,
# TEST_JOBS at a time (a sub-make: `make test` alone does it, and each
# step's output is printed whole when it ends, --output-sync): each writes
# only its own _output/<dir> (generate-check works in a copy of the tree),
# binds free loopback ports, and builds the pinned tools it needs under
# hack/tools.sh's per-tool lock, so a tool another step or .ci/run is
# building is waited for, not built twice. Several steps mostly wait (a
# Backstage backend starting, envtest's apiserver, the fuzzers' fixed
# time), and one after another they left a core idle for minutes
# (docs/performance.md, "CI"). The longest, unit (the race build), comes
# first: its prerequisite is made before the sub-make (-o: not again in
# it), because make -j starts a step whose prerequisite is still running
# only after every step behind it has started (seen: the race build last,
# alone, for minutes). TEST_JOBS=1 runs them in turn.
TEST_JOBS ?= 2
TEST_STEPS := unit lint provider-backstage-test generate-check modules-check fuzz validate operation-render rss xpkg-test ci-example discover-render doctor-apiserver
.PHONY: test-steps
test: provider-test-deps
	mkdir -p _output && rm -f _output/test-steps.log
	rc=0; PAVED_STEP_LOG=$(CURDIR)/_output/test-steps.log $(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target -o provider-test-deps test-steps || rc=$$?; \
	hack/step-times.sh _output/test-steps.log; exit $$rc

test-steps: $(TEST_STEPS)

# End-to-end tests on a real control plane on loopback (etcd, kube-apiserver,
# kube-controller-manager, Crossplane core; see test/e2e), with function-paved,
# bin/provider, the GitHub stand-in and the real Backstage catalog backend
# (hack/backstage-backend.sh, cached) on the golden path. The binaries are
# built once into PAVED_CACHE; logs of every process land in _output/e2e/.
# The suite takes ~20 min on two cores since the redis, mongodb, queue and
# bundle-migration tests joined it: -timeout leaves room for a loaded machine.
# Every control-plane suite (e2e, provider-e2e, provider-scale, e2e-packages)
# runs its own control plane in private network and PID namespaces
# (test/harness) and owns _output/<suite>, so .ci/run starts them side by
# side with make test; only provider-e2e and provider-scale share
# _output/provider-e2e (one binary, ./provider/test/e2e) and run in turn.
.PHONY: e2e
E2E_TOOLS := etcd kube-apiserver kube-controller-manager crossplane-core provider-aws-crds
e2e: function provider paved provider-test-deps
	for t in $(E2E_TOOLS) argocd-crds; do hack/tools.sh $$t >/dev/null; done
	hack/backstage-backend.sh >/dev/null
	PAVED_GITHUB_OPENAPI=$$(hack/github-openapi.sh) $(GO) test -tags e2e -count=1 -timeout=35m -v ./test/e2e/

# bin/provider against a real kube-apiserver (test/harness, private
# network namespace, needs root), the OpenAPI-validated GitHub stand-in and,
# for CatalogLocations, the real Backstage catalog backend.
.PHONY: provider-e2e
provider-e2e: provider provider-test-deps
	for t in etcd kube-apiserver kube-controller-manager crossplane-core; do hack/tools.sh $$t >/dev/null; done
	hack/backstage-backend.sh >/dev/null
	PAVED_GITHUB_OPENAPI=$$(hack/github-openapi.sh) $(GO) test -tags e2e -count=1 -timeout=10m -v ./provider/test/e2e/

# bin/provider at scale on the same control plane and stand-in: SCALE
# Repositories and a RepositoryFile each, then 20% injected faults (see
# provider/test/e2e/scale_test.go). Prints figure: lines. Not part of
# `make test`; .ci/run runs a reduced SCALE after provider-e2e (same
# _output/provider-e2e). RATE sets the provider's
# --max-reconcile-rate (default: the provider's own).
.PHONY: provider-scale
SCALE ?= 1000
RATE ?=
provider-scale: provider provider-test-deps
	for t in etcd kube-apiserver kube-controller-manager crossplane-core; do hack/tools.sh $$t >/dev/null; done
	PAVED_SCALE=$(SCALE) PAVED_SCALE_RATE=$(RATE) PAVED_GITHUB_OPENAPI=$$(hack/github-openapi.sh) $(GO) test -tags e2e,scale -run '^TestScale$$' -count=1 -timeout=90m -v ./provider/test/e2e/

clean:
	rm -rf bin _output

# paved's Crossplane packages, no Docker engine: _output/xpkg/function-paved.xpkg,
# provider-paved.xpkg (runtime images assembled in Go, hack/xpkg) and paved.xpkg
# (the Configuration), with the paved command, paved-<os>-<arch>. See
# hack/xpkg.sh and README.md, "Install".
.PHONY: xpkg xpkg-test
xpkg:
	VERSION=$(VERSION) hack/xpkg.sh

# The image builder's and package checker's tests (not race-built: they
# start no goroutines, and a race build compiled go-containerregistry and
# the rest a second time), then an inspection of the
# packages make xpkg wrote (package.yaml objects, runtime image config, files,
# install manifests), and the Grafana dashboard among them parsed with
# Prometheus's PromQL parser (hack/dashboard, a module of its own).
xpkg-test: xpkg
	cd hack/xpkg && $(GO) vet ./... && PAVED_XPKG_DIR=$(CURDIR)/_output/xpkg PAVED_XPKG_VERSION=$(VERSION) $(GO) test -count=1 ./...
	cd hack/dashboard && $(GO) vet ./... && PAVED_XPKG_DIR=$(CURDIR)/_output/xpkg $(GO) test -count=1 -v ./... | grep -E '^(=== RUN|--- |PASS|FAIL|ok|    )|panels'; exit $${PIPESTATUS[0]}

# examples/ci/render-claims.sh, the CI step users copy, on paved's own example
# claims (all render and validate), and on an invalid one (must fail).
.PHONY: ci-example
ci-example: function tools
	examples/ci/render-claims.sh examples/*/claim.yaml
	if examples/ci/render-claims.sh examples/invalid/xr-bad-size.yaml >/dev/null 2>&1; then echo "render-claims.sh accepted an invalid claim" >&2; exit 1; fi

# paved's packages installed by Crossplane itself (test/e2e/packages): pushed
# with `crossplane xpkg push` to a TLS registry on loopback, then Function,
# Provider and Configuration objects that core fetches and unpacks; the
# binaries from the images run (External runtime) and a DatabaseClaim
# composes through the installed Composition. .ci/run runs it right after
# make test with `make -o xpkg`: the packages make test just built.
.PHONY: e2e-packages
e2e-packages: xpkg
	for t in $(E2E_TOOLS) crossplane-cli; do hack/tools.sh $$t >/dev/null; done
	PAVED_XPKG_DIR=$(CURDIR)/_output/xpkg PAVED_XPKG_VERSION=$(VERSION) $(GO) test -tags e2e -count=1 -timeout=15m -v ./test/e2e/packages/

# Every example rendered with the crossplane CLI v1.20.1 (`crossplane
# render`, formerly `beta render`: the in-process engine users on v1 run),
# compared with examples/golden (docs/development.md, "Rendering with crossplane v1.20").
.PHONY: render-compat
render-compat: function
	hack/tools.sh crossplane-cli-v1 >/dev/null
	hack/render-compat.sh
