#!/usr/bin/env bash
# The quickstart's supervisor (production uses systemd, ansible/playbooks/control-plane.yml): runs one program and
# starts it again when it exits or stops answering its health check.
#
#   supervise.sh [--name NAME] [--restarts FILE] [--health CMD] [--grace S] -- PROGRAM ARGS...
#
# - exited: started again after 1 s; 5 s once it died within 10 s of its start 3 times in a row (a crash loop
#   stays slow);
# - --health CMD (a shell command, e.g. curl of /healthz): run every 2 s once the program had --grace seconds
#   (default 30) to start; 3 failures in a row and the program is killed, then started again;
# - --restarts FILE: the number of restarts so far, rewritten at each one (the processes count their own
#   starts in /metrics: dbaas_process_starts_total);
# - TERM/INT: the program gets TERM (KILL after 10 s) and the supervisor exits once it is gone.
set -uo pipefail

name=program restarts_file= health= grace=30
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --restarts) restarts_file=$2; shift 2 ;;
    --health) health=$2; shift 2 ;;
    --grace) grace=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: supervise.sh [options] -- PROGRAM ARGS..." >&2; exit 2; }

# One JSON line, as the API and the worker write theirs (the log file is theirs too); messages are ours, escaped anyway.
say() {
  local m="$name: $*"
  m=${m//\\/\\\\} m=${m//\"/\\\"}
  printf '{"level":30,"time":"%s","service":"supervise","pid":%d,"msg":"%s"}\n' "$(date -u +%FT%T.%3NZ)" "$$" "$m" >&2
}

child= stopping=
# Ends the program: TERM, then KILL if it is still there after 10 s (bounded: 50 checks).
end_child() {
  [ -n "$child" ] || return 0
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$child" 2>/dev/null
}
trap 'stopping=1' TERM INT

restarts=0 quick=0
[ -z "$restarts_file" ] || echo 0 >"$restarts_file"
while [ -z "$stopping" ]; do
  started=$SECONDS
  "$@" &
  child=$!
  say "started (pid $child)"
  fails=0 next_check=$((SECONDS + grace))
  while [ -z "$stopping" ] && kill -0 "$child" 2>/dev/null; do
    # A short sleep in the background so TERM is handled at once, not after the sleep.
    sleep 0.5 &
    wait $! 2>/dev/null
    if [ -n "$health" ] && [ $SECONDS -ge $next_check ]; then
      next_check=$((SECONDS + 2))
      if timeout 5 bash -c "$health" >/dev/null 2>&1; then fails=0; else fails=$((fails + 1)); fi
      if [ $fails -ge 3 ]; then
        say "failed its health check 3 times: killing it"
        end_child
      fi
    fi
  done
  if [ -n "$stopping" ]; then
    end_child
    break
  fi
  wait "$child" 2>/dev/null
  rc=$?
  restarts=$((restarts + 1))
  [ -z "$restarts_file" ] || echo "$restarts" >"$restarts_file"
  if [ $((SECONDS - started)) -lt 10 ]; then quick=$((quick + 1)); else quick=0; fi
  delay=1
  [ $quick -lt 3 ] || delay=5
  say "exited (status $rc); restart $restarts in $delay s"
  sleep "$delay" &
  wait $! 2>/dev/null
done
say "stopped"
