#!/usr/bin/env bash
# Build (once) the FerretDB launcher in test/ferretdb and print the binary's path.
# The binary is cached outside the checkout, keyed by the launcher's sources, so CI
# and later runs skip the compile. Usage: scripts/ferretdb.sh [build|path]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/test/ferretdb"
key=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)
cache="${TENANTADM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantadm}"
bin="$cache/ferretdb-v1.24.2-$key/ferretdb-launcher"
if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "scripts/ferretdb.sh: Go is needed to build the test database (FerretDB)" >&2; exit 1; }
  echo "building FerretDB v1.24.2 launcher (once; cached in $cache)..." >&2
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -o "$bin.tmp" .) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
