#!/usr/bin/env bash
# The main job on a throwaway local database: create tenants, promote one to Service
# Provider, give it children with device capacity, reallocate, bill, read the audit log. Installs what is missing first (scripts/setup.sh,
# without Mender's services: the demo needs only the database).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ "${1:-}" != "--inner" ]; then
  scripts/setup.sh
  exec scripts/with-ferretdb.sh "$0" --inner
fi

tenantadm() { node "$root/bin/tenantadm" "$@"; }
say() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

# A throwaway signing key, as the tenant service's /etc/tenantadm/rsa/private.pem would be.
export TENANTADM_SERVER_PRIV_KEY_PATH="$TENANTADM_TMP/private.pem"
node -e 'const c=require("crypto");const {privateKey}=c.generateKeyPairSync("rsa",{modulusLength:2048});
require("fs").writeFileSync(process.argv[1],privateKey.export({type:"pkcs8",format:"pem"}),{mode:0o600})' "$TENANTADM_SERVER_PRIV_KEY_PATH"
export TENANTADM_ACTOR="demo@$(hostname)"
# No Mender deviceauth has run on this throwaway database, so nothing records its version:
# say which limit semantics to use (v2: deviceauth 2.0.2 and later; legacy: Mender 4.1.3).
export TENANTADM_MENDER_SCHEMA=v2
printf 'demo-password-1\n' > "$TENANTADM_TMP/pw"

say "tenantadm migrate -o table"
tenantadm migrate -o table

say "tenantadm doctor | jq '{ok, schema, tokens, problems}'"
tenantadm doctor | jq '{ok, schema, tokens, problems}'

say "tenantadm create-tenant --name 'Acme Fleet' --plan professional --device-limit 100 --admin-email admin@acme.example --password-file pw --id-only"
acme=$(tenantadm create-tenant --name 'Acme Fleet' --plan professional --device-limit 100 \
  --admin-email admin@acme.example --password-file "$TENANTADM_TMP/pw" --id-only)
echo "$acme"

say "printf %s \"\$PW\" | tenantadm create-tenant --name 'Globex Provider' --device-limit 1000 --admin-email ops@globex.example --password-stdin --id-only"
globex=$(printf 'another-password' | tenantadm create-tenant --name 'Globex Provider' --device-limit 1000 \
  --admin-email ops@globex.example --password-stdin --id-only)
echo "$globex"

say "tenantadm create-tenant --name 'Acme Fleet' --if-not-exists --id-only   # re-run safe"
tenantadm create-tenant --name 'Acme Fleet' --if-not-exists --id-only

say "tenantadm create-tenant --name 'Acme Fleet'   # taken: exit 4, nothing written"
set +e; tenantadm create-tenant --name 'Acme Fleet'; echo "exit code $?" >&2; set -e

say "tenantadm update-tenant --tenant $globex --service-provider --max-child-tenants 10 | jq '{id, name, service_provider, max_child_tenants}'"
tenantadm update-tenant --tenant "$globex" --service-provider --max-child-tenants 10 | jq '{id, name, service_provider, max_child_tenants}'

say "tenantadm list-tenants | jq '.[] | {\"tenant id\": .id, \"tenant name\": .name}'"
tenantadm list-tenants | jq '.[] | {"tenant id": .id, "tenant name": .name}'

say "tenantadm list-tenants -o table"
tenantadm list-tenants -o table

say "tenantadm get-tenant --username admin@acme.example | jq '{name, plan, device_limit, device_count}'"
tenantadm get-tenant --username admin@acme.example | jq '{name, plan, device_limit, device_count}'

say "tenantadm create-tenant --name 'Globex Berlin' --parent $globex --device-limit 300 --admin-email admin@berlin.globex.example --password-file pw --id-only"
berlin=$(tenantadm create-tenant --name 'Globex Berlin' --parent "$globex" --device-limit 300 \
  --admin-email admin@berlin.globex.example --password-file "$TENANTADM_TMP/pw" --id-only)
echo "$berlin"
say "tenantadm create-tenant --name 'Globex Paris' --parent $globex --device-limit 600 --user ops@paris.globex.example --password-file pw --id-only   # a child needs a user (Enterprise 4.x)"
paris=$(tenantadm create-tenant --name 'Globex Paris' --parent "$globex" --device-limit 600 \
  --user ops@paris.globex.example --password-file "$TENANTADM_TMP/pw" --id-only)
echo "$paris"

say "tenantadm set-device-limit --tenant $berlin --device-limit 500   # Paris holds 600 of 1000: at most 400, exit 5"
set +e; tenantadm set-device-limit --tenant "$berlin" --device-limit 500; echo "exit code $?" >&2; set -e

say "tenantadm set-device-limit --set $paris=400 --set $berlin=500 -o table   # a reallocation, all-or-nothing"
tenantadm set-device-limit --set "$paris=400" --set "$berlin=500" -o table

say "tenantadm usage --tenant $globex | jq '.[0] | {name, allocated, free}'"
tenantadm usage --tenant "$globex" | jq '.[0] | {name, allocated, free}'

say "tenantadm list-tenants --parent $globex -o table"
tenantadm list-tenants --parent "$globex" -o table

say "tenantadm audit --tenant $globex -o table"
tenantadm audit --tenant "$globex" -o table
