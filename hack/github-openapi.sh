#!/usr/bin/env bash
# Installs GitHub's official OpenAPI description (npm @octokit/openapi, pinned
# by test/github-openapi/package-lock.json) into that folder's
# node_modules (gitignored) and prints the path of the full description.
# `make github-openapi` cuts the committed copy the GitHub stand-in uses from
# it; tests validate with the full one instead when PAVED_GITHUB_OPENAPI
# names it (make's test targets do).
set -euo pipefail

dir=$(cd "$(dirname "$0")/../test/github-openapi" && pwd)
spec="$dir/node_modules/@octokit/openapi/generated/api.github.com.json"
if [ ! -s "$spec" ]; then
  echo "installing @octokit/openapi into $dir/node_modules ..." >&2
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund >&2)
fi
[ -s "$spec" ] || { echo "$spec missing after npm ci" >&2; exit 1; }
echo "$spec"
