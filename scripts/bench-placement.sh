#!/usr/bin/env bash
# `npm run bench:placement`: the pure placement logic on a synthetic fleet, no services needed: consolidation
# against the lower bound and the old least-loaded strategy, N+1, the rebalancer against a known minimum of moves.
# Env: BENCH_PLACEMENT_SEED (42), BENCH_PLACEMENT_HOSTS (200), BENCH_PLACEMENT_DATABASES (10000).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node -r @swc-node/register test/bench/placement.bench.ts
