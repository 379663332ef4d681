#!/usr/bin/env bash
# Stops the API and worker started by scripts/up.sh, then the services. Databases' containers keep running
# (they belong to the tenants); `down.sh --all` stops dockerd too.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=down
. scripts/lib.sh
for name in api worker; do
  pidf=$DBAAS_STATE_DIR/run/$name.pid
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    kill "$(cat "$pidf")" && log "stopped $name"
  fi
  rm -f "$pidf"
done
bash scripts/services.sh down "$@"
