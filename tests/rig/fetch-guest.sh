#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetches the rig's guest kernel and builds its initramfs, once, into a cache
# directory (normally BUILD/rig-cache). Prints nothing but errors unless -v.
#
#   tests/rig/fetch-guest.sh [-v] CACHE_DIR
#
# Kernel: Debian's linux-image-6.12-amd64 meta package names the real image
# package (apt-cache depends); that .deb is fetched with `apt-get download`
# and unpacked with `dpkg -x` (no installation on the host). Its modules are
# xz-compressed and come without modules.dep, so the ones the rig needs are
# decompressed here and their load order is computed from `modinfo -F depends`.
#
# Initramfs: busybox-static, those modules and init (tests/rig/guest-init.sh).
# It is rebuilt only when one of its inputs changes (a sha256 stamp).
set -euo pipefail

verbose=0
[[ "${1:-}" == "-v" ]] && { verbose=1; shift; }
cache=${1:?usage: fetch-guest.sh [-v] CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
meta=${UDRV_RIG_KERNEL_PKG:-linux-image-6.12-amd64}
# The guest needs VFIO, 9p for the host share, the drivers of the peer ports,
# and ublk_drv, ext4 and crc32c_generic (ext4 metadata checksums: mount
# fails with ENOENT without it) for udrv-blk's tests (issue 10).
# 9p first: init mounts the run share before vfio-pci and the device drivers load.
want_mods=(9pnet_virtio 9p vfio_iommu_type1 vfio-pci nvme e1000e virtio_net ublk_drv ext4 crc32c_generic)

log() { ((verbose)) && echo "fetch-guest: $*" >&2 || true; }
die() { echo "fetch-guest: $*" >&2; exit 1; }

for t in apt-cache apt-get dpkg xz cpio gzip modinfo sha256sum; do
	command -v "$t" >/dev/null || die "$t not found: run scripts/install-deps.sh --rig"
done
busybox=$(command -v busybox || true)
[[ -x /bin/busybox ]] && busybox=/bin/busybox
[[ -n "$busybox" ]] || die "busybox not found: run scripts/install-deps.sh --rig (busybox-static)"
ldd "$busybox" >/dev/null 2>&1 &&
	die "$busybox is dynamically linked: install busybox-static"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# Two rigs starting at once on one build tree: one fetches, the other waits.
exec 9>"$cache/.lock"
flock 9

# --- kernel package ----------------------------------------------------------
resolve_pkg() {
	apt-cache depends "$meta" 2>/dev/null |
		awk '/^ *Depends: linux-image-/ { print $2; exit }'
}
pkg=$(resolve_pkg || true)
if [[ -z "$pkg" ]]; then
	# A fresh machine may not have package lists yet.
	[[ $(id -u) -eq 0 ]] || die "apt-cache does not know $meta; run 'apt-get update' as root"
	log "apt-get update (no package list knows $meta)"
	apt-get update -qq >/dev/null
	pkg=$(resolve_pkg || true)
	[[ -n "$pkg" ]] || die "no package $meta in the configured apt sources (Debian 12 has it in bookworm main/updates)"
fi
# UDRV_RIG_KERNEL_DIR shares one unpacked kernel between build trees.
kdir=${UDRV_RIG_KERNEL_DIR:-$cache/kernel}/$pkg
if [[ ! -e $kdir/.done ]]; then
	log "downloading $pkg"
	rm -rf "$kdir" "$cache/dl"
	mkdir -p "$kdir" "$cache/dl"
	# apt-get download writes into the cwd; as root, _apt may not write there.
	chmod 777 "$cache/dl"
	(cd "$cache/dl" && apt-get download -q "$pkg" >/dev/null 2>"$cache/dl/apt.log") ||
		{ cat "$cache/dl/apt.log" >&2; die "apt-get download $pkg failed"; }
	dpkg -x "$cache"/dl/"$pkg"_*.deb "$kdir/root"
	rm -rf "$cache/dl"
	touch "$kdir/.done"
fi
vmlinuz=$(ls "$kdir"/root/boot/vmlinuz-* | head -n1)
kver=${vmlinuz##*/vmlinuz-}
moddir=$kdir/root/lib/modules/$kver
[[ -d $moddir ]] || die "no modules for $kver in $pkg"
ln -sfn "$vmlinuz" "$cache/vmlinuz"

# --- modules in dependency order --------------------------------------------
declare -A modpath=() seen=()
while IFS= read -r f; do
	n=${f##*/}; n=${n%.ko.xz}; n=${n%.ko}
	modpath[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko*')
order=()
add_mod() { # depth-first: dependencies before the module
	local m=${1//-/_} d
	[[ -n "${seen[$m]:-}" ]] && return 0
	seen[$m]=1
	[[ -n "${modpath[$m]:-}" ]] || die "module $1 not in $pkg (built in?)"
	for d in $(modinfo -F depends "${modpath[$m]}" | tr ',' ' '); do
		add_mod "$d"
	done
	order+=("$m")
}
for m in "${want_mods[@]}"; do add_mod "$m"; done

# --- initramfs ---------------------------------------------------------------
stamp=$( { echo "$pkg ${order[*]}"; sha256sum "$here/guest-init.sh" "$busybox" "${BASH_SOURCE[0]}"; } |
	sha256sum | cut -d' ' -f1)
if [[ -e $cache/initramfs.gz && "$(cat "$cache/initramfs.stamp" 2>/dev/null)" == "$stamp" ]]; then
	log "initramfs up to date ($kver)"
	exit 0
fi
log "building initramfs for $kver: ${order[*]}"
root=$cache/initramfs.d
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,host,modules}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/guest-init.sh" "$root/init"
chmod 755 "$root/init"
for m in "${order[@]}"; do
	case ${modpath[$m]} in
	*.xz) xz -dc "${modpath[$m]}" >"$root/modules/$m.ko" ;;
	*) cp "${modpath[$m]}" "$root/modules/$m.ko" ;;
	esac
done
printf '%s\n' "${order[@]}" >"$root/modules/order"
echo "$kver" >"$root/modules/kver"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$cache/initramfs.gz.tmp"
mv "$cache/initramfs.gz.tmp" "$cache/initramfs.gz"
echo "$stamp" >"$cache/initramfs.stamp"
rm -rf "$root"
log "initramfs ready: $cache/initramfs.gz"
