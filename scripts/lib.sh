# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it; it does nothing on its own.
#   LOG_TAG=services; . "$(dirname "$0")/lib.sh"
# Needs bash >= 5 (EPOCHREALTIME for cheap step timing; Debian 12 has 5.2).

DBAAS_STATE_DIR=${DBAAS_STATE_DIR:-/var/lib/dbaas}
DBAAS_SECRETS_DIR=${DBAAS_SECRETS_DIR:-$DBAAS_STATE_DIR/secrets}
DBAAS_LOG_DIR=${DBAAS_LOG_DIR:-$DBAAS_STATE_DIR/log}
LOG_TAG=${LOG_TAG:-dbaas}
export DBAAS_STATE_DIR DBAAS_SECRETS_DIR DBAAS_LOG_DIR

# ---------------------------------------------------------------- logging ---
log()  { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$LOG_TAG" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }

# With set -e a failing command ends the script silently: say which one.
# (set -E so the trap also fires inside functions.)
_on_err() {
  local rc=$? src=${BASH_SOURCE[1]##*/} line=${BASH_LINENO[0]}
  printf '\n[%s] ERROR: exit %s at %s:%s: %s\n' "$LOG_TAG" "$rc" "$src" "$line" "$BASH_COMMAND" >&2
}
set -E
trap _on_err ERR

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
# elapsed START -> "3.2s"
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# step_begin "starting dockerd" ... step_end [result]
# Prints "[tag] starting dockerd ... ok (3.2s)" on one line when nothing else
# writes in between (the helpers below send noisy output to log files).
_STEP_T0=
_STEP_MSG=
step_begin() { _STEP_MSG=$1; _STEP_T0=$(now); printf '[%s] %s ... ' "$LOG_TAG" "$1" >&2; }
step_end()   { printf '%s (%s)\n' "${1:-ok}" "$(elapsed "$_STEP_T0")" >&2; }
step_fail()  { printf 'FAILED (%s)\n' "$(elapsed "$_STEP_T0")" >&2; [ $# -gt 0 ] && die "$*"; return 1; }

# run_logged LOGFILE CMD... : run CMD with its output appended to LOGFILE; on
# failure show the log's tail so the error is visible without digging.
run_logged() {
  local logf=$1; shift
  mkdir -p "$(dirname "$logf")"
  local rc=0
  "$@" >>"$logf" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] && return 0
  printf '\n' >&2
  warn "command failed (exit $rc): $*"
  warn "last lines of $logf:"
  tail -n 25 "$logf" | sed 's/^/    /' >&2
  return "$rc"
}

# run_progress LABEL LOGFILE CMD... : for long steps (debootstrap, push).
# Runs CMD in the background with output to LOGFILE and prints a heartbeat
# every ${PROGRESS_EVERY:-10}s with the elapsed time and the log's last line,
# so CI logs show it is alive and where it is.
run_progress() {
  local label=$1 logf=$2; shift 2
  mkdir -p "$(dirname "$logf")"
  local t0 pid rc=0 last=
  t0=$(now)
  "$@" >>"$logf" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    # sleep in 1s slices so short commands finish without a long wait
    local i
    for ((i = 0; i < ${PROGRESS_EVERY:-10}; i++)); do
      kill -0 "$pid" 2>/dev/null || break 2
      sleep 1
    done
    last=$(tail -n 1 "$logf" 2>/dev/null | tr -d '\r' | cut -c1-90)
    printf '[%s]   %s: %s elapsed ... %s\n' "$LOG_TAG" "$label" "$(elapsed "$t0")" "$last" >&2
  done
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    warn "$label failed (exit $rc); last lines of $logf:"
    tail -n 25 "$logf" | sed 's/^/    /' >&2
  fi
  return "$rc"
}

# wait_for [-t SECONDS] [-i INTERVAL] CMD... : poll CMD (quietly) until it
# succeeds; non-zero after the timeout (default 30s).
wait_for() {
  local timeout=30 interval=0.2
  while [ $# -gt 0 ]; do
    case $1 in
      -t) timeout=$2; shift 2 ;;
      -i) interval=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  local deadline
  deadline=$(awk -v a="$(now)" -v t="$timeout" 'BEGIN { printf "%.3f", a + t }')
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if awk -v a="$(now)" -v d="$deadline" 'BEGIN { exit !(a > d) }'; then return 1; fi
    sleep "$interval"
  done
}

# ------------------------------------------------------------------ apt -----
# need_pkg PKG... : install the Debian packages that are missing. apt-get
# update runs at most once per run (DBAAS_APT_UPDATED is exported so child
# scripts share it). Services are kept from auto-starting during install
# (policy-rc.d = 101): without systemd the init.d scripts would otherwise
# start e.g. a second registry on :5000 or redis on :6379 behind our back.
pkg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

need_pkg() {
  local missing=() p
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
  local aptlog=$DBAAS_LOG_DIR/apt.log
  mkdir -p "$DBAAS_LOG_DIR"
  if [ -z "${DBAAS_APT_UPDATED:-}" ]; then
    step_begin "apt-get update"
    run_logged "$aptlog" apt-get update -q || step_fail "apt-get update failed"
    step_end
    export DBAAS_APT_UPDATED=1
  fi
  local made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  step_begin "installing ${missing[*]}"
  local rc=0
  DEBIAN_FRONTEND=noninteractive run_logged "$aptlog" \
    apt-get install -y -q --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "${missing[@]}" || rc=$?
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ] || step_fail "apt-get install ${missing[*]} failed"
  step_end
}

# ------------------------------------------------------------------ misc ----
# gen_secret FILE : print the secret kept in FILE, creating it (64 hex chars,
# URL-safe so it can go into DATABASE_URL unescaped) the first time.
gen_secret() {
  local f=$1
  if [ ! -s "$f" ]; then
    mkdir -p "$(dirname "$f")"
    chmod 700 "$(dirname "$f")"
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f")
  fi
  cat "$f"
}

# pid_alive PIDFILE : the process named in PIDFILE is running
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid PIDFILE [SECONDS] : TERM the process, wait, KILL as a last resort
stop_pid() {
  local pf=$1 t=${2:-20} pid
  pid_alive "$pf" || { rm -f "$pf"; return 0; }
  pid=$(cat "$pf")
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for -t "$t" sh -c "! kill -0 $pid"; then
    warn "pid $pid did not stop in ${t}s, killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pf"
}

# ------------------------------------------------------------ node deps ---
# ensure_node_modules: installs the npm packages when they are missing or older than the lock file.
# `npm install` rather than `npm ci`: npm 11 omits other platforms' optional packages (@swc/core-*) from
# the lock file and `npm ci` then refuses it (npm/cli#4828); `npm install` still honours the locked versions.
ensure_node_modules() {
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null ||
    die "Node.js >= 20.19 is needed (found $(node --version 2>/dev/null || echo none))"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step_begin "installing npm packages"
    run_logged "$DBAAS_LOG_DIR/npm-install.log" npm install --no-audit --no-fund || step_fail "npm install failed"
    step_end
  fi
}

# prepare_platform [ENGINE...]: what tests, benchmarks and the quickstart all need before they start the
# platform: npm packages, the services (PostgreSQL, Redis, dockerd, registry), the engine images (all, or
# the ones named) in the registry, and a fresh build of the API and the worker.
prepare_platform() {
  ensure_node_modules
  bash scripts/services.sh up
  bash scripts/images/build.sh --push "$@"
  if build_is_fresh; then
    log "api, worker and console: build up to date"
  else
    step_begin "building api and worker"
    # The stamp takes the time the build starts: a file saved during the build makes the next run build again.
    mkdir -p dist && : >dist/.build-started
    run_logged "$DBAAS_LOG_DIR/build.log" npm run --silent build || step_fail "build failed"
    mv dist/.build-started dist/.build-stamp
    step_end
  fi
}

# build_is_fresh: dist/ was built from the sources as they are (nothing under apps/, libs/ or the build's
# configuration changed since the last build began).
build_is_fresh() {
  [ -f dist/.build-stamp ] && [ -f dist/apps/api/main.js ] && [ -f dist/apps/worker/main.js ] || return 1
  [ -z "$(find apps libs package.json package-lock.json nest-cli.json tsconfig.json -newer dist/.build-stamp -print -quit 2>/dev/null)" ]
}
