#!/usr/bin/env bash
# `npm run bench`: same set-up as the tests (services, images, build), then the provisioning benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=bench
. scripts/lib.sh
ensure_node_modules
bash scripts/services.sh up
bash scripts/images/build.sh --push
step_begin "building api and worker"
run_logged "$DBAAS_LOG_DIR/build.log" npm run --silent build || step_fail "build failed"
step_end
exec node -r @swc-node/register test/bench/provisioning.bench.ts
