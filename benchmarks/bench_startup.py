"""Target 4: CLI start-up, a no-op migrate against stock yoyo's no-op apply, verify end to end.

Usage: python benchmarks/bench_startup.py [--runs 30]

Every command runs as a fresh process (as a user or CI runs it), the commands
of a group alternating run by run so noise from other work on the machine
hits them alike; medians are reported, with `python -c pass` as the floor.
The no-op pair runs against one database on the benchmark cluster with every
migration applied: `astegni-db migrate` and `yoyo apply -b` both find nothing
to do there. On that same database, `astegni-db verify` (spec and queries
passed explicitly, output piped) alternates with `python -c 'import psycopg'`
(same interpreter): verify must cost at most 1.25x importing its driver.
`astegni-db lint migrations/` (with checks/) must cost less than importing
the driver, which it never needs. The
import guard for --help is a test, not a timing: tests/test_startup_imports.py.

Every process gets the caller's environment minus PYTHONDONTWRITEBYTECODE
(see common.user_python_env): users have bytecode caches.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common

SPEC = common.REPO / "checks" / "schema.toml"
QUERIES = common.REPO / "checks" / "queries"
VERIFY = "astegni-db verify"
LINT = "astegni-db lint migrations/"
IMPORT_PSYCOPG_BESIDE_VERIFY = "python -c 'import psycopg' (beside verify)"


def alternate(
    commands: dict[str, Sequence[str]], runs: int, cwd: Path, env: dict[str, str] | None = None
) -> dict[str, list[float]]:
    env = common.user_python_env() if env is None else env
    samples: dict[str, list[float]] = {name: [] for name in commands}
    # Warm the page cache once, and write the .pyc files (the environment
    # allows it): every measured run then loads bytecode, as a user's does.
    for name, cmd in commands.items():
        common.check_ok(common.timed_run(cmd, cwd=cwd, env=env)[1], name)
    for _ in range(runs):
        for name, cmd in commands.items():
            ms, done = common.timed_run(cmd, cwd=cwd, env=env)
            common.check_ok(done, name)
            samples[name].append(ms)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    cli = str(common.ASTEGNI_DB)
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        shutil.copytree(common.REPO / "checks", cwd / "checks")
        startup = alternate(
            {
                "python -c pass": [sys.executable, "-c", "pass"],
                # Reference floors: what importing the CLI framework and the
                # driver costs on this machine, whatever astegni-db does.
                "python -c 'import click'": [sys.executable, "-c", "import click"],
                "python -c 'import psycopg'": [sys.executable, "-c", "import psycopg"],
                "astegni-db --help": [cli, "--help"],
                "astegni-db --version": [cli, "--version"],
                # As a pre-commit hook runs it: the project's migrations, with
                # checks/ (copied into cwd) as what the application reads.
                LINT: [cli, "lint", str(common.MIGRATIONS)],
            },
            args.runs,
            cwd,
        )
        with common.bench_server() as server:
            version = server.version()
            with common.scratch_database(server, "bench_t4") as db:
                url = server.url_for(db)
                common.check_ok(
                    common.timed_run(
                        [
                            cli,
                            "migrate",
                            "--database-url",
                            url,
                            "--migrations-dir",
                            str(common.MIGRATIONS),
                        ],
                        cwd=cwd,
                        env=common.user_python_env(),
                    )[1],
                    "first migrate",
                )
                noop = alternate(
                    {
                        # As run from the project directory: with the spec,
                        # migrate also checks the documented value sets.
                        "astegni-db migrate (no-op)": [
                            cli,
                            "migrate",
                            "--database-url",
                            url,
                            "--migrations-dir",
                            str(common.MIGRATIONS),
                            "--spec",
                            str(common.REPO / "checks" / "schema.toml"),
                        ],
                        "astegni-db migrate (no-op, no spec)": [
                            cli,
                            "migrate",
                            "--database-url",
                            url,
                            "--migrations-dir",
                            str(common.MIGRATIONS),
                            "--spec",
                            "no-such-spec.toml",
                        ],
                        "yoyo apply -b (no-op)": [
                            str(common.YOYO),
                            "apply",
                            "-b",
                            "--no-config-file",
                            "-d",
                            server.yoyo_url(db),
                            str(common.MIGRATIONS),
                        ],
                    },
                    args.runs,
                    cwd,
                )
                # verify as a user runs it against a migrated database: a fresh
                # process, the project's spec and queries named explicitly, output
                # piped (plain text); side by side with importing its driver.
                verify = alternate(
                    {
                        IMPORT_PSYCOPG_BESIDE_VERIFY: [sys.executable, "-c", "import psycopg"],
                        VERIFY: [
                            cli,
                            "verify",
                            "--database-url",
                            url,
                            "--spec",
                            str(SPEC),
                            "--queries",
                            str(QUERIES),
                        ],
                    },
                    args.runs,
                    cwd,
                )
    samples = {**startup, **noop, **verify}
    med: dict[str, Any] = {k: round(common.median(v), 1) for k, v in samples.items()}
    ratio = med["astegni-db migrate (no-op)"] / med["yoyo apply -b (no-op)"]
    verify_ratio = med[VERIFY] / med[IMPORT_PSYCOPG_BESIDE_VERIFY]
    targets = {
        "--help_median_ms<=150": {
            "measured": med["astegni-db --help"],
            "met": med["astegni-db --help"] <= 150,
        },
        "--version_median_ms<=150": {
            "measured": med["astegni-db --version"],
            "met": med["astegni-db --version"] <= 150,
        },
        "noop_migrate/yoyo_noop<=1.5": {"measured": round(ratio, 2), "met": ratio <= 1.5},
        # lint connects to nothing: it must cost less than importing the driver
        # every database command needs (it parses with PostgreSQL's grammar).
        "lint/import_psycopg<=1.0": {
            "measured": round(med[LINT] / med["python -c 'import psycopg'"], 2),
            "met": med[LINT] <= med["python -c 'import psycopg'"],
        },
        "verify/import_psycopg<=1.25": {
            "measured": round(verify_ratio, 2),
            "met": verify_ratio <= 1.25,
        },
    }
    floor = med["python -c pass"]
    common.print_table(
        f"Target 4: start-up (medians of {args.runs} alternating runs, fresh process each)",
        ["command", "median ms", "min ms", "max ms", "over bare python ms"],
        [
            [k, med[k], round(min(v), 1), round(max(v), 1), round(med[k] - floor, 1)]
            for k, v in samples.items()
        ],
    )
    common.print_table(
        "Target 4: verdicts",
        ["target", "measured", "met"],
        [[k, v["measured"], v["met"]] for k, v in targets.items()],
    )
    common.write_results(
        "startup",
        {
            "machine": common.machine_info(),
            "postgresql": version,
            "params": vars(args),
            "medians_ms": med,
            "samples_ms": {k: [round(x, 1) for x in v] for k, v in samples.items()},
            "targets": targets,
        },
    )


if __name__ == "__main__":
    main()
