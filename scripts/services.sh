#!/usr/bin/env bash
# Local backing services for development, CI and the quickstart, all on
# 127.0.0.1 and all kept under $DBAAS_STATE_DIR (default /var/lib/dbaas):
#   postgres  127.0.0.1:55432  dedicated PostgreSQL 15 cluster ($STATE/pg)
#   redis     127.0.0.1:56379  dedicated redis-server ($STATE/redis)
#   docker    /var/run/docker.sock (dockerd from Debian's docker.io)
#   registry  127.0.0.1:5000   CNCF distribution (Debian docker-registry),
#                              htpasswd (bcrypt) auth, user dbaas
#
# Usage: scripts/services.sh up [SERVICE...]   install what is missing, start,
#                                              write $STATE/services.env
#        scripts/services.sh down [--all]      stop postgres, redis, registry
#                                              (--all: dockerd too)
#        scripts/services.sh status            one line per service
#        scripts/services.sh env               print services.env
# SERVICE is one of postgres redis docker registry (default: all).
# A second platform on the same machine (the quickstart test) takes other ports with DBAAS_PG_PORT,
# DBAAS_REDIS_PORT and DBAAS_REGISTRY_ADDR beside its own DBAAS_STATE_DIR.
#
# Works with no systemd: every daemon is started detached (own session, output
# to $STATE/log) so it outlives this script, and the next run only checks.
set -euo pipefail

LOG_TAG=services  # read by lib.sh
# shellcheck source=scripts/lib.sh
SELF=$(readlink -f "$0")
. "$(dirname "$SELF")/lib.sh"
# Every path below is absolute; '/' keeps runuser'd commands (postgres,
# redis) from complaining about a checkout directory they cannot read.
cd /

STATE=$DBAAS_STATE_DIR
SECRETS=$DBAAS_SECRETS_DIR
LOGS=$DBAAS_LOG_DIR
ENV_FILE=$STATE/services.env

PG_PORT=${DBAAS_PG_PORT:-55432}
PG_BIN=/usr/lib/postgresql/15/bin
PG_DATA=$STATE/pg
PG_SOCK=$STATE/run/pg          # own socket dir: /run/postgresql may not exist
REDIS_PORT=${DBAAS_REDIS_PORT:-56379}
REDIS_DIR=$STATE/redis
REG_ADDR=${DBAAS_REGISTRY_ADDR:-127.0.0.1:5000}
REG_CONF_DIR=$STATE/registry-conf
REG_PID=$STATE/run/registry.pid
DOCKER_SOCK=/var/run/docker.sock

# ---------------------------------------------------------------- checks ----
pg_up()       { [ -x "$PG_BIN/pg_ctl" ] && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }
redis_up()    { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
docker_up()   { command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; }
# /v2/ answers 401 without credentials when auth is on, 200 with them
registry_up() {
  command -v curl >/dev/null || return 1
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$REG_ADDR/v2/" 2>/dev/null) || return 1
  [ "$code" = 401 ] || [ "$code" = 200 ]
}

# ------------------------------------------------------------- postgres -----
pg_psql() { # run SQL from stdin as the postgres superuser over the unix socket
  runuser -u postgres -- "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -d postgres -tA "$@"
}

up_postgres() {
  # postgresql-15 only (not the 'postgresql' metapackage's extras); its
  # postinst creates the 'postgres' OS user. policy-rc.d keeps the packaged
  # cluster on :5432 from being started.
  need_pkg postgresql-15 postgresql-client-15
  local pw
  pw=$(gen_secret "$SECRETS/postgres_password")

  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    step_begin "postgres: initdb $PG_DATA"
    install -d -o postgres -g postgres -m 700 "$PG_DATA"
    # peer for the local admin socket, scram for every TCP login
    run_logged "$LOGS/postgres-initdb.log" runuser -u postgres -- "$PG_BIN/initdb" \
      -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 || step_fail "initdb failed"
    printf "\ninclude_if_exists = 'dbaas.conf'\n" >>"$PG_DATA/postgresql.conf"
    step_end
  fi
  # Regenerated every time so a changed port/setting is picked up.
  install -d -o postgres -g postgres -m 755 "$PG_SOCK"
  install -d -m 755 "$LOGS"
  cat >"$PG_DATA/dbaas.conf" <<EOF
# written by scripts/services.sh
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCK'
password_encryption = 'scram-sha-256'
max_connections = 200
fsync = on
EOF
  chown postgres:postgres "$PG_DATA/dbaas.conf"

  if pg_up; then
    log "postgres: already up on 127.0.0.1:$PG_PORT"
  else
    step_begin "postgres: starting on 127.0.0.1:$PG_PORT"
    touch "$LOGS/postgres.log" && chown postgres:postgres "$LOGS/postgres.log"
    # setsid: the postmaster gets its own session and survives our exit
    run_logged "$LOGS/postgres-ctl.log" runuser -u postgres -- setsid -w \
      "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$LOGS/postgres.log" -w -t 60 start \
      || step_fail "pg_ctl start failed (see $LOGS/postgres.log)"
    step_end
  fi

  # Role and database, idempotently; the password always matches the secret.
  step_begin "postgres: role/database dbaas"
  run_logged "$LOGS/postgres-ctl.log" pg_psql <<SQL || step_fail "role setup failed"
SELECT 'CREATE ROLE dbaas LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dbaas') \gexec
ALTER ROLE dbaas LOGIN CREATEDB PASSWORD '$pw';
SELECT 'CREATE DATABASE dbaas OWNER dbaas' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'dbaas') \gexec
SQL
  step_end
}

