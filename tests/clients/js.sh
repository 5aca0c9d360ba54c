#!/usr/bin/env bash
# AWS SDK for JavaScript v3 against a fresh `objstore dev`; see js/scenario.mjs. The npm packages are installed into
# js/node_modules (ignored by git) when missing.
source "$(dirname "$0")/common.bash"
js="$(cd "$(dirname "$0")/js" && pwd)"
command -v node >/dev/null || { echo "node not installed"; failed=1; finish; exit 1; }
if [ ! -d "$js/node_modules/@aws-sdk/lib-storage" ]; then
  (cd "$js" && npm install --no-audit --no-fund --loglevel=error) || { echo "npm install failed"; failed=1; finish; exit 1; }
fi
start_server || { finish; exit 1; }
node "$js/scenario.mjs" "$ENDPOINT" "$ACCESS_KEY" "$SECRET_KEY" | tee "$WORK/js.log"
passed=$(grep -c '^ok' "$WORK/js.log"); failed=$(grep -c '^FAIL' "$WORK/js.log")
[ "$passed" -gt 0 ] || failed=$((failed + 1))
finish
