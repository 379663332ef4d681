#!/usr/bin/env bash
# `npm run bench`: same set-up as the tests (services, images, build), then the provisioning benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=bench
. scripts/lib.sh
prepare_platform
exec node -r @swc-node/register test/bench/provisioning.bench.ts
