# SPDX-License-Identifier: MIT
# Sourced by udrv-rig: the host side of --virtio-vhost (docs/rig.md, "vhost-user
# ports"). QEMU's own virtio-net emulation runs in its main loop and caps any
# guest driver near 0.4 Mpps (docs/net.md); a vhost-user backend moves the
# device's data path into a host process that polls the rings on the host CPU
# the guest's vCPU 0 does not use. The backend is DPDK's testpmd with the
# net_vhost vdev (Debian's dpdk-dev), one vdev per port, server side of each
# socket (QEMU connects as the client), started before QEMU and stopped at exit.
#
# The guest steers it with tests/rig/vhost-ctl: a request file in the run
# directory (9p) that vhost_serve, called from udrv-rig's wait loop, feeds to
# testpmd's interactive prompt; the output comes back in a response file.
#
# Uses from udrv-rig: run, sockdir, verbose. Sets vhost_pid, vhost_socks.

vhost_pid="" vhost_in_fd="" vhost_socks=() vhost_req_n=0

# vhost_start N MODE CPU MACS...: N sockets under $sockdir, testpmd in MODE on CPU.
vhost_start() {
	local n=$1 mode=$2 cpu=$3 i vdevs=() peers=() log=$run/vhost.log
	shift 3
	command -v dpdk-testpmd >/dev/null ||
		skip "--virtio-vhost needs dpdk-testpmd on the host (Debian: dpdk-dev; scripts/install-deps.sh --rig)"
	command -v stdbuf >/dev/null || die "--virtio-vhost needs stdbuf (coreutils)"
	for ((i = 0; i < n; i++)); do
		vhost_socks+=("$sockdir/vhost$i.sock")
		# iommu-support: the guest's virtio-net sits behind the vIOMMU
		# (iommu_platform=on), so the backend translates IOVAs through QEMU's
		# device IOTLB; client=0: testpmd listens, QEMU connects.
		vdevs+=(--vdev "net_vhost$i,iface=${vhost_socks[i]},iommu-support=1,client=0")
		# txonly sends to the guest port's own MAC.
		peers+=(--eth-peer="$i,$1")
		shift
	done
	mkfifo "$run/vhost.in"
	# A read-write open never blocks on a FIFO; testpmd reads commands from it
	# for as long as we hold it. Unbuffered stdout: command output arrives in
	# order with the prompt's echo, which vhost_serve waits for.
	exec {vhost_in_fd}<>"$run/vhost.in"
	# Main lcore 0 (the prompt, asleep) and forwarding lcore 1 both on CPU:
	# the backend takes one host CPU. --no-huge: its own buffers in ordinary
	# memory (the guest's memory comes from QEMU's shared memfd). loop: each
	# port forwards to itself (io/macswap reflect the guest's frames).
	taskset -c "$cpu" stdbuf -o0 -e0 dpdk-testpmd --lcores "0@$cpu,1@$cpu" --main-lcore 0 \
		--no-pci --no-huge -m 512 --no-shconf --file-prefix "udrvrig$$" --no-telemetry \
		--log-level=lib.eal:error "${vdevs[@]}" \
		-- -i --forward-mode="$mode" --nb-cores=1 --port-topology=loop --burst=32 \
		--total-num-mbufs=16384 --txpkts=60 "${peers[@]}" --auto-start \
		<&"$vhost_in_fd" >"$log" 2>&1 &
	vhost_pid=$!
	for ((i = 0; i < 200; i++)); do
		grep -q 'testpmd> ' "$log" 2>/dev/null && break
		kill -0 "$vhost_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q 'testpmd> ' "$log" 2>/dev/null; then
		tail -n 20 "$log" >&2
		die "the vhost-user backend (dpdk-testpmd) did not start; its log is above"
	fi
	for s in "${vhost_socks[@]}"; do [[ -S $s ]] || die "vhost-user socket $s missing"; done
	((verbose)) && echo "udrv-rig: vhost-user backend: dpdk-testpmd (pid $vhost_pid, $mode) on CPU $cpu" >&2
	return 0
}

# Feed a pending request from the guest (RUN/vhost-req: testpmd commands, one
# a line) to testpmd; once the prompt has echoed a marker line after them
# (every command before it has then run), the output goes to RUN/vhost-resp.
vhost_serve() {
	local req=$run/vhost-req log=$run/vhost.log off marker i
	[[ -n $vhost_pid && -e $req ]] || return 0
	mv "$req" "$run/vhost-req.taken"
	off=$(stat -c %s "$log")
	vhost_req_n=$((vhost_req_n + 1))
	marker="udrv-rig-done-$vhost_req_n"
	# An unknown command only prints an error: a harmless marker.
	{ cat "$run/vhost-req.taken"; echo "$marker"; } >&"$vhost_in_fd"
	for ((i = 0; i < 300; i++)); do
		tail -c +"$((off + 1))" "$log" | grep -q "testpmd> $marker" && break
		kill -0 "$vhost_pid" 2>/dev/null || break
		sleep 0.05
	done
	tail -c +"$((off + 1))" "$log" | sed "/$marker/,\$d" >"$run/vhost-resp.tmp"
	if ! kill -0 "$vhost_pid" 2>/dev/null; then
		echo "udrv-rig: the vhost-user backend exited" >>"$run/vhost-resp.tmp"
	fi
	mv "$run/vhost-resp.tmp" "$run/vhost-resp"
}

# Pin QEMU: vCPU 0 alone on one CPU, every other QEMU thread (main loop,
# other vCPUs) on the backend's CPU, where they take little time. The
# benchmarks and tests poll on vCPU 0.
vhost_pin_qemu() {
	local cpu=$1 vcpu_cpu=$2 tids
	[[ $cpu != "$vcpu_cpu" ]] || return 0
	tids=$(python3 "$here/qmp.py" "$qmp_sock" query-cpus-fast |
		awk '/"thread-id"/ { gsub(/[^0-9]/, "", $2); if ($2 + 0 > 0) print $2 }') || return 0
	[[ -n $tids ]] || return 0
	taskset -a -p -c "$cpu" "$qemu_pid" >/dev/null
	taskset -p -c "$vcpu_cpu" "${tids%%$'\n'*}" >/dev/null
	((verbose)) && echo "udrv-rig: vCPU 0 on CPU $vcpu_cpu, the rest of QEMU on CPU $cpu" >&2
	return 0
}

vhost_stop() {
	[[ -n $vhost_pid ]] || return 0
	echo quit >&"$vhost_in_fd" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do kill -0 "$vhost_pid" 2>/dev/null || break; sleep 0.1; done
	kill "$vhost_pid" 2>/dev/null || true
	wait "$vhost_pid" 2>/dev/null || true
	vhost_pid=""
	exec {vhost_in_fd}>&-
}
