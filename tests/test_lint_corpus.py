"""The lint corpus: PostgreSQL's own word on locks, and every lock claim checked on a server.

How the corpus was built (tests/lint_corpus/, format in its README.md):
- from PostgreSQL 15's documentation: "Explicit Locking" (table 13.2 and the
  commands it names for each mode), ALTER TABLE's notes per subcommand (which
  forms rewrite, which scan, which take less than ACCESS EXCLUSIVE), CREATE
  INDEX, DROP INDEX, REINDEX, VACUUM, CLUSTER, REFRESH MATERIALIZED VIEW,
  LOCK, TRUNCATE, ATTACH / DETACH PARTITION, VALIDATE CONSTRAINT and ALTER
  DOMAIN: each documented hazard became a ``hazard/`` case, each documented
  way around it a ``safe/`` case;
- from outside reports: DROP INDEX, REINDEX and DETACH PARTITION without
  CONCURRENTLY; ADD COLUMN ... UNIQUE and ... CONSTRAINT x UNIQUE; a plpgsql
  VOLATILE function as a default next to a STABLE one; REINDEX
  SCHEMA / DATABASE / SYSTEM; REINDEX (CONCURRENTLY false); BEGIN ... COMMIT
  in a file; VALIDATE on a table created in the same file;
- from squawk: every hazard squawk reports on these files and a few more
  (ALTER DOMAIN ... ADD CONSTRAINT, ALTER TABLE ... SET SCHEMA; the
  comparison: tests/lint_cases/squawk_compare.py, docs/lint.md "Compared with
  squawk").
75 hazards (60 lock claims) and 75 safe forms when this was written.

Every case starts from tests/lint_corpus/setup.sql (tables with rows, a
partitioned table and two tables to attach to it, a domain, a materialized
view, a VOLATILE and a STABLE function), which the lint
reads first as the earlier migration and the server runs first. What is
checked:
1. lint reports exactly the case's ``-- expect:`` rule ids (safe cases: none);
2. the locks its findings claim are the case's ``-- locks:`` line (what the
   documentation gives), and each is what PostgreSQL 15 holds: the case runs
   in a transaction up to and including the flagged statement (what yoyo runs
   before it is held too), then pg_locks gives this backend's granted modes
   per relation (OIDs resolved before the statement), the strongest must be
   the claimed one. A ``-- transactional: false`` case (VACUUM FULL cannot
   run in a transaction) runs in autocommit, as the engine runs it, while
   other sessions hold on each claimed relation the weakest mode that
   conflicts with the claim: the statement must wait for them, and pg_locks
   shows the mode it waits for. A statement the lint says PostgreSQL refuses
   in a transaction (AD105) must be refused there; a syntax error (AD100)
   must be refused by the server too;
3. every safe case keeps the ``-- promise:`` lines docs/lint.md makes for its
   form: ``catalog-only T`` (T and its indexes keep their files: no rewrite;
   T is neither scanned nor read through an index), ``writes continue on T`` /
   ``reads continue on T`` (another session gets ROW EXCLUSIVE on T with
   NOWAIT / reads T at once, while the case's transaction is open, or, for a
   ``-- transactional: false`` case, while its statement waits behind an open
   writer; a materialized view, behind an open ANALYZE), ``nothing existing
   locked`` (no lock above ACCESS SHARE on a relation setup.sql made).
Transactional cases share one database (each rolls back); non-transactional
ones commit, so each gets a fresh clone of the set-up template.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from astegni_db.disposable import DisposableDatabases
from astegni_db.disposable.databases import temporary_database
from astegni_db.lint import RULES, Finding, lint_paths
from astegni_db.project.migration_files import read_directives, split_statements
from tests.helpers import REPO

CORPUS = REPO / "tests" / "lint_corpus"
SETUP = CORPUS / "setup.sql"
QUERIES = CORPUS / "queries"

# PostgreSQL's lock modes, weakest first (pg_locks spells them AccessShareLock ...).
MODES = (
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)


def _mode(name: str) -> str:
    """'AccessExclusiveLock', 'ACCESS EXCLUSIVE', 'access exclusive lock': 'ACCESS EXCLUSIVE'."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.strip()).upper()
    spaced = re.sub(r"\s+LOCK$", "", re.sub(r"\s+", " ", spaced))
    assert spaced in MODES, f"not a lock mode: {name!r}"
    return spaced


# How long a non-transactional statement may take to reach its wait behind the open
# writer: a bound on a hang, never a measurement.
WAIT_DEADLINE_S = 30.0

