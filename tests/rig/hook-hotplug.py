#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host hook for udrv-rig: a sequence of QMP hot-add and hot-remove steps,
each started by a file the test in the guest creates in $UDRV_RIG_RUN.

  hook-hotplug.py [--max SECONDS] STEP...
  STEP:  FILE:del:ID            device_del ID, wait for DEVICE_DELETED
         FILE:add:DRIVER,K=V,...  device_add (id= among the K=V)

Each step first waits (up to 120 s) for $UDRV_RIG_RUN/FILE, then acts and
writes $UDRV_RIG_RUN/done-FILE; a removal also writes deleted-ID (the
seconds from device_del to DEVICE_DELETED, host clock), appended to
deleted-times as well.
With --max, a removal slower than that fails the hook (exit 1).

  hook-hotplug.py --max 2 add-b:add:nvme,id=hotb,bus=rp2,serial=hotb,drive=spare0 \\
      del-b:del:hotb
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP, QMPError  # noqa: E402


def wait_file(run, name):
    path = os.path.join(run, name)
    deadline = time.monotonic() + 120
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise QMPError(f"{name} never appeared in {run}")
        time.sleep(0.1)


def publish(run, name, text):
    tmp = os.path.join(run, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, os.path.join(run, name))


def main(argv):
    run, sock = os.environ["UDRV_RIG_RUN"], os.environ["UDRV_RIG_QMP"]
    limit, slow = None, False
    if argv[:1] == ["--max"]:
        limit, argv = float(argv[1]), argv[2:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with QMP(sock) as q:
        for step in argv:
            fname, op, arg = step.split(":", 2)
            wait_file(run, fname)
            if op == "del":
                t0 = time.monotonic()
                q.command("device_del", id=arg)
                q.wait_event("DEVICE_DELETED", timeout=90)
                secs = round(time.monotonic() - t0, 3)
                with open(os.path.join(run, "deleted-times"), "a") as f:
                    f.write(f"{arg} {secs}\n")
                publish(run, "deleted-" + arg, str(secs))
                print(f"host hook: {arg} unplugged: DEVICE_DELETED {secs} s after device_del",
                      flush=True)
                if limit is not None and secs > limit:
                    print(f"host hook: {arg}: DEVICE_DELETED took {secs} s, more than {limit} s",
                          file=sys.stderr)
                    slow = True
            elif op == "add":
                driver, *props = arg.split(",")
                args = dict(p.split("=", 1) for p in props)
                q.command("device_add", driver=driver, **args)
                print(f"host hook: device_add {arg}", flush=True)
            else:
                raise QMPError(f"step {step}: the operation is del or add, not {op}")
            publish(run, "done-" + fname, op)
    return 1 if slow else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (QMPError, OSError, ValueError, KeyError) as e:
        print(f"host hook: {e}", file=sys.stderr)
        sys.exit(1)
