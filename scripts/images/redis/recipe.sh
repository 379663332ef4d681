# shellcheck shell=bash
# Recipe for 127.0.0.1:5000/library/redis:7.0, sourced by ../build.sh.
# Everything here is part of the recipe hash: change it and the image rebuilds.
NAME=library/redis
TAG=7.0
PACKAGES=(redis-server gosu)
ENTRYPOINT='["docker-entrypoint.sh"]'
CMD='["redis-server"]'
ENVS=(
  LANG=C.UTF-8
)
EXPOSE=6379
VOLUME=/data
WORKDIR=/data
STOPSIGNAL=

customize() {
  local r=$1
  # redis is uid/gid 999, as in the official image: the platform starts the
  # container as 999:999 and makes the volume that user's on the host.
  renumber_user "$r" redis 999
  mkdir -p "$r"/data
  chroot "$r" chown redis:redis /data
  # The Debian config file is for the packaged system service (daemonize,
  # /var/log, bind 127.0.0.1); the image runs redis-server without one, like
  # the official image.
  rm -rf "$r"/etc/redis/redis.conf "$r"/var/lib/redis "$r"/var/log/redis
}
