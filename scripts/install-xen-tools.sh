#!/usr/bin/env bash
# Installs Xen's real xenstore clients for the xenstored tests and bench:
#  - Debian's xenstore-utils (xenstore-ls, -read, -write, -rm, -chmod, -watch, -list, ...)
#    with apt-get, into the system;
#  - test-xenstore, which ships only inside xen-utils-4.17 (it would pull the whole Xen
#    toolstack in), unpacked with `apt-get download` + `dpkg -x` into .xen-tools/.
# Idempotent and quiet; safe to run on every CI run. Needs root (apt-get).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.xen-tools"
export DEBIAN_FRONTEND=noninteractive

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# run quietly; show the output only when the step fails
quiet() { "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "install-xen-tools: failed: $*" >&2; exit 1; }; }

need_update=1
apt_update() {
  if [ "$need_update" = 1 ]; then
    quiet apt-get update -qq
    need_update=0
  fi
}

if ! command -v xenstore-ls >/dev/null 2>&1; then
  apt_update
  quiet apt-get install -y -qq --no-install-recommends xenstore-utils
fi

if [ ! -x "$dest/bin/test-xenstore" ]; then
  apt_update
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp" "$log"' EXIT
  chmod 0777 "$tmp" # lets apt's _apt user write there (no "unsandboxed" warning)
  (cd "$tmp" && quiet apt-get download -qq xen-utils-4.17)
  quiet dpkg -x "$tmp"/xen-utils-4.17_*.deb "$tmp/x"
  bin="$(find "$tmp/x" -type f -name test-xenstore | head -n 1)"
  if [ -z "$bin" ]; then
    echo "install-xen-tools: test-xenstore not found in xen-utils-4.17" >&2
    exit 1
  fi
  mkdir -p "$dest/bin"
  cp "$bin" "$dest/bin/test-xenstore"
  chmod 0755 "$dest/bin/test-xenstore"
fi

# test-xenstore links libxenstore (from libxenstore4, a dependency of xenstore-utils)
"$dest/bin/test-xenstore" -l >/dev/null
