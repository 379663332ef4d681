#!/bin/bash
# Entrypoint of 127.0.0.1:5000/library/mariadb:10.11, compatible with the
# official image's interface (MYSQL_* accepted as aliases of MARIADB_*):
#   MARIADB_ROOT_PASSWORD | MARIADB_ALLOW_EMPTY_ROOT_PASSWORD | MARIADB_RANDOM_ROOT_PASSWORD
#   MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD
#   MARIADB_ROOT_HOST (default %), /docker-entrypoint-initdb.d/*.sh|*.sql
#   MARIADB_ROOT_PASSWORD_FILE, MARIADB_PASSWORD_FILE: the password read from
#   that file (a Docker secret, or a file the platform mounts read-only)
# Data dir /var/lib/mysql. No arguments or a first argument starting with "-"
# runs mariadbd (with those arguments); anything else is exec'd.
# Started as root it makes the data dir mysql's and drops to it via gosu;
# started as mysql (uid 999, `--user 999:999`, as the platform does, with no
# capability and a read-only root) the data dir must already be its own.
set -Eeo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%F %T UTC')" "$*"; }

# VAR_FILE: VAR read from that file, as the official image does; not both.
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
for v in ROOT_PASSWORD PASSWORD; do file_env "MARIADB_$v"; file_env "MYSQL_$v"; done

# MYSQL_* are the older names of the same variables.
for v in ROOT_PASSWORD ALLOW_EMPTY_ROOT_PASSWORD RANDOM_ROOT_PASSWORD ROOT_HOST DATABASE USER PASSWORD; do
  m=MARIADB_$v o=MYSQL_$v
  if [ -z "${!m:-}" ] && [ -n "${!o:-}" ]; then export "$m=${!o}"; fi
done
: "${MARIADB_ROOT_HOST:=%}"

if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ]; then
  set -- mariadbd "$@"
fi
case $1 in mariadbd|mysqld) ;; *) exec "$@" ;; esac
DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
if [ "$(id -u)" = 0 ]; then
  # The data dir is usually a bind-mounted host directory, possibly root-owned.
  mkdir -p "$DATADIR" /run/mysqld
  find "$DATADIR" /run/mysqld \! -user mysql -exec chown mysql:mysql '{}' +
  as_mysql=(gosu mysql)
else
  # Not root: no chown (nor the capability for it); the host made it ours.
  [ "$(id -un 2>/dev/null)" = mysql ] || { echo "started as uid $(id -u), not mysql" >&2; exit 1; }
  mkdir -p "$DATADIR" /run/mysqld
  as_mysql=()
fi

# SQL string literal / identifier escaping for values taken from the env.
sql_str() { local s=${1//\\/\\\\}; s=${s//$'\n'/\\n}; printf "'%s'" "${s//\'/\\\'}"; }
sql_id()  { printf '`%s`' "${1//\`/\`\`}"; }

if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "${MARIADB_ROOT_PASSWORD:-}" ] && [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ] \
     && [ -z "${MARIADB_RANDOM_ROOT_PASSWORD:-}" ]; then
    cat >&2 <<'EOF'
Error: Database is uninitialized and password option is not specified.
       Set one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD, MARIADB_RANDOM_ROOT_PASSWORD.
EOF
    exit 1
  fi
  if [ -n "${MARIADB_RANDOM_ROOT_PASSWORD:-}" ] && [ -z "${MARIADB_ROOT_PASSWORD:-}" ]; then
    MARIADB_ROOT_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
  fi

  log "initializing $DATADIR"
  "${as_mysql[@]}" mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve --skip-log-bin --default-time-zone=SYSTEM \
    --enforce-storage-engine= >/dev/null

  # Temporary server with networking OFF: nothing can log in over TCP until
  # the passwords below are set; then it is stopped and restarted for real.
  "${as_mysql[@]}" mariadbd --skip-networking --socket="$SOCKET" --datadir="$DATADIR" \
    --skip-log-bin --default-time-zone=SYSTEM --expire-logs-days=0 \
    --loose-innodb-buffer-pool-load-at-startup=0 --loose-innodb-buffer-pool-dump-at-shutdown=0 &
  pid=$!
  mysql=(mariadb --protocol=socket --socket="$SOCKET" -uroot --database=mysql)
  for _ in $(seq 1 300); do
    "${mysql[@]}" -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "temporary mariadbd died" >&2; exit 1; }
    sleep 0.1
  done

  root_pw=$(sql_str "${MARIADB_ROOT_PASSWORD:-}")
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');"
    # only root@localhost (+ root@ROOT_HOST below) stays, as in the official image
    echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
    echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\'', @@hostname, '\'');"
    echo "SET PASSWORD FOR 'root'@'localhost' = PASSWORD($root_pw);"
    if [ "$MARIADB_ROOT_HOST" != localhost ]; then
      h=$(sql_str "$MARIADB_ROOT_HOST")
      echo "CREATE USER 'root'@$h IDENTIFIED BY $root_pw;"
      echo "GRANT ALL ON *.* TO 'root'@$h WITH GRANT OPTION;"
      echo "GRANT PROXY ON ''@'%' TO 'root'@$h WITH GRANT OPTION;"
    fi
    if [ -n "${MARIADB_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS $(sql_id "$MARIADB_DATABASE");"
    fi
    if [ -n "${MARIADB_USER:-}" ] && [ -n "${MARIADB_PASSWORD:-}" ]; then
      u=$(sql_str "$MARIADB_USER")
      echo "CREATE USER $u@'%' IDENTIFIED BY $(sql_str "$MARIADB_PASSWORD");"
      if [ -n "${MARIADB_DATABASE:-}" ]; then
        echo "GRANT ALL ON $(sql_id "${MARIADB_DATABASE//_/\\_}").* TO $u@'%';"
      fi
    fi
  } | "${mysql[@]}"
  log "root password set${MARIADB_DATABASE:+, database $MARIADB_DATABASE}${MARIADB_USER:+, user $MARIADB_USER}"

  # From here root needs its password (it is set now).
  mysql+=(--password="${MARIADB_ROOT_PASSWORD:-}")
  for f in /docker-entrypoint-initdb.d/*; do
    [ -f "$f" ] || continue
    case $f in
      *.sh)     log "running $f"; bash "$f" ;;
      *.sql)    log "running $f"; "${mysql[@]}" ${MARIADB_DATABASE:+--database="$MARIADB_DATABASE"} <"$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${mysql[@]}" ${MARIADB_DATABASE:+--database="$MARIADB_DATABASE"} ;;
      *)        log "ignoring $f" ;;
    esac
  done

  kill -TERM "$pid"   # clean InnoDB shutdown of the temporary server
  wait "$pid" || true
  log "init done; starting server"
fi

# mariadbd becomes PID 1 and gets docker stop's SIGTERM (clean shutdown).
cmd=$1; shift
# The passwords were for the initialisation only: not in the server's environment.
unset MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MYSQL_ROOT_PASSWORD MYSQL_PASSWORD
exec "${as_mysql[@]}" "$cmd" --bind-address=0.0.0.0 "$@"