_HEADER = re.compile(r"^--\s*(source|expect|locks|promise)\s*:\s*(.*)$")
_PROMISE = re.compile(
    r"^(?:catalog-only (?P<catalog>\w+)|(?P<what>writes|reads) continue on (?P<table>\w+)"
    r"|(?P<nothing>nothing existing locked))$"
)


@dataclass(frozen=True)
class Case:
    path: Path
    source: str
    expect: tuple[str, ...]
    locks: frozenset[tuple[str, str]]  # (relation, mode) its findings claim, all together
    promises: tuple[str, ...]
    transactional: bool

    @property
    def hazard(self) -> bool:
        return self.path.parent.name == "hazard"

    @property
    def statements(self) -> list[tuple[str, int]]:
        """(statement, line) as yoyo cuts and runs the file."""
        return list(split_statements(self.path.read_text()))


def load_case(path: Path) -> Case:
    text = path.read_text()
    fields: dict[str, list[str]] = {"source": [], "expect": [], "locks": [], "promise": []}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if match:
            fields[match.group(1)].append(match.group(2).strip())
    expect = [] if fields["expect"] == ["nothing"] else fields["expect"]
    return Case(
        path=path,
        source=" ".join(fields["source"]),
        expect=tuple(r.strip() for e in expect for r in e.split(",")),
        locks=frozenset(
            (claim.split(" ", 1)[0], _mode(claim.split(" ", 1)[1]))
            for line in fields["locks"]
            for claim in (c.strip() for c in line.split(";"))
            if claim
        ),
        promises=tuple(fields["promise"]),
        transactional=read_directives(text)[0],
    )


CASES = [load_case(p) for p in sorted(CORPUS.glob("*/*.sql")) if p.parent.name != "queries"]
HAZARDS = [c for c in CASES if c.hazard]
SAFE = [c for c in CASES if not c.hazard]


def case_id(case: Case) -> str:
    return f"{case.path.parent.name}/{case.path.stem}"


def lint_case(case: Case) -> list[Finding]:
    report = lint_paths(
        [SETUP, case.path],
        spec_path=None,
        queries_dir=QUERIES,
        disabled=["AD110"],  # the corpus is about statements; no case has a rollback file
    )
    return [f for f in report.findings if f.file == str(case.path)]


# --- the corpus itself ---------------------------------------------------------


def test_the_corpus_is_complete_and_balanced() -> None:
    assert len(CASES) >= 60
    assert len(SAFE) >= len(HAZARDS)
    assert {p.parent.name for p in CORPUS.glob("*/*.sql")} == {"hazard", "safe", "queries"}
    for case in CASES:
        assert case.source, case.path
        assert case.hazard == bool(case.expect), case.path
        assert case.hazard or case.promises, f"{case.path}: a safe case promises something"
        for promise in case.promises:
            assert _PROMISE.match(promise), f"{case.path}: unknown promise {promise!r}"
    # Every statement rule has a hazard here (AD110 is about rollback files).
    assert {r.id for r in RULES} - {"AD110"} <= {r for c in HAZARDS for r in c.expect}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_lint_reports_exactly_the_expected_rules(case: Case) -> None:
    found = lint_case(case)
    assert sorted(f.rule for f in found) == sorted(case.expect), [
        f"{f.line}: {f.rule} {f.message}" for f in found
    ]
    # The locks PostgreSQL's documentation gives (and the server shows, below).
    claimed = {(name, _mode(mode)) for f in found for name, mode in f.locks}
    assert claimed == set(case.locks), [f"{f.rule}: {f.locks}" for f in found]


# --- the server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_template(disposable_databases: DisposableDatabases) -> Iterator[str]:
    """A database with setup.sql applied, to clone (nobody stays connected to it)."""
    server = disposable_databases.server
    with temporary_database(server, purpose="corpus") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            major = conn.info.server_version // 10000
            assert major == 15, f"the corpus's lock claims are PostgreSQL 15's; server is {major}"
            conn.execute(SETUP.read_text())
            row = conn.execute("SELECT current_database()").fetchone()
        assert row is not None
        yield str(row[0])


@pytest.fixture(scope="module")
def shared_db(disposable_databases: DisposableDatabases, corpus_template: str) -> Iterator[str]:
    """For transactional cases: each runs in a transaction that is rolled back."""
    with temporary_database(disposable_databases.server, template=corpus_template) as url:
        yield url


