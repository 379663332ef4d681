# shellcheck shell=bash
# Recipe for 127.0.0.1:5000/library/postgres:15, sourced by ../build.sh.
# Everything here is part of the recipe hash: change it and the image rebuilds.
NAME=library/postgres
TAG=15
PACKAGES=(postgresql-15 gosu)
ENTRYPOINT='["docker-entrypoint.sh"]'
CMD='["postgres"]'
ENVS=(
  PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  PG_MAJOR=15
  PGDATA=/var/lib/postgresql/data
  LANG=C.UTF-8
)
EXPOSE=5432
VOLUME=/var/lib/postgresql/data
WORKDIR=
# Fast shutdown on docker stop (SIGTERM would be postgres' "smart" shutdown,
# which waits for every client to disconnect), as the official image does.
STOPSIGNAL=SIGINT

# customize ROOTFS: runs after the generic trim (see build.sh)
customize() {
  local r=$1
  # postgres is uid/gid 999, as in the official image: the platform starts
  # the container as 999:999 and makes the volume that user's on the host.
  renumber_user "$r" postgres 999
  # The package's postinst created a default cluster; the image starts empty.
  rm -rf "$r"/var/lib/postgresql/15 "$r"/etc/postgresql/15
  mkdir -p "$r"/var/lib/postgresql/data "$r"/docker-entrypoint-initdb.d
  chroot "$r" chown postgres:postgres /var/lib/postgresql /var/lib/postgresql/data
  chmod 700 "$r"/var/lib/postgresql/data
  # LLVM JIT (~120 MB with libLLVM + libz3): optional, postgres silently runs
  # without JIT when llvmjit.so is absent.
  rm -rf "$r"/usr/lib/postgresql/15/lib/bitcode "$r"/usr/lib/postgresql/15/lib/llvmjit*.so
  rm -f "$r"/usr/lib/x86_64-linux-gnu/libLLVM-14.so* "$r"/usr/lib/llvm-14/lib/libLLVM*.so* \
        "$r"/usr/lib/x86_64-linux-gnu/libz3.so*
}
