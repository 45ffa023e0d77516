"""Run astegni-db lint and squawk on the lint cases and the lint corpus; print the
Markdown tables of docs/lint.md ("Compared with squawk").

    python tests/lint_cases/squawk_compare.py   (needs squawk: `pip install squawk-cli`;
                                                 SQUAWK=/path/to/squawk to pick one)

squawk runs with --pg-version 15, and --assume-in-transaction unless the file
says `-- transactional: false` (yoyo runs the others in a transaction). It
reads each file alone; astegni-db reads a case's setup first, as the earlier
migration (tests/lint_cases/*/setup.sql, tests/lint_corpus/setup.sql).
squawk's "set a timeout first" rules fire on nearly every statement (the
astegni-db engine sets lock_timeout itself); they are counted apart. Its
style rules (types, identity, robust statements everywhere) are choices,
not lock hazards: they are shown, but do not make a safe case a false alarm.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS = REPO / "tests" / "lint_corpus"
sys.path.insert(0, str(REPO))

from astegni_db.lint import Runner, lint_paths  # noqa: E402

TIMEOUT_RULES = frozenset(
    {"require-lock-timeout", "require-statement-timeout", "require-timeout-settings"}
)
# Choices about types and style, not about what a statement does to a busy table.
STYLE_RULES = frozenset(
    {
        "prefer-text-field",
        "prefer-bigint-over-int",
        "prefer-bigint-over-smallint",
        "prefer-big-int",
        "prefer-identity",
        "prefer-timestamptz",
        "ban-char-field",
        "ban-create-domain-with-constraint",
        "require-enum-value-ordering",
    }
)
_EXPECT = re.compile(r"^--\s*expect\s*:\s*(.*)$", re.M)


def squawk_binary() -> str:
    found = os.environ.get("SQUAWK") or shutil.which("squawk")
    return found or str(Path(sys.executable).with_name("squawk"))


def squawk_rules(path: Path) -> list[str]:
    args = [squawk_binary(), "--reporter", "json", "--pg-version", "15"]
    if "transactional: false" not in path.read_text():
        args.append("--assume-in-transaction")
    done = subprocess.run([*args, str(path)], capture_output=True, text=True, check=False)
    return [v["rule_name"] for v in json.loads(done.stdout or "[]")]


def ours(sql: Path, *, setup: Path, spec: Path | None, runner: Runner = "astegni-db") -> list[str]:
    """astegni-db's rule ids on ``sql``, read after ``setup``; the app reads what the
    project's checks/ say (lint cases) or the corpus's queries (corpus)."""
    report = lint_paths(
        ([setup] if setup.exists() else []) + [sql],
        spec_path=spec,
        queries_dir=REPO / "checks" / "queries" if spec is not None else CORPUS / "queries",
        runner=runner,
        # Only the AD110 case is about rollback files; the others have none on purpose.
        disabled=() if sql.parent.name.startswith("AD110") else ("AD110",),
    )
    return [f.rule for f in report.findings if f.file == str(sql)]


def cell(rules: list[str]) -> str:
    shown = sorted(set(rules) - TIMEOUT_RULES)
    return ", ".join(shown) or "-"


def lint_case_table() -> None:
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
        setup = case / "setup.sql"
        runner: Runner = "psql" if case.name.endswith("-psql") else "astegni-db"
        spec = REPO / "checks" / "schema.toml"
        print(
            f"| {case.name} | {cell(ours(bad, setup=setup, spec=spec, runner=runner))} "
            f"| {cell(sq_bad)} "
            f"| {cell(ours(good, setup=setup, spec=spec, runner=runner))} "
            f"| {cell(sq_good)} | {timeouts} |"
        )


def corpus_table() -> None:
    rows = []
    for kind in ("hazard", "safe"):
        for sql in sorted((CORPUS / kind).glob("*.sql")):
            found = ours(sql, setup=CORPUS / "setup.sql", spec=None)
            theirs = [r for r in squawk_rules(sql) if r not in TIMEOUT_RULES]
            match = _EXPECT.search(sql.read_text())
            expected = "" if match is None or match.group(1) == "nothing" else match.group(1)
            rows.append((kind, sql.stem, expected, found, theirs))
    print("| case | expected | astegni-db | squawk |")
    print("|---|---|---|---|")
    for kind, name, expected, found, theirs in rows:
        print(f"| {kind}/{name} | {expected or '-'} | {cell(found)} | {cell(theirs)} |")
    hazards = [r for r in rows if r[0] == "hazard"]
    safe = [r for r in rows if r[0] == "safe"]

    def squawk_flags(theirs: list[str]) -> bool:
        return bool(set(theirs) - STYLE_RULES)

    print(
        f"\nhazards: {len(hazards)}; astegni-db reports each expected rule on "
        f"{sum(sorted(f) == sorted(e.replace(' ', '').split(',')) for _, _, e, f, _ in hazards)}, "
        f"squawk reports a non-style rule on {sum(squawk_flags(t) for *_, t in hazards)}"
    )
    print(
        f"safe: {len(safe)}; astegni-db quiet on {sum(not f for *_, f, _ in safe)}, "
        f"squawk quiet (style rules aside) on {sum(not squawk_flags(t) for *_, t in safe)}"
    )
    print("\ndisagreements (one flags, the other does not; style rules aside):")
    for kind, name, _, found, theirs in rows:
        if bool(found) != squawk_flags(theirs):
            print(f"- {kind}/{name}: astegni-db {cell(found)}; squawk {cell(theirs)}")


def project_migrations() -> None:
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


def main() -> None:
    lint_case_table()
    print()
    corpus_table()
    project_migrations()


if __name__ == "__main__":
    main()
