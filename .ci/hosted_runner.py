"""What a hosted CI runner's machine gives a job, made here: shared by the
GitHub Actions simulation and the GitLab pipeline run (both run as root).

- a non-root runner user (GitHub's has passwordless sudo and Docker; GitLab's
  shell-executor user, gitlab-runner, has neither);
- a fresh workspace holding the repository's tracked files as they are now;
- a throwaway PostgreSQL server on a fixed port (a GitHub `services:`
  container, or the database a GitLab CI/CD variable points at).
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Found anywhere in a line: GitLab's log prefixes each line with a timestamp and the job.
PYTEST_SUMMARY = re.compile(r"=+ (.*(?:passed|failed|error).*) in [\d.]+s.* =+$")


class SimError(Exception):
    """The simulation cannot stand in for what the pipeline asks for."""


def ensure_user(name: str, *, sudo: bool, docker: bool) -> pwd.struct_passwd:
    """The runner user, created if missing, with exactly the powers asked for."""
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        user = pwd.getpwnam(name)
    if docker:
        with contextlib.suppress(KeyError):
            grp.getgrnam("docker")
            subprocess.run(["usermod", "--append", "--groups", "docker", name], check=True)
    sudoers = Path(f"/etc/sudoers.d/astegni-db-sim-{name}")
    if sudo:
        if shutil.which("sudo") is None:
            apt_install("sudo")
        sudoers.write_text(f"{name} ALL=(ALL) NOPASSWD:ALL\n")
        sudoers.chmod(0o440)
    else:
        sudoers.unlink(missing_ok=True)
    return user


def apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def fresh_workspace(user: pwd.struct_passwd, name: str, *, commit: bool = False) -> Path:
    """The tracked files of this repository, as they are now, owned by the runner user.

    ``commit`` makes it a one-commit repository with an origin remote, which
    is what a GitLab job's checkout is (and what gitlab-ci-local reads).
    """
    workspace = Path(user.pw_dir) / "work" / REPO.name / name
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        relative = raw.decode()
        source, target = REPO / relative, workspace / relative
        if source.is_symlink():  # git checks a link out as a link (astegni_db/bundled/)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(workspace)], check=True)
    as_user = {"user": user.pw_uid, "group": user.pw_gid, "cwd": workspace, "check": True}
    git_env = {
        "HOME": user.pw_dir,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_AUTHOR_NAME": "runner",
        "GIT_AUTHOR_EMAIL": "runner@localhost",
        "GIT_COMMITTER_NAME": "runner",
        "GIT_COMMITTER_EMAIL": "runner@localhost",
    }
    subprocess.run(["git", "init", "-q", "-b", "main"], env=git_env, **as_user)
    if commit:
        subprocess.run(["git", "add", "-A"], env=git_env, **as_user)
        subprocess.run(["git", "commit", "-q", "-m", "checkout"], env=git_env, **as_user)
        subprocess.run(
            ["git", "remote", "add", "origin", "https://gitlab.example.com/astegni/astegni-db.git"],
            env=git_env,
            **as_user,
        )
    return workspace


@contextlib.contextmanager
def throwaway_postgres(name: str, port: int, password: str) -> Iterator[str]:
    """A PostgreSQL server of this machine's binaries on localhost:``port``; yields a note."""
    from astegni_db.disposable.local import LocalCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SimError("no PostgreSQL server binaries to stand in for the database")
    root = Path(tempfile.mkdtemp(prefix=f"sim-{name}-", dir="/tmp"))
    root.chmod(0o755)
    try:
        cluster = LocalCluster(root / "cluster", bindir)
        cluster.init(password)
        cluster.configure({"listen_addresses": "127.0.0.1,::1"})
        cluster.start(port)
        try:
            yield f"PostgreSQL from {bindir} on localhost:{port}"
        finally:
            cluster.stop(mode="immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def groups_of(user: pwd.struct_passwd) -> list[int]:
    return [g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem]


def indent(text: str) -> str:
    return "\n".join(f"    | {line}" for line in text.rstrip().splitlines())


def pytest_summaries(output: str) -> list[str]:
    return [m.group(1) for m in map(PYTEST_SUMMARY.search, output.splitlines()) if m]


def write_report(path: Path | None, results: Any) -> None:
    """The run's results as JSON at ``path`` (when asked for), for .ci/run and people."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2))
