"""A watchdog process that cleans up a throwaway server if its owner dies abruptly.

Normal teardown (context managers, pytest fixtures) does the cleanup itself;
the reaper covers SIGKILL, a CI job's timeout and the like, the way
testcontainers' Ryuk does, but without pulling an image.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

_SCRIPT = Path(__file__).with_name("reaper_process.py")


@contextlib.contextmanager
def reaper(
    *, postmaster_pid_file: Path | None = None, container: str | None = None,
    paths: tuple[Path, ...] = (),
) -> Iterator[None]:  # fmt: skip
    """While the block runs, a watchdog waits; after it (or after our death) it cleans up."""
    spec = {
        "postmaster_pid_file": str(postmaster_pid_file) if postmaster_pid_file else None,
        "container": container,
        "paths": [str(p) for p in paths],
    }
    watchdog = subprocess.Popen(
        [sys.executable, str(_SCRIPT), json.dumps(spec)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield
    finally:
        assert watchdog.stdin is not None
        watchdog.stdin.close()
        # Usually a no-op by now; waiting keeps "nothing left after the session" true.
        with contextlib.suppress(subprocess.TimeoutExpired):
            watchdog.wait(timeout=60)
