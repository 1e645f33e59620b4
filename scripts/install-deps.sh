#!/usr/bin/env bash
# Installs every Debian 12 package udrv needs to build, test and run the rig.
# Usage: scripts/install-deps.sh [--rig]   (as root; --rig adds QEMU and the guest tools)
set -euo pipefail
build_pkgs=(meson ninja-build pkg-config gcc clang libhugetlbfs-dev libhugetlbfs-bin
            liburing-dev libcmocka-dev linux-libc-dev valgrind strace g++ fio dpkg-dev groff-base
            libclang-rt-14-dev) # libFuzzer and the sanitizers for clang 14 (docs/fuzz.md)
rig_pkgs=(qemu-system-x86 qemu-utils busybox-static xz-utils cpio kmod dpdk-dev
          iproute2 tcpdump iputils-ping pciutils python3 e2fsprogs util-linux)
want=("${build_pkgs[@]}")
[[ "${1:-}" == "--rig" ]] && want+=("${rig_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The fio engine (frontends/fio) compiles against the installed fio's own
# sources: fio has no -dev package (docs/fio.md).
"$(dirname "$0")/fetch-fio-src.sh" >/dev/null ||
  echo "install-deps: without fio's sources meson skips the fio engine (see above)" >&2
