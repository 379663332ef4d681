#!/usr/bin/env bash
# Build the database engine images from Debian bookworm packages, with no
# Docker Hub: debootstrap --variant=minbase into a temp dir, trim it, add the
# engine's entrypoint, then `tar | docker import` with the image config.
#
# Usage: scripts/images/build.sh [--push|--no-push] [--force] [ENGINE...]
#   ENGINE: postgres mariadb redis (default: all three, built one after the
#   other; the machine has 2 cores)
#   --push     push to the registry (default when the registry answers);
#              starts docker + registry via scripts/services.sh if needed
#   --no-push  local images only
#   --force    rebuild even when the recipe hash matches
# Images: $IMAGE_REGISTRY/library/{postgres:15,mariadb:10.11,redis:7.0}
#   (IMAGE_REGISTRY default 127.0.0.1:5000).
#
# Engine recipes live in scripts/images/ENGINE/ (recipe.sh: packages, image
# config, customize(); entrypoint.sh). Cache: the sha256 of this script plus
# the engine's files is stored as label dbaas.recipe; an engine whose local
# image has that label (and, when pushing, whose registry tag has the same
# digest) is skipped, so a re-run takes seconds.
# The debootstrap mirror is the machine's own apt source for bookworm
# (override: DEBOOTSTRAP_MIRROR); the .debs are cached in
# $DBAAS_STATE_DIR/cache/debootstrap.
set -euo pipefail

LOG_TAG=images
HERE=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib.sh
. "$HERE/../lib.sh"

SUITE=bookworm
ALL_ENGINES=(postgres mariadb redis)
CACHE_DIR=$DBAAS_STATE_DIR/cache/debootstrap
BUILD_LOGS=$DBAAS_LOG_DIR/images
# services.env (from services.sh up) has the registry and its credentials
if [ -f "$DBAAS_STATE_DIR/services.env" ]; then
  IMAGE_REGISTRY=${IMAGE_REGISTRY:-$(sed -n 's/^IMAGE_REGISTRY=//p' "$DBAAS_STATE_DIR/services.env")}
fi
REGISTRY=${IMAGE_REGISTRY:-127.0.0.1:5000}
REG_USER=${IMAGE_REGISTRY_USERNAME:-dbaas}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

push=auto force=
engines=()
while [ $# -gt 0 ]; do
  case $1 in
    --push) push=yes ;;
    --no-push) push=no ;;
    --force) force=1 ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *) [ -f "$HERE/$1/recipe.sh" ] || die "unknown engine '$1' (have: ${ALL_ENGINES[*]})"
       engines+=("$1") ;;
  esac
  shift
done
[ ${#engines[@]} -gt 0 ] || engines=("${ALL_ENGINES[@]}")
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, docker)"

# ------------------------------------------------------------- registry -----
reg_password() {
  if [ -n "${IMAGE_REGISTRY_PASSWORD:-}" ]; then printf '%s' "$IMAGE_REGISTRY_PASSWORD"
  else cat "$DBAAS_SECRETS_DIR/registry_password" 2>/dev/null; fi
}
registry_up() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$REGISTRY/v2/" 2>/dev/null) || return 1
  [ "$code" = 401 ] || [ "$code" = 200 ]
}
# digest of NAME:TAG in the registry (empty when absent)
registry_digest() {
  curl -s -I --max-time 10 -u "$REG_USER:$(reg_password)" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/$1/manifests/$2" 2>/dev/null \
    | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
# dbaas.recipe label of NAME:TAG in the registry (empty when absent), read
# from the image config blob without pulling the image
registry_recipe() {
  local auth cfg
  auth="$REG_USER:$(reg_password)"
  cfg=$(curl -sf --max-time 10 -u "$auth" \
          -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
          "http://$REGISTRY/v2/$1/manifests/$2" 2>/dev/null \
        | tr -d ' \n' | grep -o '"config":{[^}]*}' | grep -o 'sha256:[0-9a-f]*' | head -n1) || true
  [ -n "$cfg" ] || return 0
  curl -sfL --max-time 10 -u "$auth" "http://$REGISTRY/v2/$1/blobs/$cfg" 2>/dev/null \
    | grep -o '"dbaas.recipe":"[0-9a-f]*"' | head -n1 | cut -d'"' -f4 || true
}
# digest the local image had when it was last pushed to $REGISTRY
local_repo_digest() {
  docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$1" 2>/dev/null \
    | sed -n "s|^$REGISTRY/$2@||p" | head -n 1
}

# ------------------------------------------------------------- mirror -------
# First Debian URI for $SUITE in the machine's apt sources (one-line
# sources.list format and deb822 .sources), in apt's reading order.
find_mirror() {
  local f files=()
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  for f in "${files[@]}"; do
    case $f in
      *.sources)
        awk -v suite="$SUITE" '
          function flush() {
            if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no" && uris != "") {
              split(uris, u, " "); print u[1]; found = 1; exit
            }
            types = uris = suites = enabled = ""
          }
          /^[ \t]*#/ { next }
          /^[ \t]*$/ { flush(); next }
          { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
            if (key == "types") types = $0; else if (key == "uris") uris = $0
            else if (key == "suites") suites = $0; else if (key == "enabled") enabled = tolower($0) }
          END { if (!found) flush() }' "$f" ;;
      *)
        awk -v suite="$SUITE" '
          $1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i + 1) == suite) { print $i; exit }
          }' "$f" ;;
    esac
  done | grep -E '^(https?|file):' | head -n 1
}

