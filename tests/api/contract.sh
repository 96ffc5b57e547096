#!/usr/bin/env bash
# Checks the running API against its own OpenAPI document: first that the document is valid OpenAPI 3.1 by an
# independent validator (openapi-spec-validator), then fuzzes the API with schemathesis: no request may crash
# the server (5xx), and every answer must match the documented status codes, media types and schemas.
# Usage: tests/api/contract.sh RETEX_BINARY   (CI runs it after the tests, on the debug build)
set -euo pipefail
retex="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
port=18990
"$retex" ingest --db "$work/retex.db" "$here/../../crates/retex-server/tests/data/world.ndjson" >/dev/null
token="$(echo | "$retex" token add --db "$work/retex.db" fuzzer --role admin | tail -n 1)"
RETEX_LOG=warn "$retex" serve --db "$work/retex.db" --clock log --listen "127.0.0.1:$port" &
server=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/api/v1/openapi.json" >"$work/openapi.json"
python3 -m openapi_spec_validator --schema 3.1 "$work/openapi.json"
# The `st` script of the Python that has schemathesis, found without relying on PATH.
st="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/st"
"$st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
  --max-examples 30 --seed 1 --no-color
