#!/usr/bin/env bash
# make generate-check: runs what make generate and make github-openapi run
# in a copy of the working tree (tracked and untracked, not ignored, files)
# and fails when what they write there differs from the index here, or adds
# a file there. The working tree itself is never written: make generate
# deletes the generated files before writing them again, and suites that
# run beside make test (.ci/run) compile provider/apis and read package/crds.
# Both targets run in the copy as the Makefile has them.
#
#   hack/generate-check.sh path...   # the generated paths (Makefile GENERATED)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ $# -gt 0 ] || { echo "usage: $0 path..." >&2; exit 2; }

mkdir -p _output
tmp=$(mktemp -d "$root/_output/generate-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git ls-files -z --cached --others --exclude-standard |
  tar -c --null --ignore-failed-read -T - -f - 2>/dev/null | tar -x -C "$tmp" -f -

# The copy shares this tree's @octokit/openapi install (hack/github-openapi.sh).
hack/github-openapi.sh >/dev/null
ln -s "$root/test/github-openapi/node_modules" "$tmp/test/github-openapi/node_modules"
# A make of its own: make test's jobserver (make -j) does not reach a
# script's make (it warned "jobserver unavailable"), and these two targets
# run in turn.
MAKEFLAGS= make -C "$tmp" --no-print-directory generate github-openapi

# The copy compared with this tree's index; GIT_OPTIONAL_LOCKS=0 keeps git
# from refreshing (writing) the index with the copy's file times.
g() { GIT_OPTIONAL_LOCKS=0 GIT_DIR=$(git rev-parse --absolute-git-dir) GIT_WORK_TREE=$tmp git "$@"; }
g diff --exit-code -- "$@"
added=$(g status --porcelain --untracked-files=all -- "$@")
[ -z "$added" ] || { echo "make generate wrote files that are not committed:" >&2; echo "$added" >&2; exit 1; }
