# shellcheck shell=bash disable=SC2034
# Shared settings for the VM lab scripts (sourced, not executed).
# All state lives under LAB_DIR so the repo tree stays clean.
LAB_DIR="${DBAAS_LAB_DIR:-/var/lib/dbaas/lab}"
LAB_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_SUITE="${LAB_SUITE:-bookworm}"
LAB_KEY="$LAB_DIR/ssh/id_ed25519"
LAB_IMAGE_DIR="$LAB_DIR/image"

_lab_t0=${EPOCHREALTIME/./}
# Microseconds -> "12.3" seconds, pure bash (no bc on a fresh machine).
usecs_to_s() { local u=$1; printf '%d.%d' $((u / 1000000)) $((u % 1000000 / 100000)); }
elapsed_since() { usecs_to_s $((${EPOCHREALTIME/./} - $1)); }
# Progress line with seconds since the script started.
log() { printf '[lab %6ss] %s\n' "$(elapsed_since "$_lab_t0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Install host tools from Debian when missing (the machine is rebuilt between sessions).
need_host_pkgs() {
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  log "installing host packages: ${missing[*]}"
  [[ -n "$(find /var/lib/apt/lists -name '*_Packages*' -print -quit 2>/dev/null)" ]] || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 nice -n 19 apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}
