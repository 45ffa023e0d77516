"""Run the real `astegni-db` CLI in a subprocess, as a user or a CI job would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO / "migrations"


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> Result:
    """``python -m astegni_db ARGS`` with a clean environment (no DATABASE_URL leaks in)."""
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "NO_COLOR"}}
    base["CI"] = "true"  # never fall back to the dev database by accident
    base.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "astegni_db", *args],
        cwd=cwd or REPO,
        env=base,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def copy_migrations(dest: Path, upto: str | None = None) -> Path:
    """A private copy of the project's migrations (optionally only up to ``upto``)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        if upto is not None and path.name.split(".")[0] > upto:
            continue
        shutil.copy(path, dest / path.name)
    return dest
