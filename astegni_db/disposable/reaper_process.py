"""Clean up after a process that may die without running its finally blocks.

The process :mod:`astegni_db.disposable.reaper` starts, as a plain script (no package
imports, so it starts fast) in its own session, so Ctrl-C and process-group
kills aimed at the test run do not reach it. It waits until its stdin reaches
EOF, which happens when the owner closes it after cleaning up normally or when
the owner dies in any way, even SIGKILL. Then it stops what may still run:
a postmaster (by the pid in postmaster.pid, SIGQUIT = immediate shutdown) or a
container (docker rm -f), and deletes directories. Each step is a no-op when
the owner already did it.
"""

import json
import os
import shutil
import signal
import sys
import time


def _stop_postmaster(pid_file: str) -> None:
    try:
        with open(pid_file) as handle:
            pid = int(handle.readline().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGQUIT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _remove_container(container_id: str) -> None:
    try:
        import docker

        docker.from_env(timeout=30).containers.get(container_id).remove(force=True, v=True)
    except Exception:
        return


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spec = json.loads(sys.argv[1])
    sys.stdin.buffer.read()
    if spec.get("postmaster_pid_file"):
        _stop_postmaster(spec["postmaster_pid_file"])
    if spec.get("container"):
        _remove_container(spec["container"])
    for path in spec.get("paths", []):
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