@pytest.fixture
def case_db(disposable_databases: DisposableDatabases, corpus_template: str) -> Iterator[str]:
    """For non-transactional cases, which commit as they go: a fresh clone each."""
    with temporary_database(disposable_databases.server, template=corpus_template) as url:
        yield url


def strongest(mode_names: list[str]) -> str:
    return max((_mode(m) for m in mode_names), key=MODES.index)


def relation_oid(conn: psycopg.Connection, name: str) -> int:
    found = conn.execute(
        "SELECT c.oid FROM pg_class c WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
        (name.rsplit(".", 1)[-1],),
    ).fetchone()
    assert found is not None, f"no relation {name} before the statement"
    return int(found[0])


def modes_held(conn: psycopg.Connection, oid: int) -> list[str]:
    rows = conn.execute(
        "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND granted"
        " AND locktype = 'relation' AND database = (SELECT oid FROM pg_database"
        " WHERE datname = current_database()) AND relation = %s",
        (oid,),
    ).fetchall()
    return [r[0] for r in rows]


def flagged_statement(case: Case, line: int) -> int:
    """Index of the statement (as yoyo runs them) holding ``line``."""
    starts = [start for _, start in case.statements]
    return max(i for i, start in enumerate(starts) if start <= line)


# Cases with something for the server to confirm: a lock, a refusal. (AD108/AD109
# are about the application's queries; AD111/AD112/AD116 about the file and who runs it.)
SERVER_HAZARDS = [c for c in HAZARDS if c.locks or {"AD100", "AD105"} & set(c.expect)]


def test_the_corpus_makes_lock_claims_to_check() -> None:
    assert sum(len(case.locks) for case in HAZARDS) >= 40


@pytest.mark.parametrize("case", SERVER_HAZARDS, ids=case_id)
def test_lock_claims_hold_on_postgresql_15(
    case: Case, shared_db: str, disposable_databases: DisposableDatabases, corpus_template: str
) -> None:
    found = [f for f in lint_case(case) if f.locks or f.rule in ("AD100", "AD105")]
    assert found, "nothing for the server to confirm: is the finding missing?"
    for finding in found:
        index = flagged_statement(case, finding.line)
        if finding.rule == "AD105" and not case.transactional:
            # The reverse refusal: a statement that needs a transaction block,
            # run as a `-- transactional: false` migration runs it, on its own.
            refused = _refused(shared_db, case, index, autocommit=True)
            assert refused == "25P01", "PostgreSQL must refuse it outside a transaction block"
        elif finding.rule == "AD105":
            refused = _refused(shared_db, case, index)
            assert refused == "25001", "PostgreSQL must refuse it inside a transaction block"
        elif finding.rule == "AD100":
            assert _refused(shared_db, case, index) == "42601", "the server must refuse it too"
        if not finding.locks:
            continue
        claimed = {name: _mode(mode) for name, mode in finding.locks}
        if case.transactional:
            held = _locks_after(shared_db, case, index, list(claimed))
        else:  # its statements commit as they go: a fresh clone
            server = disposable_databases.server
            with temporary_database(server, template=corpus_template) as url:
                held = _locks_awaited(url, case, index, claimed)
        assert held == claimed, f"{finding.rule} line {finding.line}: {finding.message}"


def _locks_after(url: str, case: Case, index: int, names: list[str]) -> dict[str, str]:
    """The strongest mode held on each of ``names`` once statement ``index`` has run,
    after the statements before it, in one transaction (as yoyo runs the file)."""
    with psycopg.connect(url) as conn:
        try:
            for text, _ in case.statements[:index]:
                conn.execute(text)
            oids = {name: relation_oid(conn, name) for name in names}
            conn.execute(case.statements[index][0])
            return {name: strongest(modes_held(conn, oid)) for name, oid in oids.items()}
        finally:
            conn.rollback()


# The weakest mode that conflicts with each mode (PostgreSQL 15's table 13.2): held by
# another session, it makes a statement wait when it asks for that mode, and no sooner.
WEAKEST_CONFLICT = {
    "ACCESS SHARE": "ACCESS EXCLUSIVE",
    "ROW SHARE": "EXCLUSIVE",
    "ROW EXCLUSIVE": "SHARE",
    "SHARE UPDATE EXCLUSIVE": "SHARE UPDATE EXCLUSIVE",
    "SHARE": "ROW EXCLUSIVE",
    "SHARE ROW EXCLUSIVE": "ROW EXCLUSIVE",
    "EXCLUSIVE": "ROW SHARE",
    "ACCESS EXCLUSIVE": "ACCESS SHARE",
}


