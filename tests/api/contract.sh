#!/usr/bin/env bash
# Checks the running API against its own OpenAPI document: first that the document is valid OpenAPI 3.1 by an
# independent validator (openapi-spec-validator), then fuzzes the API with schemathesis, every check, positive
# and negative data, as an admin, a store user scoped to S1 and a viewer, with a fresh seed each run (printed,
# to replay a failure with --seed). tests/api/schemathesis.toml says where the documented contract and
# schemathesis's assumptions part.
# Usage: tests/api/contract.sh RETEX_BINARY   (CI runs it after the tests, on the debug build)
set -euo pipefail
retex="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18990
db="$work/retex.db"
"$retex" ingest --db "$db" "$here/../../crates/retex-server/tests/data/world.ndjson" >/dev/null
token() { echo | "$retex" token add --db "$db" "$@" | tail -n 1; }
admin="$(token fuzzer-admin --role admin)"
store_user="$(token fuzzer-s1 --role team_member --team "store S1" --locations S1)"
viewer="$(token fuzzer-viewer --role viewer)"
RETEX_LOG=warn "$retex" serve --db "$db" --clock log --listen "127.0.0.1:$port" &
server=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/api/v1/openapi.json" >"$work/openapi.json"
python3 -m openapi_spec_validator --schema 3.1 "$work/openapi.json"
# The `st` script of the Python that has schemathesis, found without relying on PATH.
st="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/st"
for role in admin store_user viewer; do
  echo "== schemathesis as $role"
  examples=30
  [ "$role" = admin ] || examples=15
  "$st" --config-file "$here/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    -H "Authorization: Bearer ${!role}" --max-examples "$examples" --no-color
done
