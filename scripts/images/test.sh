#!/usr/bin/env bash
# Smoke-test the engine images for real, the way the platform runs them:
# empty bind-mounted data dir owned by uid 999, started as 999:999 with every
# capability dropped, no-new-privileges, a read-only root and tmpfs where the
# engine writes, the passwords in read-only mounted files (*_FILE), port
# published on 127.0.0.1 only, the official image's env/args. Then with a real client from Debian's
# packages: connect, write a row, `docker restart`, read the row back,
# `docker stop` (must take < 5 s), and check the server is PID 1.
# Prints the time from `docker run` to the first successful query.
#
# Usage: scripts/images/test.sh [--image-prefix P] [ENGINE...]
#   ENGINE: postgres mariadb redis (default all); P default $IMAGE_REGISTRY
#   (127.0.0.1:5000), i.e. images P/library/postgres:15 etc.
set -euo pipefail

LOG_TAG=imgtest
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib.sh
. "$HERE/../lib.sh"

PREFIX=${IMAGE_REGISTRY:-127.0.0.1:5000}
engines=()
while [ $# -gt 0 ]; do
  case $1 in
    --image-prefix) PREFIX=$2; shift ;;
    -*) die "unknown option $1" ;;
    *) engines+=("$1") ;;
  esac
  shift
