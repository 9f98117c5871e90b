#!/usr/bin/env bash
# Build (once) Mender's open-source deviceauth, useradm, deployments and workflows (with the
# NATS server it runs on) at the versions the end-to-end tests run, and print each version's
# cache dir (one line per version).
# Binaries are cached outside the checkout, keyed by the source archive's sha256, so later
# runs and CI skip the few-minute compile. Archives come from ../shared/mender-server/ (or
# $TENANTADM_MENDER_SRC); when missing, the same trees are fetched from GitHub.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="${TENANTADM_MENDER_SRC:-$root/../shared/mender-server}"
cache="${TENANTADM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantadm}"
services=(deviceauth useradm deployments workflows nats-server)
# version -> git ref on github.com/mendersoftware/mender-server (the archive gives no full hash).
declare -A refs=([v4.1.3]=v4.1.3 [main-f954ef50]=f954ef50)
versions=(v4.1.3 main-f954ef50)

log() { echo "mender-services: $*" >&2; }

command -v go >/dev/null || { log "Go is needed to build Mender's services"; exit 1; }
mkdir -p "$cache"

archive_for() {
  local version=$1 archive="$src/mender-server-$1.tar.gz"
  if [ -f "$archive" ]; then echo "$archive"; return; fi
  archive="$cache/mender-server-$version.tar.gz"
  if [ ! -f "$archive" ]; then
    local url="https://codeload.github.com/mendersoftware/mender-server/tar.gz/${refs[$version]}"
    log "no archive for $version in $src; downloading $url"
    curl -fsSL --retry 3 -o "$archive.tmp" "$url"
    mv "$archive.tmp" "$archive"
  fi
  echo "$archive"
}

build_version() {
  local version=$1 archive key out missing=() s
  archive=$(archive_for "$version")
  key=$(sha256sum "$archive" | cut -c1-16)
  out="$cache/mender-$version-$key"
  for s in "${services[@]}"; do [ -x "$out/$s" ] || missing+=("$s"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "building ${missing[*]} at $version (once; cached in $out)..."
    local tmp
    tmp=$(mktemp -d "$cache/.src-$version-XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    tar -xzf "$archive" -C "$tmp"
    # The workflows service comes in an archive of its own, beside the main one (same tree).
    local extra="${archive%.tar.gz}-workflows.tar.gz"
    [ -f "$extra" ] || extra="$src/mender-server-$version-workflows.tar.gz"
    [ -f "$extra" ] && tar -xzf "$extra" -C "$tmp"
    # Our archives hold backend/ at the top; GitHub's hold mender-server-<ref>/backend.
    local backend
    backend=$(find "$tmp" -maxdepth 2 -type d -name backend -print -quit)
    [ -n "$backend" ] && [ -f "$backend/go.mod" ] || { log "no backend/go.mod in $archive"; exit 1; }
    mkdir -p "$out"
    # plans.yaml: useradm needs it at run time (USERADM_PLAN_DEFINITIONS_PATH).
    cp "$backend/services/useradm/config/plans.yaml" "$out/useradm-plans.yaml" 2>/dev/null || true
    for s in "${missing[@]}"; do
      local start=$SECONDS
      # nats-server: the version the backend's go.sum names (workflows needs JetStream).
      local pkg="./services/$s"
      [ "$s" = nats-server ] && pkg=github.com/nats-io/nats-server/v2
      (cd "$backend" && CGO_ENABLED=1 go build -trimpath -o "$out/.$s.tmp" "$pkg") >&2
      mv "$out/.$s.tmp" "$out/$s"
      log "$version $s built in $((SECONDS - start)) s"
    done
  fi
  echo "$out"
}

for v in "${versions[@]}"; do build_version "$v"; done
