#!/usr/bin/env bash
# `npm test`: on a fresh Debian machine too. Installs what is missing (npm packages, then PostgreSQL, Redis,
# dockerd and a local registry with the engine images, through scripts/services.sh and scripts/images/),
# builds the API and the worker, runs the unit and end-to-end suites, and closes with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=test
. scripts/lib.sh

require_node() {
  local v
  v=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null ||
    die "Node.js >= 20.19 is needed (found $v)"
}

require_node
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step_begin "installing npm packages"
  run_logged "$DBAAS_LOG_DIR/npm-ci.log" npm ci --no-audit --no-fund || step_fail "npm ci failed"
  step_end
fi

bash scripts/services.sh up
bash scripts/images/build.sh --push

step_begin "building api and worker"
run_logged "$DBAAS_LOG_DIR/build.log" npm run --silent build || step_fail "build failed"
step_end

mkdir -p test-artifacts
tap=test-artifacts/results.tap
files=(test/unit/*.spec.ts test/e2e/*.spec.ts)
if [ -n "${TEST_FILES:-}" ]; then read -r -a files <<<"$TEST_FILES"; fi
log "running ${#files[@]} test files (unit, then end-to-end against real PostgreSQL, Redis and dockerd)"
set +e
node -r @swc-node/register --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}"
rc=$?
set -e
pass=$(awk '/^# pass /{print $3}' "$tap" | tail -n 1)
fail=$(awk '/^# fail /{print $3}' "$tap" | tail -n 1)
skip=$(awk '/^# skipped /{print $3}' "$tap" | tail -n 1)
echo "${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
exit "$rc"
