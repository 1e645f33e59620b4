#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Talk to the rig's QEMU over its QMP socket (UDRV_RIG_QMP), for host-side tests.

Command line:
  qmp.py SOCKET COMMAND [ARGS_JSON] [--wait-event NAME] [--timeout SEC]
  qmp.py SOCKET '{"execute": "query-pci"}'
prints the command's "return" value as JSON; exits 1 on a QMP error or timeout.
With --wait-event, the event is printed as JSON with one key added:
"udrv_seconds", the time from sending the command to the event (host clock).

  qmp.py $UDRV_RIG_QMP device_del '{"id": "nvme0"}' --wait-event DEVICE_DELETED
  qmp.py $UDRV_RIG_QMP human-monitor-command '{"command-line": "info pci"}'

As a module:
  from qmp import QMP
  with QMP(path) as q:
      q.command("device_del", id="nvme0")
      q.wait_event("DEVICE_DELETED", timeout=30)
"""
import json
import socket
import sys
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:  # the socket appears shortly after QEMU starts
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() > deadline:
                    raise QMPError(f"cannot connect to QMP socket {path}")
                time.sleep(0.1)
        self.file = self.sock.makefile("rwb")
        self.events = []
        self._read(timeout)  # greeting
        self.command("qmp_capabilities")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.file.close()
        self.sock.close()

    def _read(self, timeout):
        self.sock.settimeout(timeout)
        try:
            line = self.file.readline()
        except socket.timeout:
            raise QMPError("timed out waiting for QEMU")
        if not line:
            raise QMPError("QEMU closed the QMP connection")
        return json.loads(line)

    def execute(self, msg, timeout=30.0):
        self.file.write(json.dumps(msg).encode() + b"\n")
        self.file.flush()
        while True:
            r = self._read(timeout)
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise QMPError(f"{msg.get('execute')}: {r['error'].get('desc', r['error'])}")
            return r.get("return")

    def command(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        return self.execute(msg)

    def wait_event(self, name, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError(f"no {name} event within {timeout:g} s")
            r = self._read(left)
            if "event" in r:
                self.events.append(r)


def main(argv):
    wait, timeout, pos = None, 30.0, []
    i = 0
    while i < len(argv):
        if argv[i] == "--wait-event":
            wait = argv[i + 1]
            i += 2
        elif argv[i] == "--timeout":
            timeout = float(argv[i + 1])
            i += 2
        else:
            pos.append(argv[i])
            i += 1
    if len(pos) < 2 or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, cmd = pos[0], pos[1]
    try:
        with QMP(path, timeout) as q:
            t0 = time.monotonic()
            if cmd.lstrip().startswith("{"):
                ret = q.execute(json.loads(cmd), timeout)
            else:
                args = json.loads(pos[2]) if len(pos) > 2 else {}
                ret = q.execute({"execute": cmd, "arguments": args} if args else {"execute": cmd},
                                timeout)
            if ret not in (None, {}):
                print(ret if isinstance(ret, str) else json.dumps(ret, indent=1))
            if wait:
                ev = q.wait_event(wait, timeout)
                ev["udrv_seconds"] = round(time.monotonic() - t0, 3)
                print(json.dumps(ev))
    except (QMPError, OSError, ValueError) as e:
        print(f"qmp: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
