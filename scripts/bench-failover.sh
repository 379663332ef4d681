#!/usr/bin/env bash
# `npm run bench:failover`: failover times per HA mode in the VM lab (power cuts of the primary's VM).
# Same set-up as `npm run test:lab`; prints a table. BENCH_FAILOVER_RUNS (3) and BENCH_FAILOVER_MODES (drbd,san).
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=bench-failover
. scripts/lib.sh

prepare_platform postgres
bash test/lab/lab.sh up --provision
exec node -r @swc-node/register test/lab/bench/failover.bench.ts
