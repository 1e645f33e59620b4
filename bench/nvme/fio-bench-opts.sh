# Sourced by bench/nvme/rig-fio-engine.sh and callgrind-fio-engine.sh: the fio
# options both fio runs of the benchmark use (fio + udrv engine, fio io_uring),
# so the figures of the two scripts are of the same fio work per I/O.
# docs/fio.md (Performance) says why each.
fio_bench_opts() { # QD
	echo "--norandommap --randrepeat=0 --disable_slat=1 --disable_lat=1" \
		"--iodepth_batch_submit=$1 --iodepth_batch_complete_max=$1"
}