down_postgres() {
  if [ -s "$PG_DATA/postmaster.pid" ] && [ -x "$PG_BIN/pg_ctl" ]; then
    step_begin "postgres: stopping"
    run_logged "$LOGS/postgres-ctl.log" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop \
      || step_fail "pg_ctl stop failed"
    step_end
  fi
}

# ---------------------------------------------------------------- redis -----
up_redis() {
  need_pkg redis-server redis-tools
  install -d -o redis -g redis -m 750 "$REDIS_DIR"
  # Own config (not /etc/redis/redis.conf): loopback only, daemonized (redis
  # forks and calls setsid itself), own dir/pidfile/log, no AOF.
  cat >"$REDIS_DIR/redis.conf" <<EOF
# written by scripts/services.sh
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
dir $REDIS_DIR
dbfilename dump.rdb
appendonly no
save 3600 1 300 100 60 10000
EOF
  chown redis:redis "$REDIS_DIR/redis.conf"
  if redis_up; then
    log "redis: already up on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  step_begin "redis: starting on 127.0.0.1:$REDIS_PORT"
  run_logged "$LOGS/redis-start.log" runuser -u redis -- redis-server "$REDIS_DIR/redis.conf" \
    || step_fail "redis-server failed (see $REDIS_DIR/redis.log)"
  wait_for -t 20 redis_up || step_fail "redis did not answer PING (see $REDIS_DIR/redis.log)"
  step_end
}

down_redis() {
  if pid_alive "$REDIS_DIR/redis.pid"; then
    step_begin "redis: stopping"
    stop_pid "$REDIS_DIR/redis.pid" 30   # SIGTERM = save + clean shutdown
    step_end
  fi
}

