#!/usr/bin/env bash
# Prepare the container test lane without an image registry: a Docker engine and a
# local PostgreSQL image. Safe to run again: every step is skipped when already done.
#
#   sudo bash .ci/container-image.sh      # then: ASTEGNI_DB_TEST_BACKEND=container pytest -m container
#
# Environment:
#   ASTEGNI_DB_TEST_IMAGE   image to provide (default astegni-db/postgres:15); if it already
#                           exists locally (built here, pulled or loaded), nothing is built
#   ASTEGNI_DB_CACHE_DIR    where the debootstrap root filesystem is cached (/var/cache/astegni-db)
#   DEBIAN_MIRROR           mirror for debootstrap (default: the one apt uses, else deb.debian.org)
#   DOCKERD_LOG             dockerd's log when this script starts it (/var/log/astegni-db-dockerd.log)
#   ASTEGNI_DB_DOCKER_STORAGE_DRIVER  driver for a dockerd started here (overlay2, else vfs)
set -euo pipefail

DEFAULT_IMAGE=astegni-db/postgres:15
IMAGE="${ASTEGNI_DB_TEST_IMAGE:-$DEFAULT_IMAGE}"
CACHE_DIR="${ASTEGNI_DB_CACHE_DIR:-/var/cache/astegni-db}"
SUITE=bookworm
PG_MAJOR=15
ROOTFS_TAR="$CACHE_DIR/rootfs-$SUITE-postgresql-$PG_MAJOR.tar"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/astegni-db-dockerd.log}"

CLEANUP=()
cleanup() { for path in "${CLEANUP[@]}"; do rm -rf "$path"; done; }
trap cleanup EXIT

log() { printf '[container-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts dockerd)"

apt_install() {
    # apt-get update only once per run, and only when something is missing.
    if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

engine_ready_within() {
    # $1: seconds. Succeeds once the socket answers; fails early if dockerd $2 died.
    local tries=$(( $1 * 2 ))
    for _ in $(seq 1 "$tries"); do
        if [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1; then return 0; fi
        if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then return 1; fi
        sleep 0.5
    done
    return 1
}

start_dockerd() {
    local driver=$1 pid
    log "starting dockerd (storage driver $driver; log: $DOCKERD_LOG)"
    nohup dockerd --storage-driver="$driver" >"$DOCKERD_LOG" 2>&1 &
    pid=$!
    if engine_ready_within 60 "$pid"; then
        log "Docker engine ready (pid $pid)"
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    tail -n 5 "$DOCKERD_LOG" >&2 || true
    return 1
}

ensure_engine() {
    if ! command -v dockerd >/dev/null 2>&1; then
        log "installing docker.io"
        apt_install docker.io
    fi
    if docker info >/dev/null 2>&1; then
        log "Docker engine already running (storage driver $(docker info -f '{{.Driver}}'))"
        return
    fi
    # overlay2 shares image layers between containers; vfs copies the whole image for
    # every container (~18 s per start here under load), but works on any filesystem.
    local driver="${ASTEGNI_DB_DOCKER_STORAGE_DRIVER:-overlay2}"
    start_dockerd "$driver" && return
    if [ "$driver" != vfs ]; then
        log "storage driver $driver unavailable here; falling back to vfs"
        start_dockerd vfs && return
    fi
    die "dockerd did not come up within 60 s"
}

debian_mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    local found
    found=$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}';
               grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}'; } \
             | grep -v security | head -n 1 || true)
    echo "${found:-http://deb.debian.org/debian}"
}

