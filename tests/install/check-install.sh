#!/usr/bin/env bash
# Installs the build into a temporary destdir and builds examples/dma_hello.c
# from outside the tree with pkg-config, against the shared and the static
# library, then runs both on the device model.
set -euo pipefail
build=$1 src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
pc=$(find "$dest" -name udrv.pc | head -n1)
[[ -n "$pc" ]] || { echo "udrv.pc was not installed"; exit 1; }
for h in udrv.h log.h mem.h pool.h dev.h mmio.h model.h runtime.h; do
  [[ -n "$(find "$dest" -path "*/include/udrv/$h")" ]] || { echo "header udrv/$h not installed"; exit 1; }
done
# Point the installed .pc at the destdir, as if installed for real.
mkdir -p "$dest/pc"
prefix=$(sed -n 's/^prefix=//p' "$pc")
sed "s|^prefix=.*|prefix=$dest$prefix|" "$pc" > "$dest/pc/udrv.pc"
export PKG_CONFIG_PATH=$dest/pc
libdir=$(pkg-config --variable=libdir udrv)
# Only the public API is exported from the shared library.
if nm -D --defined-only "$libdir/libudrv.so" | awk '{print $3}' | grep -v '^udrv_' | grep -qv '^UDRV_'; then
  echo "libudrv.so exports symbols outside the udrv_ prefix:"
  nm -D --defined-only "$libdir/libudrv.so" | awk '{print $3}' | grep -v '^udrv_' | grep -v '^UDRV_'
  exit 1
fi
cc "$src/examples/dma_hello.c" $(pkg-config --cflags --libs udrv) -o "$dest/hello_shared"
cc "$src/examples/dma_hello.c" $(pkg-config --cflags udrv) -static-libgcc \
  "$libdir/libudrv.a" $(pkg-config --libs --static udrv | sed 's/-ludrv//') -o "$dest/hello_static"
LD_LIBRARY_PATH=$libdir UDRV_MEM=anon "$dest/hello_shared" | grep -q "register 0 reads 0x75647276"
# The README's way for a custom prefix: PKG_CONFIG_PATH is LIBDIR/pkgconfig,
# and -rpath to the libdir finds libudrv.so without LD_LIBRARY_PATH.
[[ $(dirname "$pc") == "$libdir/pkgconfig" ]] ||
  { echo "udrv.pc is not in LIBDIR/pkgconfig ($pc; libdir $libdir)"; exit 1; }
cc "$src/examples/dma_hello.c" $(pkg-config --cflags --libs udrv) -Wl,-rpath,"$libdir" \
  -o "$dest/hello_rpath"
env -u LD_LIBRARY_PATH UDRV_MEM=anon "$dest/hello_rpath" | grep -q "register 0 reads 0x75647276"
# Tools and their man pages.
for f in bin/udrv-setup bin/udrv-nvme bin/udrv-net bin/udrv-blk share/man/man8/udrv-setup.8 \
         share/man/man1/udrv-nvme.1 share/man/man1/udrv-net.1 share/man/man8/udrv-blk.8; do
  [[ -e "$dest$prefix/$f" ]] || { echo "$f was not installed under $prefix"; exit 1; }
done
UDRV_MEM=anon "$dest/hello_static" | grep -q "iova 0x"
echo "installed library, headers, udrv.pc, tools and man pages; an outside program builds and runs"