done
[ ${#engines[@]} -gt 0 ] || engines=(postgres mariadb redis)

need_pkg postgresql-client-15 mariadb-client redis-tools

CNAME='' DATADIR='' SECRETS=''
cleanup() {
  if [ -n "$CNAME" ]; then docker rm -f "$CNAME" >/dev/null 2>&1 || true; fi
  [ -n "$DATADIR" ] && rm -rf "$DATADIR"
  [ -n "$SECRETS" ] && rm -rf "$SECRETS"
  CNAME='' DATADIR='' SECRETS=''
}
trap cleanup EXIT

PW=Test-pw_$$'q'   # some punctuation, to catch quoting bugs

# per-engine: image, container port, data path, docker run args, client query
q_postgres() { PGPASSWORD=$PW psql -X -q -tA -h 127.0.0.1 -p "$PORT" -U app -d appdb -v ON_ERROR_STOP=1 -c "$1"; }
q_mariadb()  { mariadb -h 127.0.0.1 -P "$PORT" --protocol=tcp -u app -p"$PW" -N -B appdb -e "$1"; }
q_redis()    { redis-cli -h 127.0.0.1 -p "$PORT" -a "$PW" --no-auth-warning "$@"; }
redis_ping() { [ "$(q_redis PING)" = PONG ]; }

# wait_ready ENGINE CMD... : poll CMD until it works; give up (with the
# container's log) after 90 s or as soon as the container has exited.
wait_ready() {
  local e=$1 i; shift
  for ((i = 0; i < 1800; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    if [ "$(docker inspect -f '{{.State.Running}}' "$CNAME")" != true ]; then
      docker logs "$CNAME" 2>&1 | tail -30 | sed 's/^/    /' >&2
      die "$e: container exited before accepting connections"
    fi
    sleep 0.05
  done
  docker logs "$CNAME" 2>&1 | tail -30 | sed 's/^/    /' >&2
  die "$e: not accepting connections after 90s"
}

get_port() {
  PORT=$(docker port "$CNAME" "$1/tcp" | sed -n 's/^127\.0\.0\.1://p' | head -n1)
  [ -n "$PORT" ] || die "$CNAME: no published port"
}

# secret NAME VALUE: a 0600 file of uid 999 in $SECRETS (mounted read-only at /run/secrets/dbaas)
secret() { printf '%s' "$2" | install -m 0600 -o 999 -g 999 /dev/stdin "$SECRETS/$1"; }
TMPFS=rw,nosuid,nodev,noexec,uid=999,gid=999

run_engine() {
  local e=$1 image cport dpath args=() ready_q
  SECRETS=$(mktemp -d "/var/tmp/dbaas-imgtest-secrets-$e.XXXXXX")
  chown 999:999 "$SECRETS"
  case $e in
    postgres)
      image=$PREFIX/library/postgres:15 cport=5432 dpath=/var/lib/postgresql/data
      secret postgres_password "$PW"
      args=(--tmpfs "/var/run/postgresql:$TMPFS,mode=2775" --tmpfs "/tmp:$TMPFS,mode=1777"
            -e POSTGRES_USER=app -e POSTGRES_PASSWORD_FILE=/run/secrets/dbaas/postgres_password
            -e POSTGRES_DB=appdb -e "PGDATA=$dpath/pgdata" "$image")
      ;;
    mariadb)
      image=$PREFIX/library/mariadb:10.11 cport=3306 dpath=/var/lib/mysql
      secret root_password "root$PW"
      secret password "$PW"
      args=(--tmpfs "/run/mysqld:$TMPFS,mode=0755" --tmpfs "/tmp:$TMPFS,mode=1777"
            -e MARIADB_ROOT_PASSWORD_FILE=/run/secrets/dbaas/root_password -e MARIADB_USER=app
            -e MARIADB_PASSWORD_FILE=/run/secrets/dbaas/password -e MARIADB_DATABASE=appdb "$image")
      ;;
    redis)
      image=$PREFIX/library/redis:7.0 cport=6379 dpath=/data
      args=(--tmpfs "/tmp:$TMPFS,mode=1777" "$image" --requirepass "$PW" --appendonly yes --dir /data)
      ;;
    *) die "unknown engine $e" ;;
  esac
  docker image inspect "$image" >/dev/null 2>&1 || die "$image not found (scripts/images/build.sh $e)"

  DATADIR=$(mktemp -d "/var/tmp/dbaas-imgtest-$e.XXXXXX")   # 0700, made the engine user's as the platform does
  chown 999:999 "$DATADIR"
  CNAME=dbaas-imgtest-$e-$$
  local t0 t_ready t_restart t_stop
  t0=$(now)
  docker run -d --name "$CNAME" -p "127.0.0.1::$cport" -v "$DATADIR:$dpath" -v "$SECRETS:/run/secrets/dbaas:ro" \
    --user 999:999 --cap-drop ALL --security-opt no-new-privileges --read-only "${args[@]}" >/dev/null
  get_port "$cport"

  case $e in
    postgres) ready_q=(q_postgres 'SELECT 1') ;;
    mariadb)  ready_q=(q_mariadb 'SELECT 1') ;;
    redis)    ready_q=(redis_ping) ;;
  esac
  wait_ready "$e" "${ready_q[@]}"
  t_ready=$(elapsed "$t0")

  case $e in
    postgres)
      q_postgres "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')" >/dev/null
      # the superuser (POSTGRES_USER) must need its password over TCP
      if PGPASSWORD=wrong psql -X -h 127.0.0.1 -p "$PORT" -U app -d appdb -c 'SELECT 1' >/dev/null 2>&1; then
        die "postgres: wrong password accepted"
      fi ;;
    mariadb)
      q_mariadb "CREATE TABLE t (v varchar(10)); INSERT INTO t VALUES ('kept')"
      mariadb -h 127.0.0.1 -P "$PORT" --protocol=tcp -u root -p"root$PW" -N -B -e 'SELECT 1' >/dev/null \
        || die "mariadb: root@% login failed"
      if mariadb -h 127.0.0.1 -P "$PORT" --protocol=tcp -u root -N -B -e 'SELECT 1' >/dev/null 2>&1; then
        die "mariadb: root without password accepted"
      fi ;;
    redis)
      q_redis SET k kept >/dev/null
      [ "$(redis-cli -h 127.0.0.1 -p "$PORT" GET k 2>&1)" != kept ] || die "redis: no password needed"
      ;;
  esac

  [ "$(docker exec "$CNAME" cat /proc/1/comm)" != bash ] || die "$e: PID 1 is the entrypoint shell"
  local pid1
  pid1=$(docker exec "$CNAME" cat /proc/1/comm)

  t0=$(now)
  docker restart "$CNAME" >/dev/null
  get_port "$cport"   # an ephemeral host port changes on restart
  wait_ready "$e" "${ready_q[@]}"
  t_restart=$(elapsed "$t0")
  local got
  case $e in
    postgres) got=$(q_postgres 'SELECT v FROM t') ;;
    mariadb)  got=$(q_mariadb 'SELECT v FROM t') ;;
    redis)    got=$(q_redis GET k) ;;
  esac
  [ "$got" = kept ] || die "$e: row lost across restart (got '$got')"

  t0=$(now)
  docker stop "$CNAME" >/dev/null
  t_stop=$(elapsed "$t0")
  local code
  code=$(docker inspect -f '{{.State.ExitCode}}' "$CNAME")
  awk -v s="${t_stop%s}" 'BEGIN { exit !(s < 5) }' || die "$e: docker stop took $t_stop (limit 5s)"
  log "$e: OK  ready ${t_ready} after docker run | restart->ready ${t_restart} | docker stop ${t_stop} (exit $code) | PID 1: $pid1 | data owner: $(stat -c %u "$DATADIR")"
  cleanup
}

for e in "${engines[@]}"; do run_engine "$e"; done