# --------------------------------------------------------------- dockerd ----
up_docker() {
  if docker_up; then
    log "docker: daemon already answering"
    return 0
  fi
  # docker.io brings dockerd, containerd, runc; /usr/local/bin/docker (a
  # newer client, if present) negotiates the API version down and works.
  need_pkg docker.io iptables
  step_begin "docker: starting dockerd"
  install -d -m 755 "$LOGS"
  # A stale pidfile from a killed daemon makes dockerd refuse to start.
  if [ -s /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  if ! pid_alive /var/run/docker.pid; then
    setsid -f dockerd >>"$LOGS/dockerd.log" 2>&1 </dev/null
  fi
  wait_for -t 90 -i 0.5 docker_up || step_fail "dockerd not answering after 90s (see $LOGS/dockerd.log)"
  step_end
}

down_docker() {
  if pid_alive /var/run/docker.pid; then
    step_begin "docker: stopping dockerd"
    stop_pid /var/run/docker.pid 60
    step_end
  fi
}

# -------------------------------------------------------------- registry ----
# Plain HTTP + basic auth on 127.0.0.1:5000 works: the registry only logs a
# warning for htpasswd without TLS, and the docker client treats 127.0.0.0/8
# as an insecure registry by default, so `docker login/push/pull` work
# without any certificate (checked with docker 20.10 daemon + 28.x client).
up_registry() {
  need_pkg docker-registry apache2-utils curl
  local pw
  pw=$(gen_secret "$SECRETS/registry_password")
  install -d -o docker-registry -g docker-registry -m 750 "$STATE/registry" "$REG_CONF_DIR"
  install -d -m 755 "$STATE/run" "$LOGS"

  # bcrypt htpasswd; only rewritten when it no longer matches the secret
  local htp=$REG_CONF_DIR/htpasswd
  if [ ! -s "$htp" ] || ! htpasswd -v -i "$htp" dbaas <<<"$pw" >/dev/null 2>&1; then
    htpasswd -c -B -i "$htp" dbaas <<<"$pw" >/dev/null 2>&1 || die "htpasswd failed"
    chown docker-registry:docker-registry "$htp"; chmod 640 "$htp"
    # a running registry reads htpasswd once at start: restart it
    if pid_alive "$REG_PID"; then stop_pid "$REG_PID" 20; fi
  fi
  local http_secret
  http_secret=$(gen_secret "$SECRETS/registry_http_secret")
  local conf=$REG_CONF_DIR/config.yml
  local newconf
  newconf=$(cat <<EOF
# written by scripts/services.sh
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE/registry
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REG_ADDR
  secret: $http_secret
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: dbaas-registry
    path: $htp
EOF
)
  if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$newconf" ]; then
    printf '%s\n' "$newconf" >"$conf"
    chown docker-registry:docker-registry "$conf"; chmod 640 "$conf"
    if pid_alive "$REG_PID"; then stop_pid "$REG_PID" 20; fi
  fi

  if registry_up; then
    log "registry: already up on $REG_ADDR"
  else
    step_begin "registry: starting on $REG_ADDR"
    # '&' in a non-interactive shell keeps the child out of a new process
    # group, so setsid need not fork and $! is the registry's own pid.
    setsid setpriv --reuid=docker-registry --regid=docker-registry --init-groups \
      docker-registry serve "$conf" >>"$LOGS/registry.log" 2>&1 </dev/null &
    echo $! >"$REG_PID"
    wait_for -t 30 registry_up || step_fail "registry not answering (see $LOGS/registry.log)"
    step_end
  fi
  # Log the local docker client in, so pushes (scripts/images/build.sh) and
  # the platform's own pulls of 127.0.0.1:5000/... work. Also proves that
  # basic auth over plain HTTP is accepted end to end.
  if docker_up; then
    step_begin "registry: docker login $REG_ADDR"
    run_logged "$LOGS/registry-login.log" docker login "$REG_ADDR" -u dbaas --password-stdin <<<"$pw" \
      || step_fail "docker login failed"
    step_end
  fi
}

down_registry() {
  if pid_alive "$REG_PID"; then
    step_begin "registry: stopping"
    stop_pid "$REG_PID" 20
    step_end
  fi
}

# ------------------------------------------------------------------- env ----
write_env() {
  local pgpw regpw
  pgpw=$(cat "$SECRETS/postgres_password" 2>/dev/null || true)
  regpw=$(cat "$SECRETS/registry_password" 2>/dev/null || true)
  (
    umask 077
    cat >"$ENV_FILE.tmp" <<EOF
# written by scripts/services.sh up — source it: set -a; . $ENV_FILE; set +a
DATABASE_URL=postgres://dbaas:$pgpw@127.0.0.1:$PG_PORT/dbaas
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
DOCKER_SOCKET=$DOCKER_SOCK
IMAGE_REGISTRY=$REG_ADDR
IMAGE_REGISTRY_USERNAME=dbaas
IMAGE_REGISTRY_PASSWORD=$regpw
EOF
    mv "$ENV_FILE.tmp" "$ENV_FILE"
  )
}

status_line() { # NAME CHECKFN WHERE
  local st=down
  "$2" && st=up
  printf '%-9s %-5s %s\n' "$1" "$st" "$3"
}

# ------------------------------------------------------------------ main ----
cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  up)
    [ "$(id -u)" -eq 0 ] || die "run as root"
    t0=$(now)
    install -d -m 755 "$STATE" "$STATE/run" "$LOGS"
    install -d -m 700 "$SECRETS"
    services=("$@")
    [ ${#services[@]} -eq 0 ] && services=(postgres redis docker registry)
    for s in "${services[@]}"; do
      case $s in
        postgres|pg) up_postgres ;;
        redis) up_redis ;;
        docker|dockerd) up_docker ;;
        registry) up_registry ;;
        *) die "unknown service '$s' (postgres redis docker registry)" ;;
      esac
    done
    # The env file needs both secrets; create them even on a partial 'up'.
    gen_secret "$SECRETS/postgres_password" >/dev/null
    gen_secret "$SECRETS/registry_password" >/dev/null
    write_env
    log "all up in $(elapsed "$t0"); environment: $ENV_FILE"
    ;;
  down)
    down_registry
    down_redis
    down_postgres
    if [ "${1:-}" = --all ]; then down_docker; fi
    ;;
  status)
    status_line postgres pg_up "127.0.0.1:$PG_PORT"
    status_line redis redis_up "127.0.0.1:$REDIS_PORT"
    status_line docker docker_up "$DOCKER_SOCK"
    status_line registry registry_up "$REG_ADDR"
    ;;
  env)
    [ -f "$ENV_FILE" ] || die "$ENV_FILE not found: run '$SELF up' first"
    cat "$ENV_FILE"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
