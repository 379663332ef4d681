#!/bin/bash
# Entrypoint of 127.0.0.1:5000/library/redis:7.0, same behaviour as the
# official image: no arguments, or a first argument starting with "-" (or a
# .conf file), runs redis-server with those arguments, as user redis, in
# /data, as PID 1 (docker stop's SIGTERM = save + clean shutdown).
set -Eeo pipefail

if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi

# Started as root, /data is made redis' and the server drops to it via gosu;
# started as redis (uid 999, `--user 999:999`, as the platform does, with no
# capability and a read-only root), /data must already be its own.
if [ "$1" = redis-server ]; then
  if [ "$(id -u)" = 0 ]; then
    mkdir -p /data
    # /data is usually a bind-mounted host directory, possibly root-owned.
    find /data \! -user redis -exec chown redis:redis '{}' +
    as_redis=(gosu redis)
  else
    as_redis=()
  fi
  # The official image's redis-server is built with protected-mode off, so
  # with no config file it answers on every interface of the container
  # (default bind "* -::*"); the port is only published where the platform
  # wants it, and the platform sets --requirepass. Debian's binary needs it
  # on the command line: before the caller's options so they still win, and
  # only when no config file is given (that must stay the first argument).
  if [ "$#" -eq 1 ] || [ "${2:0:1}" = '-' ]; then
    shift
    set -- redis-server --protected-mode no "$@"
  fi
  # Files written by redis (dump.rdb, appendonly) private, as upstream does.
  [ "$(umask)" = 0022 ] && umask 0077
  exec "${as_redis[@]}" "$@"
fi

exec "$@"
