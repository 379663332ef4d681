# shellcheck shell=bash
# Recipe for 127.0.0.1:5000/library/mariadb:10.11, sourced by ../build.sh.
# Everything here is part of the recipe hash: change it and the image rebuilds.
NAME=library/mariadb
TAG=10.11
# mariadb-server-core + mariadb-client-core are the server and client of
# Debian's mariadb-server (10.11); the metapackage only adds Galera cluster
# SST tooling (galera-4, rsync, socat, lsof, perl) that a single container
# never uses, and ~100 MB.
PACKAGES=(mariadb-server-core mariadb-client-core gosu)
ENTRYPOINT='["docker-entrypoint.sh"]'
CMD='["mariadbd"]'
ENVS=(
  LANG=C.UTF-8
)
EXPOSE=3306
VOLUME=/var/lib/mysql
WORKDIR=
STOPSIGNAL=

customize() {
  local r=$1
  # The mysql user comes with the mariadb-server metapackage's postinst, not
  # with -core: create it (uid/gid 999, as in the official image).
  if ! grep -q '^mysql:' "$r"/etc/passwd; then
    chroot "$r" groupadd --system --gid 999 mysql
    chroot "$r" useradd --system --uid 999 --gid 999 --home-dir /var/lib/mysql \
      --no-create-home --shell /usr/sbin/nologin mysql
  fi
  rm -rf "$r"/var/lib/mysql
  mkdir -p "$r"/var/lib/mysql "$r"/run/mysqld "$r"/etc/mysql/conf.d "$r"/docker-entrypoint-initdb.d
  chroot "$r" chown mysql:mysql /var/lib/mysql /run/mysqld
  # Same settings as the official image's docker.cnf: no reverse DNS per
  # connection (there is no DNS to ask; lookups would stall logins), logs to
  # stderr (docker logs).
  cat >"$r"/etc/mysql/conf.d/docker.cnf <<'CNF'
[mariadb]
skip-name-resolve
host-cache-size=0
CNF
  # The Debian configs may pin bind-address to 127.0.0.1: the server must
  # listen on all interfaces inside the container.
  grep -rl '^bind-address' "$r"/etc/mysql | xargs -r sed -i 's/^bind-address/#bind-address/' || true
}
