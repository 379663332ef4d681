#!/usr/bin/env bash
# Stops the API and worker started by scripts/up.sh, then the services. Databases' containers keep running
# (they belong to the tenants); `down.sh --all` stops dockerd too.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=down
. scripts/lib.sh
# Each pid file holds a supervisor (scripts/supervise.sh): on TERM it stops its program, then exits.
for name in api worker; do
  pidf=$DBAAS_STATE_DIR/run/$name.pid
  if [ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null; then
    for _ in $(seq 60); do kill -0 "$(cat "$pidf")" 2>/dev/null || break; sleep 0.25; done
    log "stopped $name"
  fi
  rm -f "$pidf"
done
bash scripts/services.sh down "$@"
