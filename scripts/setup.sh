#!/usr/bin/env bash
# Install what the demo needs, once: Debian tools (jq, redis-server, man-db), the npm packages
# from the lock file, the build and the FerretDB test server. With --tests (scripts/test.sh) also
# Mender's own services, which only the end-to-end tests run (building them is most of a cold setup).
# Safe to re-run; it skips what is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

need=()
command -v jq >/dev/null || need+=(jq)
command -v redis-server >/dev/null || need+=(redis-server)
command -v man >/dev/null || need+=(man-db)   # the package test finds the installed man page with man -w
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need[*]} from Debian..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need[@]}" >&2
  else
    echo "setup: please install ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

command -v go >/dev/null || { echo "setup: Go (>= 1.24) is needed to build the test database, FerretDB" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  { echo "setup: Node.js >= 20.19 is needed (found $(node --version))" >&2; exit 1; }

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.tenantadm-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund >&2
  cp package-lock.json "$stamp"
fi
npm run --silent build >&2
scripts/ferretdb.sh >/dev/null
# Mender's own services (deviceauth, useradm, deployments) at two versions, for the e2e tests only.
if [ "${1:-}" = "--tests" ]; then
  scripts/mender-services.sh >/dev/null
fi
