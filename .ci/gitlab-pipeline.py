"""Run this repository's .gitlab-ci.yml the way a GitLab shell-executor runner runs it.

    sudo .venv/bin/python .ci/gitlab-pipeline.py [--report FILE] [JOB ...]

The pipeline itself is run by gitlab-ci-local (npm, pinned below), which reads
.gitlab-ci.yml, resolves `include:`, `extends:`, `rules:` and stages as GitLab
does, and runs each job's script in bash. What this adds is the runner's machine
(docs/ci.md):
- the shell executor's user, `gitlab-runner`: not root, no sudo, no Docker;
- a fresh checkout: the repository's tracked files as one commit;
- DATABASE_URL, as a CI/CD variable would set it, pointing at a throwaway
  PostgreSQL whose password holds a `/` and an `@` (percent-encoded in the URL,
  as it must be), so the deploy-gate job runs against a real server.
Each job runs in its own copy of the checkout (--shell-isolation), as separate
runners would. Exit 0 when every job passed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from hosted_runner import (
    SimError,
    apt_install,
    ensure_user,
    fresh_workspace,
    groups_of,
    indent,
    pytest_summaries,
    throwaway_postgres,
    write_report,
)

GITLAB_CI_LOCAL = "gitlab-ci-local@4.56.2"
DATABASE_PORT = 55433
# What a pasted-in production password looks like; the URL carries it encoded.
DATABASE_PASSWORD = "gl/deploy@Ast3gni"
# gitlab-ci-local's closing lines: " PASS  [ 7.91 s] job", "FAIL" likewise, "WARN" for an
# allowed failure.
_VERDICT = re.compile(r"^\s*(PASS|FAIL|WARN)\s+(?:\[[^\]]*\]\s+)?(\S+)\s*$")


def ensure_gitlab_ci_local() -> str:
    """gitlab-ci-local, and the rsync it copies each job's checkout with."""
    if shutil.which("rsync") is None:
        apt_install("rsync")
    if shutil.which("npm") is None:
        raise SimError("gitlab-ci-local needs Node.js 20 and npm")
    found = shutil.which("gitlab-ci-local")
    if found is None:
        subprocess.run(["npm", "install", "--global", "--silent", GITLAB_CI_LOCAL], check=True)
        found = shutil.which("gitlab-ci-local")
    if found is None:
        raise SimError(f"npm installed {GITLAB_CI_LOCAL}, but it is not on PATH")
    return found


def _artifacts_dir(job: str) -> str:
    """gitlab-ci-local's directory name for a job: each run of characters outside
    [A-Za-z0-9_-] becomes its base64 without padding ("astegni-db:lint" -> "astegni-dbOglint")."""
    return re.sub(
        r"[^\w-]+", lambda m: base64.urlsafe_b64encode(m.group().encode()).decode().rstrip("="), job
    )


def check_reports(workspace: Path) -> list[str]:
    """Every junit and codequality report the pipeline declares, kept as an artifact and
    readable by GitLab: one line each, or a problem line starting with "MISSING"/"BAD"."""
    state = workspace / ".gitlab-ci-local"
    expanded = yaml.safe_load((state / "expanded-gitlab-ci.yml").read_text())
    lines = []
    for job, spec in expanded.items():
        if job.startswith(".") or not isinstance(spec, dict):
            continue
        reports = (spec.get("artifacts") or {}).get("reports") or {}
        for kind, path in reports.items():
            report = state / "artifacts" / _artifacts_dir(job) / path
            if not report.is_file():
                lines.append(f"MISSING {job}: {kind} report {path}")
                continue
            try:
                if kind == "junit":
                    root = ET.parse(report).getroot()
                    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
                    counts = {
                        key: sum(int(suite.get(key, 0)) for suite in suites)
                        for key in ("tests", "failures", "errors", "skipped")
                    }
                    detail = ", ".join(f"{n} {key}" for key, n in counts.items())
                    bad = counts["tests"] == 0
                elif kind == "codequality":
                    issues = json.loads(report.read_text())
                    detail, bad = f"{len(issues)} issue(s)", not isinstance(issues, list)
                else:
                    detail, bad = "not read here", False
            except (ET.ParseError, ValueError) as exc:
                detail, bad = f"unreadable: {exc}", True
            lines.append(f"{'BAD ' if bad else ''}{job}: {kind} {path}: {detail}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jobs", nargs="*", help="run only these jobs (default: the pipeline)")
    parser.add_argument("--user", default="gitlab-runner")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root: it creates the runner user and starts PostgreSQL", file=sys.stderr)
        return 2
    try:
        tool = ensure_gitlab_ci_local()
        user = ensure_user(args.user, sudo=False, docker=False)
        workspace = fresh_workspace(user, "gitlab-pipeline", commit=True)
        quoted = urllib.parse.quote(DATABASE_PASSWORD, safe="")
        url = f"postgresql://postgres:{quoted}@localhost:{DATABASE_PORT}/postgres"
        started = time.monotonic()
        with throwaway_postgres("gitlab-deploy-db", DATABASE_PORT, DATABASE_PASSWORD) as note:
            print(f"    DATABASE_URL: {note}, password with / and @", flush=True)
            done = subprocess.run(
                [
                    tool,
                    "--shell-isolation",
                    "--concurrency",
                    "2",  # the machine's cores; the suite job is itself parallel
                    "--no-color",
                    "--timestamps",
                    "--variable",
                    f"DATABASE_URL={url}",
                    *args.jobs,
                ],
                cwd=workspace,
                env={
                    "HOME": user.pw_dir,
                    "USER": user.pw_name,
                    "LOGNAME": user.pw_name,
                    "PATH": "/usr/local/bin:/usr/bin:/bin",
                    "LANG": "C.UTF-8",
                },
                user=user.pw_uid,
                group=user.pw_gid,
                extra_groups=groups_of(user),
                capture_output=True,
                text=True,
                check=False,
            )
        seconds = time.monotonic() - started
    except SimError as exc:
        print(f"gitlab-pipeline: {exc}", file=sys.stderr)
        return 1
    output = done.stdout + done.stderr
    print(indent(output), flush=True)
    if DATABASE_PASSWORD in output or quoted in output:
        print("gitlab-pipeline: the database password appears in the job logs", file=sys.stderr)
        return 1
    verdicts = [(m.group(2), m.group(1)) for m in map(_VERDICT.match, output.splitlines()) if m]
    summaries = pytest_summaries(output)
    print(f"\n{'job':<24} verdict")
    for job, verdict in verdicts:
        print(f"{job:<24} {verdict}")
    for line in summaries:
        print(f"pytest: {line}")
    reports = check_reports(workspace)
    for line in reports:
        print(f"report: {line}")
    print(f"pipeline: exit {done.returncode} in {seconds:.1f} s")
    write_report(
        args.report,
        {
            "exit_code": done.returncode,
            "seconds": round(seconds, 1),
            "jobs": dict(verdicts),
            "pytest": summaries,
            "reports": reports,
        },
    )
    failed = [job for job, verdict in verdicts if verdict == "FAIL"]
    broken = [line for line in reports if line.startswith(("MISSING", "BAD"))]
    return 0 if done.returncode == 0 and verdicts and not failed and not broken else 1


if __name__ == "__main__":
    sys.exit(main())