def _locks_awaited(url: str, case: Case, index: int, claimed: dict[str, str]) -> dict[str, str]:
    """For a `-- transactional: false` case (VACUUM cannot run in a transaction): the
    statements before ``index`` run in autocommit, as the engine runs them; then, while
    other sessions hold on each claimed relation the weakest mode that conflicts with the
    claimed one, statement ``index`` runs and must wait for them. Each time it waits,
    pg_locks gives the modes it holds and the one it waits for on the claimed relations;
    the blocker it waits for is then let go. The strongest mode seen on each relation."""
    with psycopg.connect(url, autocommit=True) as conn:
        for text, _ in case.statements[:index]:
            conn.execute(text)
        oids = {name: relation_oid(conn, name) for name in claimed}
    names = {oid: name for name, oid in oids.items()}
    seen: dict[str, list[str]] = {name: [] for name in claimed}
    blockers: dict[str, psycopg.Connection] = {}
    runner = psycopg.connect(url, autocommit=True)
    errors: list[BaseException] = []
    try:
        for name, mode in claimed.items():
            blockers[name] = psycopg.connect(url)
            blockers[name].execute(
                sql.SQL("LOCK TABLE {} IN {} MODE").format(
                    sql.Identifier(name), sql.SQL(WEAKEST_CONFLICT[mode])
                )
            )

        def run() -> None:
            try:
                runner.execute(case.statements[index][0])
            except BaseException as exc:  # reported by the test thread
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        pid = runner.info.backend_pid
        with psycopg.connect(url, autocommit=True) as watcher:
            while blockers and _wait_until_waiting(url, pid, thread):
                rows = watcher.execute(
                    "SELECT relation, mode, granted FROM pg_locks WHERE pid = %s"
                    " AND locktype = 'relation' AND relation = ANY(%s)",
                    (pid, list(names)),
                ).fetchall()
                for oid, mode, _ in rows:
                    seen[names[oid]].append(mode)
                waited = [names[oid] for oid, _, granted in rows if not granted]
                assert waited, "it waits for something other than the claimed relations"
                for name in waited:
                    if name in blockers:
                        blockers.pop(name).rollback()
        thread.join(WAIT_DEADLINE_S)
        assert not thread.is_alive(), "the statement did not finish once the blockers left"
        assert errors == [], errors
    finally:
        for blocker in blockers.values():
            blocker.close()
        runner.close()
    return {name: strongest(modes) for name, modes in seen.items() if modes}


def _refused(url: str, case: Case, index: int, *, autocommit: bool = False) -> str | None:
    """The SQLSTATE PostgreSQL refuses statement ``index`` with, in a transaction block
    (or, with ``autocommit``, each statement on its own)."""
    with psycopg.connect(url, autocommit=autocommit) as conn:
        try:
            for text, _ in case.statements[:index]:
                conn.execute(text)
            conn.execute(case.statements[index][0])
        except psycopg.Error as exc:
            return exc.sqlstate
        finally:
            conn.rollback()
    return None


# --- safe cases keep their promises ------------------------------------------------


@pytest.mark.parametrize("case", [c for c in SAFE if c.transactional], ids=case_id)
def test_safe_transactional_case_keeps_its_promises(case: Case, shared_db: str) -> None:
    with psycopg.connect(shared_db) as conn:
        try:
            existing = _setup_relations(conn)
            before = {p: _observe(conn, p) for p in case.promises}
            for text, _ in case.statements:
                conn.execute(text)
            for promise in case.promises:
                _check(conn, shared_db, promise, before[promise], existing)
        finally:
            conn.rollback()


@pytest.mark.parametrize("case", [c for c in SAFE if not c.transactional], ids=case_id)
def test_safe_non_transactional_case_keeps_its_promises(case: Case, case_db: str) -> None:
    """The statement runs (autocommit, as the engine runs these files) while another
    session holds an open write on the table; it must get to the end, and meanwhile
    a new writer (or reader) must get its lock at once."""
    tables = {m.group("table"): m.group("what") for m in map(_PROMISE.match, case.promises) if m}
    assert set(tables.values()) <= {"writes", "reads"} and tables, "promise writes/reads"
    writer = psycopg.connect(case_db)
    runner = psycopg.connect(case_db, autocommit=True)
    errors: list[BaseException] = []
    try:
        for table in tables:
            _hold_open(writer, table)

        def run() -> None:
            try:
                for text, _ in case.statements:
                    runner.execute(text)
            except BaseException as exc:  # reported by the test thread
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        _wait_until_waiting(case_db, runner.info.backend_pid, thread)
        for table, what in tables.items():
            # While it waits (or after it is done, if it never had to): no conflict.
            assert _lock_now(case_db, table, what), f"{what} on {table} had to wait"
        writer.rollback()
        thread.join(WAIT_DEADLINE_S)
        assert not thread.is_alive(), "the statement did not finish once the writer left"
        assert errors == [], errors
    finally:
        writer.close()
        runner.close()


