#!/bin/sh
# udrv-rig --host-hook for the rig benchmarks: pins the guest's first vCPU
# (vCPU 0, where the benchmarks run: udrv-nvme perf -c 0, and fio
# --cpus_allowed=0) alone on one host CPU, and QEMU's other threads -- the
# main loop, which runs the NVMe emulation, the block layer's worker threads
# (which inherit its affinity when created) and the other vCPUs, idle but for
# the guest's housekeeping -- on another. The polling vCPU and the device
# emulation then never queue behind each other, and runs are reproducible.
# Both peers (udrv and the kernel) run in this same guest under it.
# (With every vCPU on the first CPU, the kernel's interrupt path lost 30%:
# the second vCPU's housekeeping then competes with vCPU 0.)
#
# usage: udrv-rig run --host-hook "bench/nvme/rig-pin-qemu.sh [VCPU0_CPU] [QEMU_CPU]" ...
#        (defaults 0 and 1; does nothing on a host with fewer than 2 CPUs)
set -eu
vcpu_cpu=${1:-0} qemu_cpu=${2:-1}
[ "$(nproc)" -ge 2 ] || exit 0
command -v taskset >/dev/null || { echo "rig-pin-qemu: taskset missing; not pinned" >&2; exit 0; }
pid=$(pgrep -n -f "qemu-system.*$UDRV_RIG_RUN") || { echo "rig-pin-qemu: QEMU not found" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
# vCPU thread ids from QMP (threads have no names without -name debug-threads=on);
# "props" also holds a "thread-id", the SMT index (0 here), which is skipped.
tids=$(python3 "$here/../../tests/rig/qmp.py" "$UDRV_RIG_QMP" query-cpus-fast |
	awk '/"thread-id"/ { gsub(/[^0-9]/, "", $2); if ($2 + 0 > 0) print $2 }')
[ -n "$tids" ] || { echo "rig-pin-qemu: query-cpus-fast gave no vCPU threads" >&2; exit 1; }
taskset -a -p -c "$qemu_cpu" "$pid" >/dev/null
set -- $tids
taskset -p -c "$vcpu_cpu" "$1" >/dev/null
echo "rig-pin-qemu: vCPU 0 (thread $1) on CPU $vcpu_cpu, the rest of QEMU ($pid, $# vCPUs) on CPU $qemu_cpu" >&2
