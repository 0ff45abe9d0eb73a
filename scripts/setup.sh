#!/usr/bin/env bash
# Brings a machine from a fresh clone to one where `npm test`, `npm run demo` and
# `npm run bench` work: npm packages, the compiled CLI, a running container engine,
# and the images the tests and the example use. Every step is skipped when already
# done, so the warm path costs a second or two.
#
# No image registry is reachable, so images are made locally: a busybox image from
# Debian's busybox-static, a Debian base from debootstrap (tagged like the official
# one so that ordinary Dockerfiles build), and the example built on top of it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TINY_IMAGE=stevedore-test/tiny:latest
DEBIAN_IMAGE=debian:bookworm-slim
EXAMPLE_IMAGE=stevedore-examples/sql-transform:latest
EXAMPLE_DIR=examples/sql-transform
# Bump when the tiny image's recipe below changes, so existing images get rebuilt.
TINY_RECIPE=tiny-v1
DOCKERD_LOG=/var/log/stevedore-dockerd.log
CACHE_DIR=/var/cache/stevedore

log() { echo "setup: $*" >&2; }
die() { echo "setup: $*" >&2; exit 1; }

is_root() { [[ $(id -u) == 0 ]]; }
is_debian() { [[ -f /etc/debian_version ]] && command -v apt-get >/dev/null; }

# Temporary folders are removed however the script ends.
cleanup_dirs=()
cleanup() {
  local d
  for d in "${cleanup_dirs[@]+"${cleanup_dirs[@]}"}"; do remove_tree "$d"; done
}
trap cleanup EXIT

# A debootstrap that failed half-way can leave /proc or /sys mounted inside its
# target: unmount those first and never let rm cross into another file system.
remove_tree() {
  local dir=$1 mnt
  [[ -d $dir ]] || return 0
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
  rm -rf --one-file-system "$dir"
}

main() {
  take_lock
  ensure_npm_packages
  ensure_build
  ensure_engine
  ensure_tiny_image
  ensure_debian_image
  ensure_example_image
}

# Two setups at once (say `npm test` and `npm run demo`) would race on node_modules
# and on the images; the second one waits for the first.
take_lock() {
  command -v flock >/dev/null || return 0
  exec 9>"${TMPDIR:-/tmp}/stevedore-setup.lock"
  if ! flock -n 9; then
    log "waiting for another setup.sh to finish"
    flock 9
  fi
}

ensure_npm_packages() {
  if [[ -d node_modules && ! package-lock.json -nt node_modules/.package-lock.json ]]; then
    return 0
  fi
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >&2
  # npm leaves the file alone when nothing changed; touch it so the next run skips.
  touch node_modules/.package-lock.json
}

ensure_build() {
  local stamp=dist/.build-stamp
  if [[ -f $stamp && -z $(find src tsconfig.json -newer "$stamp" -print -quit) ]]; then
    return 0
  fi
  log "building dist/ (npm run build)"
  # The stamp gets the time the build started: a file saved during the build is
  # newer than it and gets built next time.
  local started
  started=$(date +%s.%N)
  # A clean build: a module deleted from src/ must not live on in dist/.
  rm -rf dist
  npm run build --silent >&2
  touch -d "@$started" "$stamp"
}

# ---- container engine ----------------------------------------------------------