def _hold_open(conn: psycopg.Connection, table: str) -> None:
    """Leave ``conn``'s transaction open on ``table``, as a writer in the middle of its
    work: ROW EXCLUSIVE. A materialized view has no writers (LOCK TABLE refuses it): an
    ANALYZE of it, whose SHARE UPDATE EXCLUSIVE lasts to the end of the transaction."""
    row = conn.execute(
        "SELECT relkind FROM pg_class WHERE oid = %s", (relation_oid(conn, table),)
    ).fetchone()
    name = sql.Identifier(table)
    if row is not None and row[0] == "m":
        conn.execute(sql.SQL("ANALYZE {}").format(name))
    else:
        conn.execute(sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(name))


def _wait_until_waiting(url: str, pid: int, thread: threading.Thread) -> bool:
    """True once ``pid`` waits for a lock; False if it finished without waiting."""
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + WAIT_DEADLINE_S
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", (pid,)
            ).fetchone()
            if row is not None and row[0] > 0:
                return True
            if not thread.is_alive():
                return False
            time.sleep(0.01)
    pytest.fail("the statement neither waited for the open writer nor finished")


def _lock_now(url: str, table: str, what: str) -> bool:
    """Whether another session could write (ROW EXCLUSIVE, NOWAIT) or read (a SELECT)
    ``table`` at once. A lock that is free is granted without waiting, so the read's
    lock_timeout only ends a wait that would otherwise queue behind the statement."""
    with psycopg.connect(url) as conn:
        try:
            name = sql.Identifier(table)
            if what == "writes":
                conn.execute(sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE NOWAIT").format(name))
            else:  # LOCK TABLE refuses materialized views: read it
                conn.execute("SET LOCAL lock_timeout = '10ms'")
                conn.execute(sql.SQL("SELECT FROM {} LIMIT 0").format(name))
            return True
        except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled):
            return False
        finally:
            conn.rollback()


def _setup_relations(conn: psycopg.Connection) -> set[int]:
    rows = conn.execute(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public'"
    ).fetchall()
    return {int(r[0]) for r in rows}


def _observe(conn: psycopg.Connection, promise: str) -> object:
    """What a promise compares before and after: files and scans of a catalog-only table."""
    match = _PROMISE.match(promise)
    assert match is not None
    if match.group("catalog") is None:
        return None
    oid = relation_oid(conn, match.group("catalog"))
    return oid, _files(conn, oid), _scans(conn, oid)


def _files(conn: psycopg.Connection, oid: int) -> set[int]:
    """The data files of a table and its indexes. An index that ALTER COLUMN TYPE
    recreates with its old storage (binary-coercible types) gets a new OID but
    keeps its file: nothing was rebuilt."""
    rows = conn.execute(
        "SELECT pg_relation_filenode(c.oid) FROM pg_class c"
        " WHERE c.oid = %s OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = %s)",
        (oid, oid),
    ).fetchall()
    return {int(r[0]) for r in rows}


def _scans(conn: psycopg.Connection, oid: int) -> int:
    """Sequential and index scans of the table in this transaction so far."""
    row = conn.execute(
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables"
        " WHERE relid = %s",
        (oid,),
    ).fetchone()
    return int(row[0]) if row else 0


def _check(
    conn: psycopg.Connection, url: str, promise: str, before: object, existing: set[int]
) -> None:
    match = _PROMISE.match(promise)
    assert match is not None
    if match.group("catalog") is not None:
        assert isinstance(before, tuple)
        oid, files, scans = before
        now = _files(conn, oid)
        assert now == files, f"{promise}: rewritten (a file changed)"
        assert _scans(conn, oid) == scans, f"{promise}: the table was scanned"
    elif match.group("table") is not None:
        what, table = match.group("what"), match.group("table")
        assert _lock_now(url, table, what), f"{promise}: they had to wait"
    else:
        rows = conn.execute(
            "SELECT relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND granted"
            " AND locktype = 'relation' AND relation = ANY(%s) AND mode <> 'AccessShareLock'",
            (list(existing),),
        ).fetchall()
        assert rows == [], f"{promise}: {rows}"
