#!/usr/bin/env bash
# `npm test`: on a fresh Debian machine too. Installs what is missing (npm packages, then PostgreSQL, Redis,
# dockerd and a local registry with the engine images, through scripts/services.sh and scripts/images/),
# builds the API, the worker and the console, runs the unit, end-to-end and browser suites, and closes with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=test
. scripts/lib.sh

prepare_platform
# The console's browser tests drive Debian's Chromium through playwright-core (no browser download).
need_pkg chromium fonts-dejavu-core
# The SSH session tests break a real OpenSSH server on 127.0.0.1 (test/support/sshd.ts); the failover witness
# tests build hosts from network namespaces, each with its own sshd (test/support/netns-fleet.ts: ip netns).
need_pkg openssh-server iproute2
# The playbooks are read (python3-yaml) and syntax-checked (ansible-core) by test/unit/ansible/playbooks.spec.ts:
# installed here so that those checks run on a fresh machine instead of being skipped.
need_pkg ansible-core python3-yaml

mkdir -p test-artifacts
tap=test-artifacts/results.tap
# test/unit mirrors the folders it tests (test/unit/libs/<lib>/<dir>/<name>.spec.ts): ** needs globstar, and node 20's
# --test does not expand globs itself.
shopt -s globstar
files=(test/unit/**/*.spec.ts test/e2e/*.spec.ts test/browser/*.spec.ts)
if [ -n "${TEST_FILES:-}" ]; then read -r -a files <<<"$TEST_FILES"; fi
log "running ${#files[@]} test files (unit, end-to-end against real PostgreSQL, Redis and dockerd, then the console in Chromium)"
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
