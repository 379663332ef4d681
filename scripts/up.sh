#!/usr/bin/env bash
# The quickstart: brings the whole platform up on this machine with its embedded defaults (the local Docker
# engine as the only host, directory volumes), then prints how to use it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_TAG=up
. scripts/lib.sh

API_PORT=${API_PORT:-8080}
RUN_DIR=$DBAAS_STATE_DIR/run
APP_ENV=$DBAAS_SECRETS_DIR/app.env
mkdir -p "$RUN_DIR" "$DBAAS_SECRETS_DIR" "$DBAAS_LOG_DIR"

prepare_platform

# The platform's own secrets: generated once, kept with the other secrets (mode 600).
# The umask stays inside the subshell: the API and the worker started below must not inherit it.
if [ ! -f "$APP_ENV" ]; then
  (
    umask 077
    {
      echo "MASTER_KEY=$(openssl rand -base64 32)"
      echo "OPERATOR_BOOTSTRAP_KEY=op_$(openssl rand -hex 24)"
    } >"$APP_ENV.tmp"
    mv "$APP_ENV.tmp" "$APP_ENV"
  )
fi
set -a
. "$DBAAS_STATE_DIR/services.env"
. "$APP_ENV"
DATA_ROOT=${DATA_ROOT:-$DBAAS_STATE_DIR/volumes}
API_PORT=$API_PORT
set +a

step_begin "migrating the metadata database"
run_logged "$DBAAS_LOG_DIR/migrate.log" node dist/apps/api/main.js migrate || step_fail "migration failed"
step_end

# (Re)start the two processes, each under scripts/supervise.sh: started again within seconds when it dies (or,
# for the API, stops answering /healthz), restarts counted in $RUN_DIR/NAME.restarts. The pid files hold the
# supervisors' pids: scripts/down.sh stops them, and they stop their program.
stop_proc() {
  local pidf=$RUN_DIR/$1.pid pid
  [ -f "$pidf" ] || return 0
  pid=$(cat "$pidf")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$pidf"
}
start_proc() {
  local name=$1 script=$2
  shift 2
  stop_proc "$name"
  setsid nohup bash scripts/supervise.sh --name "$name" --restarts "$RUN_DIR/$name.restarts" "$@" \
    -- "$(command -v node)" "$script" >>"$DBAAS_LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}
step_begin "starting the API on 127.0.0.1:$API_PORT and the worker"
start_proc api dist/apps/api/main.js --health "curl -fsS -m 4 http://127.0.0.1:$API_PORT/healthz"
start_proc worker dist/apps/worker/main.js
wait_for -t 60 curl -fsS "http://127.0.0.1:$API_PORT/healthz" || step_fail "the API did not come up; see $DBAAS_LOG_DIR/api.log"
step_end

api() { curl -fsS -H "Authorization: Bearer $OPERATOR_BOOTSTRAP_KEY" -H 'content-type: application/json' "$@"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }

# A demo tenant with a fresh API key (a new key on every run; the old ones stay valid).
tenant_id=$(api "http://127.0.0.1:$API_PORT/admin/v1/tenants" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).find(t=>t.name==="demo");console.log(t?t.id:"")})')
if [ -z "$tenant_id" ]; then
  tenant_id=$(api -X POST "http://127.0.0.1:$API_PORT/admin/v1/tenants" -d '{"name":"demo"}' | json id)
fi
key=$(api -X POST "http://127.0.0.1:$API_PORT/admin/v1/tenants/$tenant_id/api-keys" -d '{"name":"quickstart"}' | json key)

cat <<MSG

The platform is up: API http://127.0.0.1:$API_PORT (OpenAPI: http://127.0.0.1:$API_PORT/docs), worker running,
local Docker host with directory volumes under $DATA_ROOT. Logs: $DBAAS_LOG_DIR/{api,worker}.log

Tenant "demo", API key (shown once):  $key
Operator key (admin API and console):  OPERATOR_BOOTSTRAP_KEY in $APP_ENV
Admin console:                         http://127.0.0.1:$API_PORT/console/  (sign in with the operator key)

Create a PostgreSQL database:
  curl -s -X POST http://127.0.0.1:$API_PORT/v1/databases \\
    -H 'Authorization: Bearer $key' -H 'content-type: application/json' \\
    -d '{"name":"my-first-db","engine":"postgresql","plan":"small"}'
Then poll the operation it returns, and fetch the connection URI:
  curl -s http://127.0.0.1:$API_PORT/v1/operations/OPERATION_ID -H 'Authorization: Bearer $key'
  curl -s http://127.0.0.1:$API_PORT/v1/databases/DATABASE_ID/credentials -H 'Authorization: Bearer $key'
Connections are TLS, verified against the platform CA; the URI names it as the file dbaas-ca.pem:
  curl -s http://127.0.0.1:$API_PORT/v1/ca.pem -o dbaas-ca.pem && psql "URI"

Stop everything: bash scripts/down.sh
MSG