# ------------------------------------------------------------- rootfs -------
WORK='' ROOTFS=''
cleanup() {
  [ -n "$WORK" ] && [ -d "$WORK" ] || return 0
  # debootstrap mounts /proc and /sys inside the target (and may leave them
  # behind when it fails), and $WORK itself may be a tmpfs: unmount all of
  # it, innermost first, before deleting anything.
  findmnt -rn -o TARGET | awk -v w="$WORK" '$0 == w || index($0, w "/") == 1' \
    | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$WORK"
  WORK='' ROOTFS=''
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Generic trim: what no server in the image reads at run time.
# renumber_user ROOTFS USER ID: USER and its group become uid/gid ID (the
# official images' 999), and every file of the old ids follows. The platform
# starts containers as that uid, not by name: the image must agree.
renumber_user() {
  local r=$1 user=$2 id=$3 ou og
  ou=$(chroot "$r" id -u "$user") og=$(chroot "$r" id -g "$user")
  [ "$ou" = "$id" ] && [ "$og" = "$id" ] && return 0
  if chroot "$r" getent group "$id" >/dev/null || chroot "$r" getent passwd "$id" >/dev/null; then
    die "uid/gid $id is taken in the $user image"
  fi
  chroot "$r" groupmod -g "$id" "$user"
  chroot "$r" usermod -u "$id" -g "$id" "$user"
  find "$r" -xdev -uid "$ou" -exec chown -h "$id" '{}' +
  find "$r" -xdev -gid "$og" -exec chgrp -h "$id" '{}' +
}

trim_rootfs() {
  local r=$1
  # docs, man pages, translations (keep copyright files and C.UTF-8)
  find "$r"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$r"/usr/share/doc -mindepth 1 -type d -empty -delete 2>/dev/null || true
  # (i18n: locale sources of the 'locales' package; C.UTF-8 is built into libc)
  rm -rf "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* "$r"/usr/share/i18n \
         "$r"/usr/share/lintian "$r"/usr/share/linda "$r"/usr/share/bug \
         "$r"/usr/share/common-licenses/GPL-[123] "$r"/usr/share/common-licenses/Apache-2.0
  # apt/dpkg caches and lists (the image never runs apt-get update itself)
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/cache/debconf/*-old \
         "$r"/var/lib/dpkg/*-old "$r"/var/cache/ldconfig/aux-cache
  # the full perl library (postgresql-common's wrapper scripts, unused here:
  # the entrypoints call the binaries directly); perl-base stays for dpkg
  rm -rf "$r"/usr/share/perl/5.* "$r"/usr/lib/x86_64-linux-gnu/perl/5.*
  # logs and temp files of the install
  find "$r"/var/log -type f -delete 2>/dev/null || true
  rm -rf "$r"/tmp/* "$r"/var/tmp/* "$r"/root/.cache
  # python/pyc or the like are not installed by minbase; nothing else big
}

# ------------------------------------------------------------- build --------
recipe_hash() { # hash of everything that defines the image
  local e=$1
  # Contents only, never absolute paths: a fresh clone elsewhere must find the same hash.
  { sha256sum <"$HERE/build.sh"
    find "$HERE/$e" -type f -print0 | sort -z | xargs -0 sha256sum | sed "s|$HERE/||"
    echo "suite=$SUITE"
  } | sha256sum | cut -c1-16
}

human_size() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1000000 }'; }

build_engine() {
  local e=$1 NAME TAG PACKAGES ENTRYPOINT CMD ENVS EXPOSE VOLUME WORKDIR STOPSIGNAL
  unset -f customize
  # shellcheck disable=SC1090
  . "$HERE/$e/recipe.sh"
  local hash image t0 old_id cur_hash
  hash=$(recipe_hash "$e")
  image=$REGISTRY/$NAME:$TAG
  t0=$(now)

  cur_hash=$(docker image inspect -f '{{index .Config.Labels "dbaas.recipe"}}' "$image" 2>/dev/null || true)
  # Not here but already in the registry (e.g. docker's storage was reset):
  # a pull from 127.0.0.1 takes seconds, a build a minute or more.
  if [ -z "$force" ] && [ "$cur_hash" != "$hash" ] && [ "$do_push" = yes ] \
     && [ "$(registry_recipe "$NAME" "$TAG")" = "$hash" ]; then
    step_begin "$e: pulling $image (registry has recipe $hash)"
    if run_logged "$BUILD_LOGS/$e-pull.log" docker pull "$image"; then step_end; else step_fail || true; fi
    cur_hash=$(docker image inspect -f '{{index .Config.Labels "dbaas.recipe"}}' "$image" 2>/dev/null || true)
  fi
  # The same recipe built here for another registry's name (a second platform on this machine): a tag, not a build.
  if [ -z "$force" ] && [ "$cur_hash" != "$hash" ]; then
    local same
    same=$(docker images -q --filter "label=dbaas.recipe=$hash" 2>/dev/null | head -n 1)
    if [ -n "$same" ] && docker tag "$same" "$image"; then
      log "$e: tagged $image from the local image of recipe $hash"
      cur_hash=$hash
    fi
  fi
  if [ -z "$force" ] && [ "$cur_hash" = "$hash" ]; then
    log "$e: $image is up to date (recipe $hash)"
  else
    log "$e: building $image (recipe $hash)"
    old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    local logf=$BUILD_LOGS/$e.log
    mkdir -p "$BUILD_LOGS" "$CACHE_DIR"
    : >"$logf"
    WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/dbaas-image-$e.XXXXXX")
    # The rootfs lives in RAM when possible: dpkg fsyncs every file it
    # unpacks, which makes debootstrap on disk 2-3x slower. (~650 MB used.)
    mount -t tmpfs -o size=3g,mode=755 dbaas-rootfs "$WORK" 2>/dev/null \
      || warn "tmpfs mount failed; building on disk (slower)"
    ROOTFS=$WORK/rootfs
    install -d -m 755 "$ROOTFS"
    if [ -z "${MIRROR:-}" ]; then
      MIRROR=${DEBOOTSTRAP_MIRROR:-$(find_mirror)}
      [ -n "$MIRROR" ] || die "no Debian '$SUITE' source in /etc/apt/sources.list{,.d/} (set DEBOOTSTRAP_MIRROR)"
      log "debootstrap mirror (from apt sources): $MIRROR"
    fi
    local include
    include=$(IFS=,; echo "${PACKAGES[*]}")
    # debootstrap ignores apt's proxy setting: hand it over if there is one
    local apt_proxy=
    eval "$(apt-config shell apt_proxy Acquire::http::Proxy)"
    http_proxy=${http_proxy:-$apt_proxy} run_progress "$e: debootstrap" "$logf" \
      debootstrap --variant=minbase --include="$include" --cache-dir="$CACHE_DIR" \
        "$SUITE" "$ROOTFS" "$MIRROR" || die "$e: debootstrap failed (log: $logf)"
    step_begin "$e: trimming rootfs"
    local before
    before=$(du -sm "$ROOTFS" | cut -f1)
    trim_rootfs "$ROOTFS"
    customize "$ROOTFS"
    install -D -m 755 "$HERE/$e/entrypoint.sh" "$ROOTFS/usr/local/bin/docker-entrypoint.sh"
    step_end "${before} MB -> $(du -sm "$ROOTFS" | cut -f1) MB"

    local changes=(-c "ENTRYPOINT $ENTRYPOINT" -c "CMD $CMD" -c "LABEL dbaas.recipe=$hash"
                   -c "LABEL dbaas.packages=$include")
    local kv
    for kv in "${ENVS[@]}"; do changes+=(-c "ENV $kv"); done
    [ -n "$EXPOSE" ] && changes+=(-c "EXPOSE $EXPOSE")
    [ -n "$VOLUME" ] && changes+=(-c "VOLUME $VOLUME")
    [ -n "$WORKDIR" ] && changes+=(-c "WORKDIR $WORKDIR")
    step_begin "$e: docker import"
    # --numeric-owner: the image's own uids (postgres, mysql, redis), not the
    # host's; device nodes and /proc,/sys contents are docker's business.
    tar --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
        -C "$ROOTFS" -c . | docker import "${changes[@]}" - "$image" >>"$logf" 2>&1 \
      || step_fail "docker import failed (log: $logf)"
    if [ -n "$STOPSIGNAL" ]; then
      # `docker import -c` does not accept STOPSIGNAL: add it with a
      # metadata-only build on top of the imported image (no layer, no pull).
      printf 'FROM %s\nSTOPSIGNAL %s\n' "$image" "$STOPSIGNAL" \
        | DOCKER_BUILDKIT=0 docker build -q -t "$image" - >>"$logf" 2>&1 \
        || step_fail "docker build (STOPSIGNAL) failed (log: $logf)"
    fi
    step_end
    cleanup
    # drop the previous build of this tag if nothing else refers to it
    if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
      docker rmi "$old_id" >>"$logf" 2>&1 || true
    fi
  fi

  if [ "$do_push" = yes ]; then
    local remote localdg
    remote=$(registry_digest "$NAME" "$TAG")
    localdg=$(local_repo_digest "$image" "$NAME")
    if [ -n "$remote" ] && [ "$remote" = "$localdg" ]; then
      log "$e: registry already has it ($remote)"
    else
      local pt0
      pt0=$(now)
      run_progress "$e: push" "$BUILD_LOGS/$e-push.log" docker push "$image" \
        || die "$e: push failed (log: $BUILD_LOGS/$e-push.log)"
      log "$e: pushed $image in $(elapsed "$pt0")"
    fi
  fi
  local size
  size=$(docker image inspect -f '{{.Size}}' "$image")
  log "$e: $image done in $(elapsed "$t0"), size $(human_size "$size")"
}

# ------------------------------------------------------------- main ---------
T0=$(now)
need_pkg debootstrap debian-archive-keyring curl ca-certificates
if ! timeout 10 docker info >/dev/null 2>&1; then
  "$HERE/../services.sh" up docker
fi
do_push=$push
if [ "$push" = auto ]; then
  if registry_up; then do_push=yes; else do_push=no; log "registry $REGISTRY not up: building local images only"; fi
elif [ "$push" = yes ] && ! registry_up; then
  "$HERE/../services.sh" up registry
fi
if [ "$do_push" = yes ] && [ -z "$(reg_password)" ]; then
  die "no registry password (run scripts/services.sh up, or set IMAGE_REGISTRY_PASSWORD)"
fi

if [ "$do_push" = yes ]; then
  # idempotent; makes the push independent of an earlier `services.sh up`
  reg_password | docker login "$REGISTRY" -u "$REG_USER" --password-stdin >/dev/null 2>&1 \
    || die "docker login $REGISTRY failed"
fi

for e in "${engines[@]}"; do
  build_engine "$e"
done
log "all done in $(elapsed "$T0")"
