#!/usr/bin/env bash
# Run a command with a throwaway FerretDB (SQLite in a temp dir) on a free port:
# exports TENANTADM_MONGO for the command and removes everything afterwards.
# Usage: scripts/with-ferretdb.sh COMMAND [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/scripts/ferretdb.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/tenantadm-db-XXXXXX")
coproc FDB { exec "$bin" --sqlite-dir "$work/db" --exit-on-stdin-eof; }
fdb_pid=$FDB_PID
cleanup() {
  kill "$fdb_pid" 2>/dev/null || true
  wait "$fdb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
read -r uri <&"${FDB[0]}"
export TENANTADM_MONGO="${uri%/}/?directConnection=true"
export TENANTADM_TMP="$work"
"$@"
