#!/usr/bin/env bash
# `npm run test:lab`: the slow suite on real kernels. Boots the QEMU lab (storage server + two database
# hosts, built from Debian packages, configured by the Ansible playbooks), seeds the engine image into the
# hosts, and runs test/lab/e2e against the real platform processes. Closes with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=test-lab
. scripts/lib.sh

prepare_platform postgres
# The HA suite ends by reading the failovers' timelines in the console, in Debian's Chromium.
need_pkg chromium fonts-dejavu-core

# Provisioning is idempotent; a lab already up and configured takes seconds.
bash test/lab/lab.sh up --provision

mkdir -p test-artifacts
tap=test-artifacts/lab-results.tap
set +e
node -r @swc-node/register --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  test/lab/e2e/*.spec.ts
rc=$?
set -e
[ "${LAB_KEEP:-0}" = 1 ] || bash test/lab/lab.sh down
pass=$(awk '/^# pass /{print $3}' "$tap" | tail -n 1)
fail=$(awk '/^# fail /{print $3}' "$tap" | tail -n 1)
echo "lab: ${pass:-0} passed, ${fail:-0} failed"
exit "$rc"
