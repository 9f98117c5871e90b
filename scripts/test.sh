#!/usr/bin/env bash
# The one command that runs the whole test suite on a fresh machine:
# it installs what is missing, builds, starts FerretDB (or uses $MONGODB_URI) and runs jest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh --tests
exec npx jest "$@"
