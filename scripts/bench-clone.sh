#!/usr/bin/env bash
# `npm run bench:clone`: the file-level sync beside `rsync -a` on the same data (local, a ratio), then clone times
# of 1 GiB and 8 GiB SAN volumes in the VM lab (BENCH_CLONE_LAB=0 skips the lab part).
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=bench-clone
. scripts/lib.sh

prepare_platform postgres
node -r @swc-node/register test/bench/sync.bench.ts
if [ "${BENCH_CLONE_LAB:-1}" != 0 ]; then
  bash test/lab/lab.sh up --provision
  node -r @swc-node/register test/lab/bench/clone.bench.ts
fi