# The socket this script can start an engine on; empty when DOCKER_HOST points
# somewhere else (tcp://, ssh://).
engine_socket() {
  local host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  [[ $host == unix://* ]] && echo "${host#unix://}"
  return 0
}

engine_answers() {
  local sock
  sock=$(engine_socket)
  if [[ -n $sock ]] && command -v curl >/dev/null; then
    curl -fsS --noproxy '*' --max-time 5 --unix-socket "$sock" http://localhost/_ping \
      >/dev/null 2>&1
  else
    docker info >/dev/null 2>&1
  fi
}

ensure_engine() {
  if engine_answers; then
    command -v docker >/dev/null && return 0
    is_debian && is_root || die "the docker CLI is missing: apt-get install docker.io"
    log "installing the docker CLI (apt-get install docker.io)"
    apt_install docker.io
    return 0
  fi

  local sock
  sock=$(engine_socket)
  if [[ $sock != /var/run/docker.sock && $sock != /run/docker.sock ]]; then
    # Starting a second daemon here would fight the first over the docker0 bridge.
    die "no container engine answers at DOCKER_HOST=$DOCKER_HOST: start that engine," \
      "or unset DOCKER_HOST to use the local one on /var/run/docker.sock"
  fi
  if [[ -S $sock ]] && ! is_root && [[ ! -w $sock ]]; then
    die "an engine's socket is at $sock but this user may not use it: join its group" \
      "(sudo usermod -aG docker \"\$USER\", then log in again) and run this again"
  fi
  if ! is_debian || ! is_root; then
    cat >&2 <<'MSG'
setup: no container engine answers on /var/run/docker.sock, and this script only
setup: installs one on Debian as root. Install Docker Engine yourself, e.g.
setup:   Debian/Ubuntu:  sudo apt-get install -y docker.io
setup:   others:         https://docs.docker.com/engine/install/
setup: start it (sudo systemctl start docker, or without systemd:
setup:   sudo setsid dockerd --storage-driver=overlay2 >/var/log/dockerd.log 2>&1 &),
setup: make sure your user may use it (sudo usermod -aG docker "$USER", then log in
setup: again) or point DOCKER_HOST at it, and run `bash scripts/setup.sh` again.
MSG
    exit 1
  fi

  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    log "installing the container engine (apt-get install docker.io)"
    local pkgs=(docker.io ca-certificates)
    # dockerd loads its AppArmor profile only where the kernel enforces AppArmor.
    if [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y ]]; then
      pkgs+=(apparmor)
    fi
    apt_install "${pkgs[@]}"
  fi

  local pid
  pid=$(dockerd_pid)
  if [[ -n $pid ]]; then
    log "waiting for the running dockerd (pid $pid) to answer"
  else
    log "starting dockerd (log: $DOCKERD_LOG)"
    # setsid: the engine outlives this script and the npm command that ran it.
    # 9>&-: it must not inherit the setup lock, or the next setup would wait forever.
    setsid dockerd --storage-driver=overlay2 >"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    pid=$!
  fi

  local deadline=$((SECONDS + 60))
  until engine_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      engine_failed "dockerd exited before answering"
    fi
    if ((SECONDS >= deadline)); then
      engine_failed "dockerd did not answer within 60 s"
    fi
    sleep 0.5
  done
  log "dockerd answers"
}

dockerd_pid() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

engine_failed() {
  echo "setup: $1; the end of $DOCKERD_LOG:" >&2
  tail -n 30 "$DOCKERD_LOG" >&2 || true
  exit 1
}

# ---- Debian packages -----------------------------------------------------------

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    log "apt-get update"
    apt_get update || apt_failed
  fi
  # Old package lists point at versions the archive no longer has: refresh, retry.
  if ! apt_get install -y --no-install-recommends "$@"; then
    log "apt-get install failed; refreshing the package lists and retrying"
    apt_get update || apt_failed
    apt_get install -y --no-install-recommends "$@" || apt_failed
  fi
}

# apt's chatter goes to a log, shown when it fails. A package's install script may
# start a service (docker.io's starts dockerd where it can): 9>&- keeps the setup
# lock out of it.
apt_get() {
  mkdir -p "$CACHE_DIR"
  echo "+ apt-get $*" >>"$CACHE_DIR/apt.log"
  apt-get "$@" >>"$CACHE_DIR/apt.log" 2>&1 9>&-
}

apt_failed() {
  echo "setup: apt-get failed; the end of $CACHE_DIR/apt.log:" >&2
  tail -n 30 "$CACHE_DIR/apt.log" >&2
  exit 1
}

