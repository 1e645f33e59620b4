#!/usr/bin/env bash
# Fetches the Debian source package of the fio that is installed, unpacks it
# (Debian's patches applied) and configures it, so that the udrv fio engine
# (frontends/fio) is compiled against exactly the headers of the fio binary
# that will load it. fio ships no -dev package; an external engine must match
# the fio it is loaded into (struct thread_data, struct io_u, the ioengine ops
# version), so the version is taken from the installed package.
#
# usage: scripts/fetch-fio-src.sh [DEST]   (default: subprojects/fio-src)
#        as root when a deb-src entry has to be added; prints the source dir.
# The engine's meson option -Dfio_src=DIR points at the result; meson looks
# in subprojects/fio-src by default. See docs/fio.md.
set -euo pipefail
if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/../subprojects/fio-src}
die() { echo "fetch-fio-src: $*" >&2; exit 1; }

ver=$(dpkg-query -W -f='${Version}' fio 2>/dev/null) ||
  die "fio is not installed: apt-get install fio (scripts/install-deps.sh --rig installs it)"
upver=${ver%-*}      # 3.33-3 -> 3.33
upver=${upver#*:}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
src="$dest/fio-$upver"
if [[ -f "$src/config-host.h" && -f "$src/.udrv-fio-version" &&
      "$(cat "$src/.udrv-fio-version")" == "$ver" ]]; then
  echo "$src"
  exit 0
fi
command -v dpkg-source >/dev/null || die "dpkg-source is missing: apt-get install dpkg-dev"

# apt-get source needs a deb-src entry for the release. Add one in a file of
# its own (never edit the admin's), for the suites the deb entries use.
have_src() {
  apt-get source --print-uris "fio=$ver" >/dev/null 2>&1
}
if ! have_src; then
  [[ $(id -u) -eq 0 ]] ||
    die "no deb-src entry for fio $ver: run as root, or add a deb-src line for your release and run apt-get update"
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  list=/etc/apt/sources.list.d/udrv-deb-src.sources
  echo "fetch-fio-src: adding $list (deb-src for $codename) for apt-get source" >&2
  cat >"$list" <<EOF
# Added by udrv scripts/fetch-fio-src.sh: fio's source package (fio has no -dev package).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  lock=()
  [[ -w /work/apt.lock ]] && lock=(flock /work/apt.lock)
  "${lock[@]}" apt-get update -qq -o Dir::Etc::sourcelist="$list" \
    -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 ||
    die "apt-get update for $list failed"
  have_src || die "apt-get source cannot find fio $ver even with $list"
fi

work=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq --download-only "fio=$ver" >/dev/null) ||
  die "apt-get source fio=$ver failed"
rm -rf "$src"
(cd "$work" && dpkg-source -q -x ./*.dsc "$src" >/dev/null) || die "dpkg-source -x failed"

# Configure as Debian builds it (debian/rules: --disable-native; no optional
# engine matters here: the structs an engine sees do not depend on them, and
# config-host.h only has to exist for fio.h to compile).
(cd "$src" && ./configure --disable-native >"$src/.udrv-configure.log" 2>&1) ||
  die "fio's ./configure failed: see $src/.udrv-configure.log"
echo "$ver" >"$src/.udrv-fio-version"
echo "$src"
