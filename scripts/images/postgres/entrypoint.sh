#!/bin/bash
# Entrypoint of 127.0.0.1:5000/library/postgres:15, compatible with the
# official image's interface:
#   POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (a file holding it; required
#   unless POSTGRES_HOST_AUTH_METHOD=trust),
#   POSTGRES_USER (default postgres), POSTGRES_DB (default $POSTGRES_USER),
#   PGDATA (default /var/lib/postgresql/data), POSTGRES_INITDB_ARGS,
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256),
#   /docker-entrypoint-initdb.d/*.sh|*.sql run once on first start.
# Arguments: none or "postgres ..." runs the server; a first argument starting
# with "-" is passed to postgres; anything else is exec'd as a command.
# Started as root it makes the data dir postgres' and drops to it via gosu;
# started as postgres (uid 999, `--user 999:999`, as the platform does, with
# no capability and a read-only root) the data dir must already be its own.
set -Eeo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
export PGDATA

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%F %T UTC')" "$*"; }

# VAR_FILE: VAR read from that file (a Docker secret, or a file the platform
# mounts read-only), as the official image does; not both.
file_env() {
  local var=$1 file=${1}_FILE
  if [ -n "${!var:-}" ] && [ -n "${!file:-}" ]; then
    echo "both $var and $file are set (they are exclusive)" >&2; exit 1
  fi
  if [ -n "${!file:-}" ]; then
    [ -r "${!file}" ] || { echo "$file: cannot read ${!file}" >&2; exit 1; }
    export "$var=$(<"${!file}")"
  fi
  unset "$file"
}
file_env POSTGRES_PASSWORD

if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi
[ "$1" = postgres ] || exec "$@"
if [ "$(id -u)" = 0 ]; then
  # The data dir is usually a bind-mounted host directory, possibly root-owned.
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chown postgres:postgres /var/run/postgresql
  chmod 2775 /var/run/postgresql
  as_postgres=(gosu postgres)
else
  # Not root: no chown (nor the capability for it); the host made it ours.
  [ "$(id -un 2>/dev/null)" = postgres ] || { echo "started as uid $(id -u), not postgres" >&2; exit 1; }
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  chmod 2775 /var/run/postgresql 2>/dev/null || true
  as_postgres=()
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOF'
Error: Database is uninitialized and superuser password is not specified.
       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust, not recommended).
EOF
    exit 1
  fi
  log "initializing $PGDATA (superuser $POSTGRES_USER)"
  # The password goes through a file only postgres can read (a /dev/fd pipe
  # made by root cannot be reopened after gosu drops privileges).
  # Written before the chown: with fs.protected_regular (sticky /tmp), root may not write a file
  # that another user owns.
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  [ ${#as_postgres[@]} -eq 0 ] || chown postgres "$pwfile"
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list on purpose
  "${as_postgres[@]}" initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD" \
    -E UTF8 --locale=C.UTF-8 $POSTGRES_INITDB_ARGS >/dev/null
  rm -f "$pwfile"
  # Same rules as the official image: trust on the socket inside the
  # container, password (scram) for every TCP client.
  cat >"$PGDATA/pg_hba.conf" <<EOF
local all all trust
host all all all $POSTGRES_HOST_AUTH_METHOD
EOF
  [ ${#as_postgres[@]} -eq 0 ] || chown postgres:postgres "$PGDATA/pg_hba.conf"

  # Temporary server on the unix socket only (no TCP): nobody can connect
  # before the database and init scripts are done.
  "${as_postgres[@]}" pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -p 5432" start >/dev/null
  psql=(psql -X -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != postgres ]; then
    log "creating database $POSTGRES_DB"
    "${as_postgres[@]}" "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >/dev/null
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    [ -f "$f" ] || continue
    case $f in
      *.sh)     log "running $f"; "${as_postgres[@]}" bash "$f" ;;
      *.sql)    log "running $f"; "${as_postgres[@]}" "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${as_postgres[@]}" "${psql[@]}" --dbname "$POSTGRES_DB" >/dev/null ;;
      *)        log "ignoring $f" ;;
    esac
  done
  "${as_postgres[@]}" pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  log "init done; starting server"
fi

# postgres becomes PID 1: it gets docker stop's signal directly (the image's
# STOPSIGNAL is SIGINT = fast shutdown, as in the official image).
cmd=$1; shift
# The password was for initdb only: the server does not keep it in its environment.
unset POSTGRES_PASSWORD
exec "${as_postgres[@]}" "$cmd" -D "$PGDATA" -c listen_addresses='*' "$@"