build_rootfs_tar() {
    command -v debootstrap >/dev/null 2>&1 || { log "installing debootstrap"; apt_install debootstrap; }
    local root
    root=$(mktemp -d /tmp/astegni-db-rootfs.XXXXXX)
    CLEANUP+=("$root")
    # mktemp's 0700 would become the image's "/" and lock the postgres user out of everything.
    chmod 755 "$root"
    log "debootstrap $SUITE + postgresql-$PG_MAJOR from $(debian_mirror) (takes a minute or two)"
    debootstrap --variant=minbase --include="postgresql-$PG_MAJOR" "$SUITE" "$root" \
        "$(debian_mirror)" >"$CACHE_DIR/debootstrap.log" 2>&1 \
        || { tail -n 20 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
    # Every container copies the whole image under the vfs storage driver, so size is
    # start-up time. Dropped: the package's own cluster (the entrypoint makes its own),
    # LLVM for JIT (~135 MB; without llvmjit.so PostgreSQL silently runs without JIT),
    # perl modules (only pg_wrapper uses them; PATH points at the real binaries),
    # locale sources (C.UTF-8 is precompiled), docs and apt caches.
    rm -rf "$root/var/lib/postgresql/$PG_MAJOR" "$root/etc/postgresql/$PG_MAJOR" \
           "$root"/usr/lib/x86_64-linux-gnu/libLLVM* "$root"/usr/lib/x86_64-linux-gnu/libz3.so* \
           "$root/usr/lib/postgresql/$PG_MAJOR/lib/llvmjit"* "$root/usr/lib/postgresql/$PG_MAJOR/lib/bitcode" \
           "$root"/usr/lib/x86_64-linux-gnu/perl "$root"/usr/share/perl "$root"/usr/share/i18n \
           "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc \
           "$root"/usr/share/man "$root"/usr/share/locale
    tar -C "$root" -cf "$ROOTFS_TAR.partial" .
    mv "$ROOTFS_TAR.partial" "$ROOTFS_TAR"
}

write_entrypoint() {
    # Honours POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB / POSTGRES_INITDB_ARGS /
    # POSTGRES_HOST_AUTH_METHOD like the official image,
    # so testcontainers' PostgresContainer (and anyone's docker run) work unchanged.
    cat >"$1" <<'ENTRYPOINT'
#!/bin/sh
set -eu
BIN=/usr/lib/postgresql/15/bin
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
[ "${1:-}" = postgres ] && shift
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

mkdir -p /run/postgresql "$PGDATA"
chown postgres:postgres /run/postgresql "$PGDATA"
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
        echo "error: set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
        exit 1
    fi
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    chown postgres "$pwfile"
    # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a word list, as in the official image
    as_postgres "$BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
        -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host="$auth" \
        ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        quoted=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
        echo "CREATE DATABASE \"$quoted\"" \
            | as_postgres "$BIN/postgres" --single -D "$PGDATA" -j postgres >/dev/null
    fi
    echo "astegni-db entrypoint: initialised $PGDATA" >&2
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
    "$BIN/postgres" -D "$PGDATA" -c "listen_addresses=*" "$@"
ENTRYPOINT
    chmod 755 "$1"
}

build_image() {
    mkdir -p "$CACHE_DIR"
    if [ -s "$ROOTFS_TAR" ]; then
        log "reusing cached root filesystem $ROOTFS_TAR"
    else
        build_rootfs_tar
    fi
    local work
    work=$(mktemp -d /tmp/astegni-db-image.XXXXXX)
    CLEANUP+=("$work")
    mkdir -p "$work/extra/usr/local/bin"
    write_entrypoint "$work/extra/usr/local/bin/docker-entrypoint.sh"
    # The entrypoint is appended to a copy of the cached tarball so that changing it
    # never requires another debootstrap.
    cp "$ROOTFS_TAR" "$work/rootfs.tar"
    tar -C "$work/extra" --owner=0 --group=0 -rf "$work/rootfs.tar" ./usr/local/bin/docker-entrypoint.sh
    log "importing $IMAGE"
    local previous
    previous=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
    docker import \
        -c "LABEL astegni-db.recipe=$(recipe_hash)" \
        -c 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
        -c "ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        -c 'ENV PGDATA=/var/lib/postgresql/data' \
        -c 'EXPOSE 5432' \
        "$work/rootfs.tar" "$IMAGE" >/dev/null
    # The image from the older recipe is now untagged: reclaim its space.
    if [ -n "$previous" ]; then docker image rm "$previous" >/dev/null 2>&1 || true; fi
}

recipe_hash() {
    # Changes whenever the entrypoint or this script's image recipe changes.
    local tmp
    tmp=$(mktemp)
    write_entrypoint "$tmp"
    cat "$tmp" "$0" | sha256sum | cut -c1-16
    rm -f "$tmp"
}

image_is_usable() {
    docker image inspect "$IMAGE" >/dev/null 2>&1 || return 1
    # An image the user named (pulled or loaded) is taken as it is; our own default
    # image is rebuilt (from the cached root filesystem) when its recipe changed.
    [ "$IMAGE" != "$DEFAULT_IMAGE" ] && return 0
    [ "$(docker image inspect -f '{{index .Config.Labels "astegni-db.recipe"}}' "$IMAGE")" \
        = "$(recipe_hash)" ]
}

started=$(date +%s)
ensure_engine
if image_is_usable; then
    log "image $IMAGE already present; nothing to build"
else
    build_image
fi
log "ready in $(( $(date +%s) - started )) s: image $IMAGE"
