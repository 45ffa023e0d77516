"""Run a GitHub Actions workflow's jobs here, the way a GitHub-hosted Ubuntu runner runs them.

    sudo .venv/bin/python .ci/github-runner-sim.py [--workflow FILE] [--job NAME ...]

What a hosted runner gives a job, and what this does for each (docs/ci.md):
- a non-root user (`runner`) with passwordless sudo, in the docker group:
  the same user is created here (sudo installed if missing);
- a fresh checkout: the repository's tracked files, copied as they are now;
- actions/setup-python: the machine's python3, which must be the version the
  step asks for, offered as `python` and `python3` as setup-python does;
- `services:` containers publishing their port on localhost: a PostgreSQL
  service becomes a local server of this machine's PostgreSQL, on the same
  port, with the service's POSTGRES_PASSWORD (no registry here for images);
- `run:` steps: bash --noprofile --norc -eo pipefail, with the workflow's, the
  job's and the step's env, CI=true, GITHUB_ENV/GITHUB_PATH honoured;
- `uses: ./...`: a local composite action, its inputs and steps expanded;
- actions that only talk to GitHub (publishing results) are reported as not
  simulated, and fail nothing.

Expressions are evaluated only as far as these workflows use them; anything
else is an error here, not a silent guess. Exit 0 when every job passed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hosted_runner import (
    REPO,
    SimError,
    ensure_user,
    fresh_workspace,
    groups_of,
    indent,
    pytest_summaries,
    throwaway_postgres,
    write_report,
)

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepResult:
    name: str
    outcome: str  # success, failure, skipped, not simulated
    seconds: float = 0.0
    summary: str = ""  # a pytest summary line or the last line of a failure


@dataclass
class JobResult:
    name: str
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(s.outcome != "failure" for s in self.steps)


# -- the runner's machine ------------------------------------------------------------------


@contextlib.contextmanager
def services(job: Mapping[str, Any]) -> Iterator[list[str]]:
    """Each `services:` PostgreSQL as a local server on the published port; yields notes."""
    notes: list[str] = []
    with contextlib.ExitStack() as stack:
        for name, service in (job.get("services") or {}).items():
            image = str(service.get("image", ""))
            if not image.startswith("postgres"):
                raise SimError(f"service {name}: only PostgreSQL images are simulated, not {image}")
            env = service.get("env") or {}
            if env.get("POSTGRES_USER", "postgres") != "postgres":
                raise SimError(f"service {name}: only POSTGRES_USER=postgres is simulated")
            ports = [str(p).split(":") for p in service.get("ports") or []]
            host_port = int(ports[0][0]) if ports else 5432
            password = str(env.get("POSTGRES_PASSWORD", "postgres"))
            note = stack.enter_context(throwaway_postgres(f"service-{name}", host_port, password))
            notes.append(f"service {name} ({image}): {note}")
        yield notes


# -- expressions and steps -----------------------------------------------------------------


@dataclass
class Context:
    workspace: Path
    temp: Path
    env: dict[str, str]
    inputs: dict[str, str] = field(default_factory=dict)
    action_path: Path | None = None
    failed: bool = False

    def evaluate(self, expression: str) -> str:
        if expression.startswith("inputs."):
            return self.inputs.get(expression.removeprefix("inputs."), "")
        if expression.startswith("env."):
            return self.env.get(expression.removeprefix("env."), "")
        if expression.startswith("secrets."):
            return ""
        known = {
            "github.workspace": str(self.workspace),
            "github.action_path": str(self.action_path or ""),
            "runner.temp": str(self.temp),
            "runner.os": "Linux",
        }
        if expression in known:
            return known[expression]
        raise SimError(f"expression not simulated: ${{{{ {expression} }}}}")

    def substitute(self, value: Any) -> str:
        return _EXPRESSION.sub(lambda m: self.evaluate(m.group(1)), str(value))

    def should_run(self, condition: Any) -> bool:
        text = str(condition).strip() if condition is not None else "success()"
        text = _EXPRESSION.sub(lambda m: m.group(1), text).strip()
        verdicts = {
            "success()": not self.failed,
            "always()": True,
            "!cancelled()": True,
            "failure()": self.failed,
        }
        if text not in verdicts:
            raise SimError(f"condition not simulated: if: {condition}")
        return verdicts[text]


def python_shims(user: pwd.struct_passwd, version: str, path: str) -> Path:
    """What actions/setup-python puts on PATH: `python` and `python3` of ``version``.

    The runner user's python3 (on ``path``), not this process's: root's may
    live where the runner cannot go.
    """
    python3 = shutil.which("python3", path=path)
    if python3 is None:
        raise SimError("no python3 on the runner's PATH")
    found = subprocess.run(
        [python3, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if found != version:
        raise SimError(f"setup-python asks for {version}; the runner's python3 is {found}")
    shims = Path(user.pw_dir) / ".sim-python" / "bin"
    shims.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3"):
        link = shims / name
        link.unlink(missing_ok=True)
        link.symlink_to(python3)
    subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(shims.parent)], check=True)
    return shims


def run_steps(
    steps: list[Mapping[str, Any]],
    ctx: Context,
    user: pwd.struct_passwd,
    results: list[StepResult],
    prefix: str = "",
) -> None:
    for number, step in enumerate(steps, start=1):
        name = prefix + str(step.get("name") or step.get("uses") or f"step {number}")
        name = ctx.substitute(name)
        if not ctx.should_run(step.get("if")):
            results.append(StepResult(name, "skipped"))
            continue
        uses = step.get("uses")
        started = time.monotonic()
        if uses is not None:
            outcome, summary = run_action(str(uses), step, ctx, user, results, name)
        else:
            outcome, summary = run_script(step, ctx, user)
        results.append(StepResult(name, outcome, time.monotonic() - started, summary))
        if outcome == "failure":
            ctx.failed = True


def run_action(
    uses: str,
    step: Mapping[str, Any],
    ctx: Context,
    user: pwd.struct_passwd,
    results: list[StepResult],
    name: str,
) -> tuple[str, str]:
    inputs = {k: ctx.substitute(v) for k, v in (step.get("with") or {}).items()}
    if uses.startswith("actions/checkout@"):
        return "success", "the tracked files, copied into a fresh workspace"
    if uses.startswith("actions/setup-python@"):
        shims = python_shims(user, inputs.get("python-version", "3.11"), ctx.env["PATH"])
        ctx.env["PATH"] = f"{shims}:{ctx.env['PATH']}"
        return "success", f"python {inputs.get('python-version', '3.11')} on PATH"
    if uses.startswith("./"):
        action_dir = (ctx.workspace / uses).resolve()
        action = yaml.safe_load((action_dir / "action.yml").read_text())
        if action.get("runs", {}).get("using") != "composite":
            raise SimError(f"{uses}: only composite actions are simulated")
        declared = action.get("inputs") or {}
        unknown = set(inputs) - set(declared)
        if unknown:
            raise SimError(f"{uses}: unknown inputs {sorted(unknown)}")
        nested = Context(
            ctx.workspace,
            ctx.temp,
            ctx.env,
            {k: inputs.get(k, str(v.get("default", ""))) for k, v in declared.items()},
            action_dir,
        )
        inner: list[StepResult] = []
        run_steps(action["runs"]["steps"], nested, user, inner, prefix=f"{name} > ")
        results.extend(inner)
        failed = [s for s in inner if s.outcome == "failure"]
        return ("failure", failed[0].summary) if failed else ("success", f"{len(inner)} steps")
    return "not simulated", f"{uses} only talks to GitHub"


def run_script(step: Mapping[str, Any], ctx: Context, user: pwd.struct_passwd) -> tuple[str, str]:
    env = dict(ctx.env)
    env.update({k: ctx.substitute(v) for k, v in (step.get("env") or {}).items()})
    github_env, github_path = ctx.temp / "github_env", ctx.temp / "github_path"
    for handle in (github_env, github_path):
        handle.touch()
        os.chown(handle, user.pw_uid, user.pw_gid)
    env.update(GITHUB_ENV=str(github_env), GITHUB_PATH=str(github_path))
    script = ctx.temp / f"step-{time.monotonic_ns()}.sh"
    script.write_text(ctx.substitute(step["run"]))
    os.chown(script, user.pw_uid, user.pw_gid)
    cwd = ctx.workspace / ctx.substitute(step.get("working-directory", "."))
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=groups_of(user),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, in order, as the job log shows it
        text=True,
        check=False,
    )
    output = done.stdout
    (ctx.temp / f"{script.stem}.log").write_text(output)
    print(indent(output), flush=True)
    for line in github_env.read_text().splitlines():  # NAME=value lines from the step
        key, _, value = line.partition("=")
        if key:
            ctx.env[key] = value
    for line in reversed(github_path.read_text().splitlines()):
        if line.strip():
            ctx.env["PATH"] = f"{line.strip()}:{ctx.env['PATH']}"
    github_env.write_text("")
    github_path.write_text("")
    summaries = pytest_summaries(output)
    # The last line a person would read: workflow commands (::endgroup:: ...) are not.
    said = [line for line in output.strip().splitlines() if not line.startswith("::")]
    last = summaries[-1] if summaries else (said or [""])[-1]
    return ("success" if done.returncode == 0 else "failure"), last


# -- jobs ----------------------------------------------------------------------------------


def run_job(
    name: str, job: Mapping[str, Any], workflow_env: Mapping[str, str], user: pwd.struct_passwd
) -> JobResult:
    started = time.monotonic()
    result = JobResult(name)
    print(f"=== job {name} (as {user.pw_name})", flush=True)
    workspace = fresh_workspace(user, name)
    temp = Path(user.pw_dir) / "work" / "_temp" / name
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True)
    os.chown(temp, user.pw_uid, user.pw_gid)
    env = {
        "HOME": user.pw_dir,
        "USER": user.pw_name,
        "LOGNAME": user.pw_name,
        "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_JOB": name,
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": str(temp),
        **{k: str(v) for k, v in workflow_env.items()},
        **{k: str(v) for k, v in (job.get("env") or {}).items()},
    }
    ctx = Context(workspace, temp, env)
    try:
        with services(job) as notes:
            for note in notes:
                print(f"    {note}", flush=True)
            run_steps(job.get("steps") or [], ctx, user, result.steps)
    except SimError as exc:
        result.steps.append(StepResult("(simulation)", "failure", 0.0, str(exc)))
    result.seconds = time.monotonic() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflow", type=Path, default=REPO / ".github/workflows/ci.yml")
    parser.add_argument("--job", action="append", help="run only this job (repeatable)")
    parser.add_argument("--user", default="runner")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("run as root: it creates the runner user and starts the services", file=sys.stderr)
        return 2
    workflow = yaml.safe_load(args.workflow.read_text())
    user = ensure_user(args.user, sudo=True, docker=True)
    jobs = workflow["jobs"]
    chosen = args.job or list(jobs)
    results = [run_job(n, jobs[n], workflow.get("env") or {}, user) for n in chosen]
    print(f"\n{'job':<12} {'step':<78} {'outcome':<14} {'s':>6}  summary")
    for job in results:
        for step in job.steps:
            print(
                f"{job.name:<12} {step.name[:78]:<78} {step.outcome:<14} "
                f"{step.seconds:6.1f}  {step.summary[:120]}"
            )
        verdict = "passed" if job.ok else "FAILED"
        print(f"{job.name:<12} {'(job)':<78} {verdict:<14} {job.seconds:6.1f}")
    write_report(
        args.report,
        [
            {
                "job": j.name,
                "ok": j.ok,
                "seconds": round(j.seconds, 1),
                "steps": [s.__dict__ for s in j.steps],
            }
            for j in results
        ],
    )
    failed = [job.name for job in results if not job.ok]
    total = sum(job.seconds for job in results)
    print(
        f"github-runner-sim: {len(results)} job(s), "
        + (f"failed: {', '.join(failed)}" if failed else "all passed")
        + f", {total:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
