#!/usr/bin/env bash
# Installs the real Backstage catalog backend that the provider's integration
# tests start (test/backstage), and prints that directory.
#
# The node_modules tree is installed once with `npm ci` from the committed
# package-lock.json and cached outside the repo, keyed by the hash of
# package.json and package-lock.json:
#   ${PAVED_CACHE:-$HOME/.cache/paved}/backstage/<hash>/node_modules
# test/backstage/node_modules (gitignored) is a symlink to it.
# A cold install takes about 5 minutes (better-sqlite3 compiles from source).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/test/backstage
cache=${PAVED_CACHE:-$HOME/.cache/paved}/backstage

hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)
dir=$cache/$hash

# better-sqlite3's prebuilt binary is on GitHub, which a build machine may
# not reach; npm then compiles it with node-gyp, which needs the running
# Node's headers and downloads them from nodejs.org unless npm's nodedir
# names a directory that has them (https://github.com/nodejs/node-gyp#configuration,
# --nodedir). A machine whose npm sets none (no ~/.npmrc) but whose Node
# ships its headers beside it (Debian's nodejs: /usr/include/node) uses
# those, when they are the running Node's version.
node_headers() {
  local prefix version
  prefix=$(dirname "$(dirname "$(command -v node)")")
  version=$(node -p 'process.versions.node')
  [ -f "$prefix/include/node/node_version.h" ] || return 1
  [ "$(awk '/define NODE_(MAJOR|MINOR|PATCH)_VERSION /{v = v (v == "" ? "" : ".") $3} END {print v}' "$prefix/include/node/node_version.h")" = "$version" ] || return 1
  echo "$prefix"
}

if [ ! -f "$dir/.complete" ]; then
  if [ -z "${npm_config_nodedir:-}" ] && [ "$(npm config get nodedir)" = undefined ] && prefix=$(node_headers); then
    export npm_config_nodedir=$prefix
  fi
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/package.json" "$src/package-lock.json" "$tmp/"
  echo "installing the Backstage test backend ($hash) into $dir ..." >&2
  start=$(date +%s)
  (cd "$tmp" && nice -n 10 npm ci --no-audit --no-fund --loglevel=error >&2) || {
    echo "npm ci failed: where better-sqlite3's prebuilt binary cannot be downloaded, npm compiles it (node-gyp), which needs python3, make, g++ and the running Node's headers (npm's nodedir)" >&2
    exit 1
  }
  touch "$tmp/.complete"
  if ! mv -T "$tmp" "$dir" 2>/dev/null; then
    # Another install finished first; keep it.
    [ -f "$dir/.complete" ] || { echo "cannot move the install into $dir" >&2; exit 1; }
  fi
  trap - EXIT
  rm -rf "$tmp"
  echo "installed in $(( $(date +%s) - start )) s" >&2
fi

link=$src/node_modules
if [ -L "$link" ] && [ "$(readlink "$link")" = "$dir/node_modules" ]; then
  : # already linked: suites started side by side (.ci/run) leave it alone
elif [ -L "$link" ] || [ ! -e "$link" ]; then
  ln -sfn "$dir/node_modules" "$link"
else
  echo "$link is a real directory; using it as it is" >&2
fi
echo "$src"