ensure_package() {
  local pkg=$1 status
  status=$(dpkg-query -W -f '${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ $status == installed ]] && return 0
  is_debian && is_root || die "Debian package $pkg is needed: sudo apt-get install -y $pkg"
  log "installing $pkg (apt-get install $pkg)"
  apt_install "$pkg"
}

# ---- images --------------------------------------------------------------------

image_label() {
  docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

image_id() { docker image inspect -f '{{ .Id }}' "$1" 2>/dev/null || true; }

# A rebuilt image leaves its predecessor untagged; remove it unless a container
# or another tag still holds it.
drop_image() {
  local id=$1
  [[ -n $id ]] || return 0
  [[ -n $(docker image inspect -f '{{ join .RepoTags "," }}' "$id" 2>/dev/null) ]] && return 0
  docker image rm "$id" >/dev/null 2>&1 || true
}

ensure_tiny_image() {
  [[ $(image_label "$TINY_IMAGE" stevedore.recipe) == "$TINY_RECIPE" ]] && return 0
  ensure_package busybox-static
  log "building $TINY_IMAGE from busybox-static"

  local root applet old
  old=$(image_id "$TINY_IMAGE")
  root=$(mktemp -d "${TMPDIR:-/tmp}/stevedore-tiny.XXXXXX")
  cleanup_dirs+=("$root")
  mkdir -p "$root"/{bin,etc,data,usr}
  install -m 1777 -d "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
  done
  # Scripts written for other images say #!/usr/bin/env or /usr/bin/...
  ln -s ../bin "$root/usr/bin"
  ln -s bin "$root/sbin"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"

  tar --numeric-owner -C "$root" -c . |
    docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' \
      -c "LABEL stevedore.recipe=$TINY_RECIPE" - "$TINY_IMAGE" >/dev/null
  remove_tree "$root"
  drop_image "$old"
}

ensure_debian_image() {
  docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1 && return 0
  is_root || die "$DEBIAN_IMAGE is missing and debootstrap needs root: run this script as root"
  ensure_package debootstrap

  local mirror root started=$SECONDS
  mirror=$(debian_mirror)
  log "building $DEBIAN_IMAGE with debootstrap from $mirror (about a minute)"
  mkdir -p "$CACHE_DIR"
  root=$(mktemp -d "$CACHE_DIR/bookworm.XXXXXX")
  cleanup_dirs+=("$root")
  if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1
  then
    echo "setup: debootstrap failed; the end of $CACHE_DIR/debootstrap.log:" >&2
    tail -n 30 "$CACHE_DIR/debootstrap.log" >&2
    exit 1
  fi
  slim_rootfs "$root"

  tar --numeric-owner -C "$root" -c . |
    docker import -c 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  remove_tree "$root"
  log "built $DEBIAN_IMAGE in $((SECONDS - started)) s"
}

# What the official slim image does: no apt caches, and dpkg skips docs and man
# pages in later installs, which keeps images built on it small.
slim_rootfs() {
  local root=$1
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
    "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
    "$root"/usr/share/info/*
  # The engine provides /dev; device nodes from the host do not belong in a layer.
  rm -rf "${root:?}"/dev/*
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
}

# The Debian archive this machine's apt uses (the only one reachable); deb.debian.org
# when none is configured for bookworm.
debian_mirror() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f && -z $uri ]] || continue
    uri=$(awk -v RS= -F '\n' '
      {
        types = ""; suites = ""; uris = ""; enabled = 1
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) types = " " substr($i, 7) " "
          else if ($i ~ /^Suites:/) suites = " " substr($i, 8) " "
          else if ($i ~ /^URIs:/) uris = substr($i, 6)
          else if ($i ~ /^Enabled:[ \t]*no/) enabled = 0
        }
        if (enabled && types ~ /[ \t]deb[ \t]/ && suites ~ /[ \t]bookworm[ \t]/) {
          split(uris, u, /[ \t]+/)
          for (j in u) if (u[j] != "") { print u[j]; exit }
        }
      }' "$f")
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f && -z $uri ]] || continue
    uri=$(awk '
      $1 == "deb" {
        sub(/\[[^]]*\]/, "")
        if ($3 == "bookworm") { print $2; exit }
      }' "$f")
  done
  echo "${uri:-http://deb.debian.org/debian}"
}

ensure_example_image() {
  local hash
  hash=$(example_hash)
  [[ $(image_label "$EXAMPLE_IMAGE" stevedore.content-hash) == "$hash" ]] && return 0
  log "building $EXAMPLE_IMAGE from $EXAMPLE_DIR"

  local build_log old
  old=$(image_id "$EXAMPLE_IMAGE")
  build_log=$(mktemp "${TMPDIR:-/tmp}/stevedore-build.XXXXXX")
  # The classic builder uses the local base image as is; no registry lookups.
  if ! DOCKER_BUILDKIT=0 docker build --label "stevedore.content-hash=$hash" \
    -t "$EXAMPLE_IMAGE" "$EXAMPLE_DIR" >"$build_log" 2>&1; then
    echo "setup: docker build failed; its output ends with:" >&2
    tail -n 30 "$build_log" >&2
    rm -f "$build_log"
    exit 1
  fi
  rm -f "$build_log"
  drop_image "$old"
}

# The folder's paths, modes and contents, plus the base image it builds on: a change
# to any of them means the image is stale.
example_hash() {
  {
    image_id "$DEBIAN_IMAGE"
    cd "$EXAMPLE_DIR"
    find . -type f -printf '%p %m\n' | LC_ALL=C sort
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-32
}

main "$@"
