"""Run astegni-db lint and squawk on every lint case; print a Markdown table for docs/lint.md.

    python tests/lint_cases/squawk_compare.py   (needs `pip install squawk-cli`)

squawk runs with --pg-version 15, and --assume-in-transaction unless the file
says `-- transactional: false` (yoyo runs the others in a transaction).
squawk's two "set a timeout first" rules fire on nearly every statement; they
are counted in their own column so the rest stays readable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from astegni_db.lint import lint_paths  # noqa: E402

TIMEOUT_RULES = {"require-lock-timeout", "require-statement-timeout"}


def squawk_rules(path: Path) -> list[str]:
    squawk = shutil.which("squawk") or str(Path(sys.executable).with_name("squawk"))
    args = [squawk, "--reporter", "json", "--pg-version", "15"]
    if "transactional: false" not in path.read_text():
        args.append("--assume-in-transaction")
    done = subprocess.run([*args, str(path)], capture_output=True, text=True, check=False)
    return [v["rule_name"] for v in json.loads(done.stdout or "[]")]


def ours(case: Path, sql: Path) -> list[str]:
    setup = case / "setup.sql"
    report = lint_paths(
        ([setup] if setup.exists() else []) + [sql],
        spec_path=REPO / "checks" / "schema.toml",
        queries_dir=REPO / "checks" / "queries",
        runner="psql" if case.name.endswith("-psql") else "astegni-db",
        disabled=() if case.name.startswith("AD110") else ("AD110",),
    )
    return [f.rule for f in report.findings if f.file == str(sql)]


def cell(rules: list[str]) -> str:
    shown = sorted(set(rules) - TIMEOUT_RULES)
    return ", ".join(shown) or "-"


def main() -> None:
    print(
        "| case | astegni-db on bad | squawk on bad | astegni-db on good | squawk on good "
        "| squawk timeout rules (bad/good) |"
    )
    print("|---|---|---|---|---|---|")
    for case in sorted(p for p in HERE.iterdir() if p.is_dir()):
        bad, good = case / "bad.sql", case / "good.sql"
        sq_bad, sq_good = squawk_rules(bad), squawk_rules(good)
        timeouts = (
            f"{sum(r in TIMEOUT_RULES for r in sq_bad)}/{sum(r in TIMEOUT_RULES for r in sq_good)}"
        )
        print(
            f"| {case.name} | {cell(ours(case, bad))} | {cell(sq_bad)} "
            f"| {cell(ours(case, good))} | {cell(sq_good)} | {timeouts} |"
        )
    for migration in sorted((REPO / "migrations").glob("*.sql")):
        if migration.name.endswith(".rollback.sql"):
            continue
        report = lint_paths(
            [migration],
            spec_path=REPO / "checks" / "schema.toml",
            queries_dir=REPO / "checks" / "queries",
        )
        rules = squawk_rules(migration)
        counts = {r: rules.count(r) for r in sorted(set(rules))}
        print(
            f"\n{migration.name}: astegni-db {len(report.findings)} finding(s); squawk "
            + (", ".join(f"{r} x{n}" for r, n in counts.items()) or "none")
        )


if __name__ == "__main__":
    main()
