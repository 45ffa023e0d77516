"""Which test lanes this machine runs: prints the pytest -m expression (make test uses it).

A lane is a set of tests that needs something the machine may not have:
- container (marker `container`): a Docker engine this user can reach, and a
  PostgreSQL image (.ci/container-image.sh builds one without a registry);
- root (marker `root`): root itself (the server then runs as another OS user).
Everything else runs everywhere. A lane this machine cannot run is left out
of the selection (deselected, said on stderr), never run and skipped: a test
that runs was claimed by its lane, and fails loudly if its lane is broken.
ASTEGNI_DB_SKIP_CONTAINERS=1 leaves the container lane out explicitly.
"""

from __future__ import annotations

import os
import sys


def docker_answers() -> bool:
    try:
        import docker

        return bool(docker.from_env(timeout=5).ping())
    except Exception:
        return False


def main() -> None:
    left_out: list[tuple[str, str]] = []
    if os.geteuid() != 0:
        left_out.append(("root", "not running as root"))
    if os.environ.get("ASTEGNI_DB_SKIP_CONTAINERS") == "1":
        left_out.append(("container", "ASTEGNI_DB_SKIP_CONTAINERS=1"))
    elif not docker_answers():
        left_out.append(("container", "no Docker engine answers for this user"))
    for lane, why in left_out:
        print(f"[lanes] the {lane} lane is left out: {why}", file=sys.stderr)
    print(" and ".join(f"not {lane}" for lane, _ in left_out))


if __name__ == "__main__":
    main()
