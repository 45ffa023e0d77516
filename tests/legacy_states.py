"""The database states real Astegni databases are in, rebuilt with rows in every table.

astegni-schema.md ("States real databases are in") lists five states left by
three scripts for the same change. Each builder here replays, on an empty
database, what the old scripts did, statement by statement and commit by
commit, with the legacy application writing rows before and after:

0. empty database (a fresh install);
1. the legacy tables, none of the five scheduling columns;
2. ``run_session_migration.py``: ``ADD COLUMN IF NOT EXISTS``, one commit per
   column, no backfill, no comments;
3. ``add_session_fields.sql`` run with psql (autocommit per statement): each
   column, a one-off backfill of ``session_frequency``/``is_recurring``, then
   column comments in its own wording;
4. the transactional variant: all five in one transaction, with
   ``DEFAULT 'one-time'`` and ``DEFAULT false`` and comments;
5. ``add_session_fields.sql`` stopped half way: ``session_frequency`` and
   ``is_recurring`` (each backfilled), nothing else.

The legacy tables were made by hand-run scripts, so they carry columns this
toolkit never reads (users.email, tutor_profiles.bio, the enrollments' own
session_frequency ...), another table referencing users, and, in states 3 and
5, index and constraint names of a different script than the one the baseline
copies. Rows hold values outside the documented sets ('Weekly', 'One-time',
status 'missed') because real ones do.

A sixth state was not made by a script at all: ``create_all`` of the
application's SQLAlchemy models (September 2025; astegni-legacy-states.md,
section 1), which declare Python-side defaults only, so the tables carry no
server default, tutor_id/student_id NOT NULL and an extra index on id.

DRIFT_STATES are databases astegni-db had already adopted (migrated) before
someone ran an old script again, and one that needs a person rather than a
migration (astegni-legacy-states.md, sections 2 and 3). ``migrate`` alone does
not converge them; they are not in LEGACY_STATES.

Everything is deterministic (seeded), so two builds of a state are identical.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Json

# --- legacy DDL, as the hand-run scripts wrote it -----------------------------

_LEGACY_USERS = """
CREATE TABLE IF NOT EXISTS users (
    id SERIAL PRIMARY KEY,
    first_name VARCHAR NOT NULL,
    last_name VARCHAR NOT NULL,
    email VARCHAR UNIQUE NOT NULL,
    phone VARCHAR,
    password_hash VARCHAR NOT NULL,
    roles JSON DEFAULT '["user"]',
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

_LEGACY_REFRESH_TOKENS = """
CREATE TABLE IF NOT EXISTS refresh_tokens (
    id SERIAL PRIMARY KEY,
    token VARCHAR UNIQUE NOT NULL,
    user_id INTEGER REFERENCES users(id),
    expires_at TIMESTAMP NOT NULL,
    is_revoked BOOLEAN DEFAULT FALSE
)"""

_LEGACY_TUTOR_PROFILES = """
CREATE TABLE IF NOT EXISTS tutor_profiles (
    id SERIAL PRIMARY KEY,
    user_id INTEGER UNIQUE NOT NULL REFERENCES users(id),
    bio TEXT,
    courses JSON DEFAULT '[]',
    price FLOAT DEFAULT 0.0,
    currency VARCHAR DEFAULT 'ETB',
    rating FLOAT DEFAULT 0.0,
    is_verified BOOLEAN DEFAULT FALSE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

_LEGACY_STUDENT_PROFILES = """
CREATE TABLE IF NOT EXISTS student_profiles (
    id SERIAL PRIMARY KEY,
    user_id INTEGER UNIQUE NOT NULL REFERENCES users(id),
    grade_level VARCHAR,
    school_name VARCHAR,
    subjects JSON DEFAULT '[]',
    preferred_learning_mode VARCHAR DEFAULT 'online',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

# The enrollments table has a session_frequency of its own: 0002 must leave it alone.
_LEGACY_ENROLLMENTS = """
CREATE TABLE IF NOT EXISTS tutor_student_enrollments (
    id SERIAL PRIMARY KEY,
    tutor_id INTEGER REFERENCES tutor_profiles(id),
    student_id INTEGER REFERENCES student_profiles(id),
    subjects JSON DEFAULT '[]',
    start_date DATE DEFAULT CURRENT_DATE,
    session_frequency VARCHAR,
    hourly_rate FLOAT,
    status VARCHAR DEFAULT 'active',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

_LEGACY_TUTORING_SESSIONS = """
CREATE TABLE IF NOT EXISTS tutoring_sessions (
    id SERIAL PRIMARY KEY,
    enrollment_id INTEGER REFERENCES tutor_student_enrollments(id),
    tutor_id INTEGER REFERENCES tutor_profiles(id),
    student_id INTEGER REFERENCES student_profiles(id),
    subject VARCHAR NOT NULL,
    topic VARCHAR,
    session_date DATE NOT NULL,
    start_time TIME NOT NULL,
    end_time TIME,
    duration INTEGER DEFAULT 60,
    mode VARCHAR DEFAULT 'online',
    location VARCHAR,
    meeting_link VARCHAR,
    objectives TEXT,
    topics_covered JSON DEFAULT '[]',
    materials_used JSON DEFAULT '[]',
    homework_assigned TEXT,
    status VARCHAR DEFAULT 'scheduled',
    student_attended BOOLEAN,
    tutor_attended BOOLEAN,
    tutor_notes TEXT,
    student_feedback TEXT,
    student_rating FLOAT,
    amount FLOAT,
    payment_status VARCHAR DEFAULT 'pending',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

# create_tutor_teaching_schedules_table.py: the script the baseline copies.
_TEACHING_SCHEDULES_COLUMNS = """
    id SERIAL PRIMARY KEY,
    tutor_id INTEGER NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT,
    subject VARCHAR(255) NOT NULL,
    subject_type VARCHAR(100) NOT NULL,
    grade_level VARCHAR(100) NOT NULL,
    year INTEGER NOT NULL,
    schedule_type VARCHAR(20) DEFAULT 'recurring' {schedule_type_check},
    months TEXT[] NOT NULL DEFAULT '{{}}',
    days TEXT[] NOT NULL DEFAULT '{{}}',
    specific_dates TEXT[] DEFAULT '{{}}',
    start_time TIME NOT NULL,
    end_time TIME NOT NULL,
    notes TEXT,
    status VARCHAR(20) DEFAULT 'active' {status_check},
    alarm_enabled BOOLEAN DEFAULT FALSE,
    alarm_before_minutes INTEGER,
    notification_browser BOOLEAN DEFAULT FALSE,
    notification_sound BOOLEAN DEFAULT FALSE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP,
    FOREIGN KEY (tutor_id) REFERENCES users(id) ON DELETE CASCADE
"""

_TEACHING_SCHEDULES_SCRIPT: Sequence[str] = (
    "CREATE TABLE IF NOT EXISTS tutor_teaching_schedules ("
    + _TEACHING_SCHEDULES_COLUMNS.format(
        schedule_type_check="CHECK (schedule_type IN ('recurring', 'specific'))",
        status_check="CHECK (status IN ('active', 'draft'))",
    )
    + ")",
    "CREATE INDEX IF NOT EXISTS idx_teaching_schedules_tutor_id "
    "ON tutor_teaching_schedules(tutor_id)",
    "CREATE INDEX IF NOT EXISTS idx_teaching_schedules_status ON tutor_teaching_schedules(status)",
    "CREATE INDEX IF NOT EXISTS idx_teaching_schedules_created_at "
    "ON tutor_teaching_schedules(created_at DESC)",
)

# Another of the competing scripts: same shape, its own constraint and index names.
_TEACHING_SCHEDULES_OTHER_SCRIPT: Sequence[str] = (
    "CREATE TABLE IF NOT EXISTS tutor_teaching_schedules ("
    + _TEACHING_SCHEDULES_COLUMNS.format(
        schedule_type_check="CONSTRAINT chk_schedule_type "
        "CHECK (schedule_type IN ('recurring', 'specific'))",
        status_check="CONSTRAINT chk_schedule_status CHECK (status IN ('active', 'draft'))",
    )
    + ")",
    "CREATE INDEX IF NOT EXISTS ix_tutor_teaching_schedules_tutor_id "
    "ON tutor_teaching_schedules(tutor_id)",
    "CREATE INDEX IF NOT EXISTS ix_tutor_teaching_schedules_status "
    "ON tutor_teaching_schedules(status)",
    "CREATE INDEX IF NOT EXISTS ix_tutor_teaching_schedules_created "
    "ON tutor_teaching_schedules(created_at DESC)",
)

# --- SQLAlchemy create_all of the September-2025 models --------------------------

# Exactly as SQLAlchemy 2's PostgreSQL dialect emits it: SERIAL NOT NULL and a
# table-level PRIMARY KEY, FLOAT, bare VARCHAR, JSON, TIME/TIMESTAMP WITHOUT TIME
# ZONE, FOREIGN KEY clauses, and no DEFAULT anywhere: the models' defaults are
# Python-side (Column(default=...)), applied by the ORM on INSERT.
_ORM_USERS = """
CREATE TABLE users (
    id SERIAL NOT NULL,
    first_name VARCHAR NOT NULL,
    last_name VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    phone VARCHAR,
    password_hash VARCHAR NOT NULL,
    roles JSON,
    is_active BOOLEAN,
    created_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    UNIQUE (email)
)"""

_ORM_REFRESH_TOKENS = """
CREATE TABLE refresh_tokens (
    id SERIAL NOT NULL,
    token VARCHAR NOT NULL,
    user_id INTEGER,
    expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    is_revoked BOOLEAN,
    PRIMARY KEY (id),
    UNIQUE (token),
    FOREIGN KEY(user_id) REFERENCES users (id)
)"""

_ORM_TUTOR_PROFILES = """
CREATE TABLE tutor_profiles (
    id SERIAL NOT NULL,
    user_id INTEGER NOT NULL,
    bio TEXT,
    courses JSON,
    price FLOAT,
    currency VARCHAR,
    rating FLOAT,
    is_verified BOOLEAN,
    created_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    UNIQUE (user_id),
    FOREIGN KEY(user_id) REFERENCES users (id)
)"""

_ORM_STUDENT_PROFILES = """
CREATE TABLE student_profiles (
    id SERIAL NOT NULL,
    user_id INTEGER NOT NULL,
    grade_level VARCHAR,
    school_name VARCHAR,
    subjects JSON,
    preferred_learning_mode VARCHAR,
    created_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    UNIQUE (user_id),
    FOREIGN KEY(user_id) REFERENCES users (id)
)"""

_ORM_ENROLLMENTS = """
CREATE TABLE tutor_student_enrollments (
    id SERIAL NOT NULL,
    tutor_id INTEGER,
    student_id INTEGER,
    subjects JSON,
    start_date DATE,
    session_frequency VARCHAR,
    hourly_rate FLOAT,
    status VARCHAR,
    created_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    FOREIGN KEY(tutor_id) REFERENCES tutor_profiles (id),
    FOREIGN KEY(student_id) REFERENCES student_profiles (id)
)"""

# The five scheduling columns are in the model already, with the spec's types
# and no comments; tutor_id and student_id are nullable=False there.
_ORM_TUTORING_SESSIONS = """
CREATE TABLE tutoring_sessions (
    id SERIAL NOT NULL,
    enrollment_id INTEGER,
    tutor_id INTEGER NOT NULL,
    student_id INTEGER NOT NULL,
    subject VARCHAR NOT NULL,
    topic VARCHAR,
    session_date DATE NOT NULL,
    start_time TIME WITHOUT TIME ZONE NOT NULL,
    end_time TIME WITHOUT TIME ZONE,
    duration INTEGER,
    mode VARCHAR,
    location VARCHAR,
    meeting_link VARCHAR,
    objectives TEXT,
    topics_covered JSON,
    materials_used JSON,
    homework_assigned TEXT,
    status VARCHAR,
    student_attended BOOLEAN,
    tutor_attended BOOLEAN,
    tutor_notes TEXT,
    student_feedback TEXT,
    student_rating FLOAT,
    amount FLOAT,
    payment_status VARCHAR,
    session_frequency VARCHAR(50),
    is_recurring BOOLEAN,
    recurring_pattern JSON,
    package_duration INTEGER,
    grade_level VARCHAR(50),
    created_at TIMESTAMP WITHOUT TIME ZONE,
    updated_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    FOREIGN KEY(enrollment_id) REFERENCES tutor_student_enrollments (id),
    FOREIGN KEY(tutor_id) REFERENCES tutor_profiles (id),
    FOREIGN KEY(student_id) REFERENCES student_profiles (id)
)"""

_ORM_CREATE_ALL: Sequence[str] = (
    _ORM_USERS,
    _ORM_REFRESH_TOKENS,
    _ORM_TUTOR_PROFILES,
    _ORM_STUDENT_PROFILES,
    _ORM_ENROLLMENTS,
    _ORM_TUTORING_SESSIONS,
    # id = Column(Integer, primary_key=True, index=True): redundant with the key.
    "CREATE INDEX ix_tutoring_sessions_id ON tutoring_sessions (id)",
)

# --- the three scripts for the seed's change, as they were written -------------

# run_session_migration.py: one commit per column.
_RUNNER_STEPS: Sequence[str] = (
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS session_frequency VARCHAR(50)",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS is_recurring BOOLEAN",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS recurring_pattern JSON",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS package_duration INTEGER",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS grade_level VARCHAR(50)",
)

# add_session_fields.sql, run with psql: every statement commits on its own.
_PSQL_FILE_STEPS: Sequence[str] = (
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS session_frequency VARCHAR(50)",
    "UPDATE tutoring_sessions SET session_frequency = 'one-time' WHERE session_frequency IS NULL",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS is_recurring BOOLEAN",
    "UPDATE tutoring_sessions SET is_recurring = FALSE WHERE is_recurring IS NULL",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS recurring_pattern JSON",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS package_duration INTEGER",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS grade_level VARCHAR(50)",
    "COMMENT ON COLUMN tutoring_sessions.session_frequency IS "
    "'Frequency of the session: one-time, weekly, bi-weekly, monthly'",
    "COMMENT ON COLUMN tutoring_sessions.is_recurring IS "
    "'Whether this session is part of a recurring schedule'",
    "COMMENT ON COLUMN tutoring_sessions.recurring_pattern IS "
    "'JSON pattern for recurring sessions: {days: [], months: [], specific_dates: []}'",
    "COMMENT ON COLUMN tutoring_sessions.package_duration IS "
    "'Duration in weeks/months if this session is part of a package enrollment'",
    "COMMENT ON COLUMN tutoring_sessions.grade_level IS "
    "'Grade level of the student for this tutoring session'",
)
# Where psql stopped in state 5: after is_recurring's backfill.
_PSQL_FILE_HALF = _PSQL_FILE_STEPS[:4]

# The transactional variant: one transaction, defaults, comments of its own.
_TRANSACTIONAL_STEPS: Sequence[str] = (
    "ALTER TABLE tutoring_sessions "
    "ADD COLUMN IF NOT EXISTS session_frequency VARCHAR(50) DEFAULT 'one-time'",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS is_recurring BOOLEAN DEFAULT false",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS recurring_pattern JSON",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS package_duration INTEGER",
    "ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS grade_level VARCHAR(50)",
    "COMMENT ON COLUMN tutoring_sessions.session_frequency IS "
    "'one-time | weekly | bi-weekly | monthly'",
    "COMMENT ON COLUMN tutoring_sessions.is_recurring IS 'recurring session flag'",
    "COMMENT ON COLUMN tutoring_sessions.recurring_pattern IS 'days/months/specific_dates'",
    "COMMENT ON COLUMN tutoring_sessions.package_duration IS 'package length'",
    "COMMENT ON COLUMN tutoring_sessions.grade_level IS 'student grade'",
)

# --- scripts run again after astegni-db adopted the database ---------------------

# remove_recurring_fields.py: drops three of the five columns, values and all.
_REMOVE_RECURRING_STEPS: Sequence[str] = (
    "ALTER TABLE tutoring_sessions DROP COLUMN IF EXISTS session_frequency",
    "ALTER TABLE tutoring_sessions DROP COLUMN IF EXISTS is_recurring",
    "ALTER TABLE tutoring_sessions DROP COLUMN IF EXISTS recurring_pattern",
)

# cleanup_schedule_tables.py: the sessions table under another name, two tables gone.
_CLEANUP_STEPS: Sequence[str] = (
    "ALTER TABLE tutoring_sessions RENAME TO tutor_sessions",
    "DROP TABLE tutor_teaching_schedules",
    "DROP TABLE tutor_student_enrollments CASCADE",
)

# A bookings table from another feature: its own columns, 60 rows.
_BOOKINGS = """
CREATE TABLE bookings (
    id SERIAL PRIMARY KEY,
    tutor_id INTEGER REFERENCES tutor_profiles(id),
    student_id INTEGER REFERENCES student_profiles(id),
    booking_date DATE NOT NULL,
    start_time TIME NOT NULL,
    end_time TIME,
    status VARCHAR(20) DEFAULT 'pending',
    price FLOAT,
    notes TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)"""

NEW_COLUMNS: tuple[str, ...] = (
    "session_frequency",
    "is_recurring",
    "recurring_pattern",
    "package_duration",
    "grade_level",
)

# --- rows the legacy application wrote ---------------------------------------

_SUBJECTS = ("Mathematics", "Physics", "Chemistry", "Biology", "English", "Amharic", "History")
_STATUSES = ("scheduled", "in-progress", "completed", "completed", "cancelled", "missed")
# Outside the documented set on purpose: real rows hold these spellings.
_FREQUENCIES = ("one-time", "weekly", "bi-weekly", "monthly", "Weekly", "One-time", None)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "September", "October")
_EPOCH = datetime(2024, 9, 2, 8, 0, 0)


@dataclass(frozen=True)
class Population:
    """How many rows of each kind a state gets."""

    users: int = 60
    tutors: int = 15
    students: int = 35
    enrollments: int = 50
    sessions_before: int = 200  # written before the column script ran
    sessions_after: int = 120  # written by the application afterwards
    schedules: int = 30


DEFAULT_POPULATION = Population()


def _execute_each(conn: psycopg.Connection, statements: Sequence[str]) -> None:
    """Run statements one by one; with autocommit each one commits, as psql does."""
    for statement in statements:
        conn.execute(statement)


def _create_legacy_tables(conn: psycopg.Connection, other_schedule_script: bool) -> None:
    _execute_each(
        conn,
        (
            _LEGACY_USERS,
            _LEGACY_REFRESH_TOKENS,
            _LEGACY_TUTOR_PROFILES,
            _LEGACY_STUDENT_PROFILES,
            _LEGACY_ENROLLMENTS,
            _LEGACY_TUTORING_SESSIONS,
        ),
    )
    _execute_each(
        conn,
        _TEACHING_SCHEDULES_OTHER_SCRIPT if other_schedule_script else _TEACHING_SCHEDULES_SCRIPT,
    )


def _insert_people(
    conn: psycopg.Connection, rng: random.Random, pop: Population, *, orm: bool = False
) -> None:
    """The people and schedules; with ``orm`` the columns the legacy inserts leave to
    a server default are given too, as the ORM's Python-side defaults fill them."""
    created = _EPOCH - timedelta(days=30)
    profile_defaults = ", currency, created_at" if orm else ""
    student_defaults = ", preferred_learning_mode, created_at" if orm else ""
    enrollment_defaults = ", created_at" if orm else ""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO users (first_name, last_name, email, phone, password_hash, roles,"
            " is_active, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    f"First{i}",
                    f"Last{i}",
                    f"user{i}@astegni.example",
                    rng.choice((None, f"+2519{rng.randrange(10**7, 10**8)}")),
                    f"$2b$12${rng.getrandbits(128):032x}",
                    Json(["user", "tutor"] if i <= pop.tutors else ["user", "student"]),
                    rng.random() > 0.05,
                    _EPOCH - timedelta(days=rng.randrange(400), seconds=rng.randrange(86400)),
                )
                for i in range(1, pop.users + 1)
            ],
        )
        cur.executemany(
            "INSERT INTO refresh_tokens (token, user_id, expires_at, is_revoked)"
            " VALUES (%s, %s, %s, %s)",
            [
                (f"tok-{i}-{rng.getrandbits(64):016x}", i, _EPOCH + timedelta(days=30), i % 7 == 0)
                for i in range(1, pop.users + 1, 3)
            ],
        )
        cur.executemany(
            "INSERT INTO tutor_profiles (user_id, bio, courses, price, rating, is_verified"
            f"{profile_defaults}) VALUES (%s, %s, %s, %s, %s, %s{', %s, %s' if orm else ''})",
            [
                (
                    u,
                    rng.choice(
                        (
                            None,
                            f"Tutor #{u}: {rng.choice(_SUBJECTS)} since 20{rng.randrange(10, 24)}",
                        )
                    ),
                    Json(rng.sample(_SUBJECTS, 2)),
                    round(rng.uniform(150, 900), 2),
                    round(rng.uniform(2.5, 5.0), 1),
                    rng.random() > 0.5,
                    *(("ETB", created) if orm else ()),
                )
                for u in range(1, pop.tutors + 1)
            ],
        )
        cur.executemany(
            f"INSERT INTO student_profiles (user_id, grade_level, school_name, subjects"
            f"{student_defaults}) VALUES (%s, %s, %s, %s{', %s, %s' if orm else ''})",
            [
                (
                    u,
                    f"Grade {rng.randrange(5, 13)}",
                    rng.choice((None, "Addis Ababa Secondary", "Bole Prep", "Hawassa High")),
                    Json(rng.sample(_SUBJECTS, 3)),
                    *(("online", created) if orm else ()),
                )
                for u in range(pop.tutors + 1, pop.tutors + pop.students + 1)
            ],
        )
        cur.executemany(
            "INSERT INTO tutor_student_enrollments (tutor_id, student_id, subjects, start_date,"
            f" session_frequency, hourly_rate, status{enrollment_defaults})"
            f" VALUES (%s, %s, %s, %s, %s, %s, %s{', %s' if orm else ''})",
            [
                (
                    rng.randrange(1, pop.tutors + 1),
                    rng.randrange(1, pop.students + 1),
                    Json(rng.sample(_SUBJECTS, 1)),
                    (_EPOCH - timedelta(days=rng.randrange(200))).date(),
                    rng.choice(("weekly", "Twice a week", None)),
                    round(rng.uniform(150, 900), 2),
                    rng.choice(("active", "paused", "completed")),
                    *((created,) if orm else ()),
                )
                for _ in range(pop.enrollments)
            ],
        )
        cur.executemany(
            "INSERT INTO tutor_teaching_schedules (tutor_id, title, description, subject,"
            " subject_type, grade_level, year, schedule_type, months, days, specific_dates,"
            " start_time, end_time, notes, status, alarm_enabled, alarm_before_minutes,"
            " created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [_schedule_row(rng, pop) for _ in range(pop.schedules)],
        )


def _schedule_row(rng: random.Random, pop: Population) -> tuple[Any, ...]:
    specific = rng.random() < 0.3
    start = time(rng.randrange(7, 19), rng.choice((0, 30)))
    created = _EPOCH + timedelta(days=rng.randrange(90), seconds=rng.randrange(86400))
    return (
        rng.randrange(1, pop.tutors + 1),  # a users.id, unlike tutoring_sessions.tutor_id
        f"{rng.choice(_SUBJECTS)} classes",
        rng.choice((None, "Exam preparation", "Weekly revision")),
        rng.choice(_SUBJECTS),
        rng.choice(("Academic", "Language", "Professional")),
        f"Grade {rng.randrange(5, 13)}",
        2025,
        "specific" if specific else "recurring",
        [] if specific else rng.sample(_MONTHS, 2),
        [] if specific else rng.sample(_DAYS, 2),
        [f"2025-0{rng.randrange(1, 10)}-1{rng.randrange(10)}"] if specific else [],
        start,
        time(start.hour + 2, start.minute),
        rng.choice((None, "Bring past papers")),
        rng.choice(("active", "draft")),
        rng.random() < 0.4,
        rng.choice((None, 15, 30)),
        created,
        rng.choice((None, created + timedelta(days=3))),
    )


def _session_core(rng: random.Random, pop: Population) -> dict[str, Any]:
    day = (_EPOCH + timedelta(days=rng.randrange(-120, 120))).date()
    start = time(rng.randrange(7, 20), rng.choice((0, 15, 30, 45)))
    duration = rng.choice((45, 60, 60, 90, 120))
    status = rng.choice(_STATUSES)
    done = status == "completed"
    return {
        "enrollment_id": rng.choice((None, rng.randrange(1, pop.enrollments + 1))),
        "tutor_id": rng.randrange(1, pop.tutors + 1),  # a tutor_profiles.id
        "student_id": rng.randrange(1, pop.students + 1),
        "subject": rng.choice(_SUBJECTS),
        "topic": rng.choice((None, "Quadratic equations", "Newton's laws", "Essay writing")),
        "session_date": day,
        "start_time": start,
        "end_time": rng.choice(
            (None, (datetime.combine(day, start) + timedelta(minutes=duration)).time())
        ),
        "duration": duration,
        "mode": rng.choice(("online", "in-person", "online")),
        "location": rng.choice((None, "Bole, Addis Ababa")),
        "meeting_link": rng.choice((None, f"https://meet.example/{rng.getrandbits(32):08x}")),
        "objectives": rng.choice((None, "Finish chapter 4")),
        "topics_covered": Json(rng.sample(("algebra", "vectors", "grammar", "cells"), 2)),
        "materials_used": Json([]),
        "homework_assigned": rng.choice((None, "Exercises 1-10")),
        "status": status,
        "student_attended": True if done else rng.choice((None, False)),
        "tutor_attended": True if done else None,
        "tutor_notes": rng.choice((None, "Good progress", "Needs practice ; revisit")),
        "student_feedback": rng.choice((None, "Very helpful")) if done else None,
        # Values that do not survive a float round trip through text carelessly.
        "student_rating": rng.choice((None, 4.5, 5.0, 3.7, 1 / 3)) if done else None,
        "amount": rng.choice((None, 500.0, 350.5, 0.1 + 0.2)),
        "payment_status": rng.choice(("pending", "paid", "refunded")),
        "created_at": datetime.combine(day, start) - timedelta(days=rng.randrange(1, 20)),
        "updated_at": datetime.combine(day, start) + timedelta(minutes=rng.randrange(1, 600)),
    }


def _session_new_fields(rng: random.Random, present: Sequence[str]) -> dict[str, Any]:
    """Values the application wrote into whichever of the five columns existed."""
    frequency = rng.choice(_FREQUENCIES)
    recurring = frequency not in (None, "one-time", "One-time")
    pattern = {
        "days": rng.sample(_DAYS, rng.randrange(1, 3)),
        "months": rng.sample(_MONTHS, 1),
        "specific_dates": [],
    }
    values: dict[str, Any] = {
        "session_frequency": frequency,
        "is_recurring": rng.choice((recurring, None)),
        # json keeps its text verbatim (spacing, key order): stored as typed.
        "recurring_pattern": (
            rng.choice((json.dumps(pattern), json.dumps(pattern, indent=1), None))
            if recurring
            else None
        ),
        "package_duration": rng.choice((None, 4, 8, 12)) if recurring else None,
        "grade_level": rng.choice((None, "Grade 10", "Grade 12", "KG", "University - Year 1")),
    }
    # Some inserts omit a column entirely, so a legacy DEFAULT fills it in.
    return {k: values[k] for k in present if rng.random() > 0.15}


def _insert_sessions(
    conn: psycopg.Connection,
    rng: random.Random,
    pop: Population,
    count: int,
    present: Sequence[str],
) -> None:
    with conn.transaction(), conn.cursor() as cur:
        for _ in range(count):
            row = _session_core(rng, pop) | _session_new_fields(rng, present)
            columns = ", ".join(row)
            placeholders = ", ".join(["%s"] * len(row))
            cur.execute(
                f"INSERT INTO tutoring_sessions ({columns}) VALUES ({placeholders})",
                list(row.values()),
            )


def _present_new_columns(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('tutoring_sessions')"
        " AND attnum > 0 AND NOT attisdropped AND attname = ANY(%s) ORDER BY attnum",
        (list(NEW_COLUMNS),),
    ).fetchall()
    return [r[0] for r in rows]


def _build(
    url: str,
    seed: int,
    column_script: Sequence[str],
    *,
    script_in_one_transaction: bool = False,
    other_schedule_script: bool = False,
    pop: Population = DEFAULT_POPULATION,
) -> None:
    rng = random.Random(seed)
    with psycopg.connect(url, autocommit=True) as conn:
        _create_legacy_tables(conn, other_schedule_script)
        _insert_people(conn, rng, pop)
        _insert_sessions(conn, rng, pop, pop.sessions_before, present=())
        if script_in_one_transaction:
            with conn.transaction():
                _execute_each(conn, column_script)
        else:
            _execute_each(conn, column_script)
        present = _present_new_columns(conn)
        if present:
            _insert_sessions(conn, rng, pop, pop.sessions_after, present)
        conn.execute("ANALYZE")


def build_state_0(url: str) -> None:
    """A fresh install: nothing at all."""


def build_state_1(url: str) -> None:
    """The legacy tables with rows; none of the five columns."""
    _build(url, 1, ())


def build_state_2(url: str) -> None:
    """run_session_migration.py: five ADD COLUMN IF NOT EXISTS, one commit each."""
    _build(url, 2, _RUNNER_STEPS)


def build_state_3(url: str) -> None:
    """add_session_fields.sql under psql: columns, backfill, comments of its own."""
    _build(url, 3, _PSQL_FILE_STEPS, other_schedule_script=True)


def build_state_4(url: str) -> None:
    """The transactional variant: DEFAULT 'one-time' / DEFAULT false, comments."""
    _build(url, 4, _TRANSACTIONAL_STEPS, script_in_one_transaction=True)


def build_state_5(url: str) -> None:
    """add_session_fields.sql stopped half way: session_frequency and is_recurring only."""
    _build(url, 5, _PSQL_FILE_HALF, other_schedule_script=True)


def _insert_orm_sessions(
    conn: psycopg.Connection, rng: random.Random, pop: Population, count: int
) -> None:
    """Sessions as the ORM writes them: every column, its Python defaults included
    (session_frequency 'one-time', is_recurring False), statuses 'missed' among them."""
    with conn.transaction(), conn.cursor() as cur:
        for _ in range(count):
            row = _session_core(rng, pop)
            frequency = rng.choice(_FREQUENCIES) or "one-time"
            recurring = frequency not in ("one-time", "One-time")
            row |= {
                "session_frequency": frequency,
                "is_recurring": recurring,
                "recurring_pattern": (
                    Json({"days": rng.sample(_DAYS, 2), "months": [], "specific_dates": []})
                    if recurring
                    else None
                ),
                "package_duration": rng.choice((None, 4, 12)) if recurring else None,
                "grade_level": rng.choice((None, "Grade 9", "Grade 11")),
            }
            cur.execute(
                f"INSERT INTO tutoring_sessions ({', '.join(row)})"
                f" VALUES ({', '.join(['%s'] * len(row))})",
                list(row.values()),
            )


def build_state_orm(url: str) -> None:
    """SQLAlchemy ``create_all`` of the September-2025 models, then rows the ORM wrote:
    no server defaults, tutor_id/student_id NOT NULL, the five columns present
    uncommented, ix_tutoring_sessions_id; tutor_teaching_schedules from its script."""
    rng = random.Random(7)
    pop = DEFAULT_POPULATION
    with psycopg.connect(url, autocommit=True) as conn:
        _execute_each(conn, _ORM_CREATE_ALL)
        _execute_each(conn, _TEACHING_SCHEDULES_SCRIPT)
        _insert_people(conn, rng, pop, orm=True)
        _insert_orm_sessions(conn, rng, pop, pop.sessions_before + pop.sessions_after)
        conn.execute("ANALYZE")


LEGACY_STATES: dict[str, Callable[[str], None]] = {
    "state1_no_columns": build_state_1,
    "state2_runner": build_state_2,
    "state3_psql_backfill_comments": build_state_3,
    "state4_defaults_comments": build_state_4,
    "state5_half_applied": build_state_5,
    "state6_orm_create_all": build_state_orm,
}
# Indexes a state keeps after migrate, beyond the fresh shape (name -> definition):
# the ORM's index on id is declared by the models, so no migration drops it.
EXTRA_INDEXES: dict[str, dict[str, str]] = {
    "state6_orm_create_all": {
        "ix_tutoring_sessions_id": "CREATE INDEX ix_tutoring_sessions_id"
        " ON public.tutoring_sessions USING btree (id)",
    },
}

ALL_STATES: dict[str, Callable[[str], None]] = {"state0_empty": build_state_0, **LEGACY_STATES}


def build_wrong_type_state(url: str, column: str, sql_type: str) -> None:
    """State 2, except that one column was added with another type (a fourth script)."""
    steps = [
        f"ALTER TABLE tutoring_sessions ADD COLUMN IF NOT EXISTS {column} {sql_type}"
        if f" {column} " in step
        else step
        for step in _RUNNER_STEPS
    ]
    _build(url, 6, steps)


# --- section 2 and 3: drift after adoption, and a table that needs a person ----------


def _adopted(url: str, seed_state: Callable[[str], None]) -> None:
    """A legacy state that astegni-db then adopted: every project migration applied."""
    from astegni_db import api
    from tests.helpers import MIGRATIONS_DIR

    seed_state(url)
    api.migrate(url, MIGRATIONS_DIR)


def build_post_adoption_recurring_removed(url: str) -> None:
    """State 2, migrated, then ``remove_recurring_fields.py`` run again: session_frequency,
    is_recurring and recurring_pattern dropped, their values with them (by the script)."""
    _adopted(url, build_state_2)
    with psycopg.connect(url, autocommit=True) as conn:
        _execute_each(conn, _REMOVE_RECURRING_STEPS)


def build_post_adoption_comments_rewritten(url: str) -> None:
    """State 2, migrated, then ``add_session_fields.sql`` run again with psql: its
    backfills fill the NULLs, and the five comments are back in its own words."""
    _adopted(url, build_state_2)
    with psycopg.connect(url, autocommit=True) as conn:
        _execute_each(conn, _PSQL_FILE_STEPS)


def build_post_adoption_cleanup(url: str) -> None:
    """State 2, migrated, then ``cleanup_schedule_tables.py``: tutoring_sessions renamed
    to tutor_sessions (its 320 rows, indexes and sequence go with it),
    tutor_teaching_schedules dropped, tutor_student_enrollments dropped CASCADE
    (which drops the sessions' foreign key to it)."""
    _adopted(url, build_state_2)
    with psycopg.connect(url, autocommit=True) as conn:
        _execute_each(conn, _CLEANUP_STEPS)


def build_other_shape_under_spec_name(url: str) -> None:
    """Before adoption (never migrated): the legacy tables with rows, no teaching
    schedules, and a rename script that moved the bookings table (60 rows, columns
    of its own) into the name tutor_teaching_schedules."""
    rng = random.Random(33)
    pop = dataclasses.replace(DEFAULT_POPULATION, schedules=0)
    with psycopg.connect(url, autocommit=True) as conn:
        _execute_each(
            conn,
            (
                _LEGACY_USERS,
                _LEGACY_REFRESH_TOKENS,
                _LEGACY_TUTOR_PROFILES,
                _LEGACY_STUDENT_PROFILES,
                _LEGACY_ENROLLMENTS,
                _LEGACY_TUTORING_SESSIONS,
                _BOOKINGS,
            ),
        )
        _insert_people(conn, rng, pop)  # no schedule rows: there is no such table yet
        _insert_sessions(conn, rng, pop, pop.sessions_before, present=())
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO bookings (tutor_id, student_id, booking_date, start_time, end_time,"
                " status, price, notes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        rng.randrange(1, pop.tutors + 1),
                        rng.randrange(1, pop.students + 1),
                        (_EPOCH + timedelta(days=rng.randrange(60))).date(),
                        time(rng.randrange(8, 18)),
                        rng.choice((None, time(19))),
                        rng.choice(("pending", "confirmed", "cancelled")),
                        rng.choice((None, 400.0, 650.5)),
                        rng.choice((None, "first lesson free")),
                    )
                    for _ in range(60)
                ],
            )
        conn.execute("ALTER TABLE bookings RENAME TO tutor_teaching_schedules")
        conn.execute("ANALYZE")


# Not converged by migrate (a `plan` command will): name -> builder taking a URL.
DRIFT_STATES: dict[str, Callable[[str], None]] = {
    "post_adoption_recurring_removed": build_post_adoption_recurring_removed,
    "post_adoption_comments_rewritten": build_post_adoption_comments_rewritten,
    "post_adoption_cleanup": build_post_adoption_cleanup,
    "other_shape_under_spec_name": build_other_shape_under_spec_name,
}


def add_bulk_sessions(url: str, count: int) -> None:
    """Pad tutoring_sessions with ``count`` generated rows (fast, set-based)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO tutoring_sessions (tutor_id, student_id, subject, session_date,
                                           start_time, duration, status, amount)
            SELECT 1 + g %% (SELECT count(*) FROM tutor_profiles),
                   1 + g %% (SELECT count(*) FROM student_profiles),
                   (ARRAY['Mathematics', 'Physics', 'English'])[1 + g %% 3],
                   DATE '2024-01-01' + g %% 500,
                   TIME '08:00' + (g %% 20) * INTERVAL '30 minutes',
                   60, (ARRAY['scheduled', 'completed', 'missed'])[1 + g %% 3],
                   (g %% 900)::float
            FROM generate_series(1, %s) AS g
            """,
            (count,),
        )
        conn.execute("VACUUM ANALYZE tutoring_sessions")


# --- section 4: a production database's schema (pg_dump --schema-only) --------

# The current models hold 51 tables besides the six the baseline knows, most of
# them pointing at users or a profile. refresh_tokens is one of the legacy
# tables above; these are the other 50, each with the table(s) it refers to.
PRODUCTION_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (name, refs)
    for name, refs in (
        ("blog_posts", ("users",)),
        ("blog_comments", ("users",)),
        ("notifications", ("users",)),
        ("user_settings", ("users",)),
        ("user_sessions", ("users",)),
        ("login_attempts", ("users",)),
        ("password_resets", ("users",)),
        ("email_verifications", ("users",)),
        ("otp_codes", ("users",)),
        ("wallets", ("users",)),
        ("wallet_transactions", ("users",)),
        ("payments", ("users", "student_profiles")),
        ("payouts", ("tutor_profiles",)),
        ("invoices", ("users",)),
        ("subscriptions", ("users",)),
        ("reviews", ("tutor_profiles", "student_profiles")),
        ("tutor_ratings", ("tutor_profiles", "student_profiles")),
        ("tutor_documents", ("tutor_profiles",)),
        ("tutor_certifications", ("tutor_profiles",)),
        ("tutor_experiences", ("tutor_profiles",)),
        ("tutor_subjects", ("tutor_profiles",)),
        ("tutor_packages", ("tutor_profiles",)),
        ("tutor_videos", ("tutor_profiles",)),
        ("tutor_availability", ("tutor_profiles",)),
        ("tutor_requests", ("tutor_profiles", "student_profiles")),
        ("tutor_connections", ("tutor_profiles", "student_profiles")),
        ("student_courses", ("student_profiles",)),
        ("student_documents", ("student_profiles",)),
        ("student_achievements", ("student_profiles",)),
        ("student_guardians", ("student_profiles", "users")),
        ("student_reviews", ("student_profiles", "tutor_profiles")),
        ("parent_profiles", ("users",)),
        ("advertiser_profiles", ("users",)),
        ("institute_profiles", ("users",)),
        ("courses", ("tutor_profiles",)),
        ("course_enrollments", ("student_profiles",)),
        ("assignments", ("tutor_profiles", "student_profiles")),
        ("quizzes", ("tutor_profiles",)),
        ("quiz_attempts", ("student_profiles",)),
        ("whiteboard_sessions", ("tutor_profiles", "student_profiles")),
        ("chat_conversations", ("users",)),
        ("chat_messages", ("users",)),
        ("events", ("users",)),
        ("event_registrations", ("users",)),
        ("clubs", ("users",)),
        ("club_members", ("users",)),
        ("jobs", ("users",)),
        ("job_applications", ("users",)),
        ("reports", ("users",)),
        ("audit_log", ("users",)),
    )
)


def build_production_schema(
    url: str, *, seed_columns: bool = False, missing: Sequence[str] = (), with_rows: bool = False
) -> None:
    """A production schema as `pg_dump --schema-only` carries it: the legacy tables
    (the seed's five columns added by the psql script if ``seed_columns``), and 50
    more with foreign keys, indexes and an updated_at trigger, pointing at users and
    the profiles. ``missing``: baseline tables this database never had.
    ``with_rows``: the default population in the legacy tables (legacy spellings
    such as 'Weekly' included) and 20 rows in each of the first ten others."""
    if with_rows and missing:
        raise ValueError("rows need every legacy table")
    legacy = (
        ("users", _LEGACY_USERS),
        ("refresh_tokens", _LEGACY_REFRESH_TOKENS),
        ("tutor_profiles", _LEGACY_TUTOR_PROFILES),
        ("student_profiles", _LEGACY_STUDENT_PROFILES),
        ("tutor_student_enrollments", _LEGACY_ENROLLMENTS),
        ("tutoring_sessions", _LEGACY_TUTORING_SESSIONS),
    )
    with psycopg.connect(url, autocommit=True) as conn:
        _execute_each(conn, [ddl for name, ddl in legacy if name not in missing])
        if "tutor_teaching_schedules" not in missing:
            _execute_each(conn, _TEACHING_SCHEDULES_SCRIPT)
        rng = random.Random(665)
        if with_rows:
            _insert_people(conn, rng, DEFAULT_POPULATION)
            _insert_sessions(conn, rng, DEFAULT_POPULATION, 80, present=())
        if seed_columns and "tutoring_sessions" not in missing:
            _execute_each(conn, _PSQL_FILE_STEPS)
        if with_rows:
            present = _present_new_columns(conn)
            _insert_sessions(conn, rng, DEFAULT_POPULATION, 40, present)
        conn.execute(
            "CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$"
        )
        for number, (table, refs) in enumerate(PRODUCTION_TABLES):
            keys = ", ".join(f"{ref}_id integer REFERENCES {ref} (id)" for ref in refs)
            conn.execute(
                f"CREATE TABLE {table} (id serial PRIMARY KEY, {keys}, "
                "title varchar(255), body text, payload jsonb DEFAULT '{}'::jsonb, "
                "status varchar(20) DEFAULT 'active' CHECK (status IN ('active', 'archived')), "
                "created_at timestamp DEFAULT CURRENT_TIMESTAMP, updated_at timestamp)"
            )
            conn.execute(f"CREATE INDEX idx_{table}_{refs[0]} ON {table} ({refs[0]}_id)")
            if with_rows and number < 10:
                # Ids 1..10 exist in users and both profile tables.
                conn.execute(
                    f"INSERT INTO {table} ({', '.join(f'{ref}_id' for ref in refs)}, title)"
                    f" SELECT {', '.join('1 + i % 10' for _ in refs)}, 'row ' || i"
                    " FROM generate_series(1, 20) AS i"
                )
            if number % 5 == 0:
                conn.execute(
                    f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION touch_updated_at()"
                )
        conn.execute(
            "CREATE VIEW active_tutors AS SELECT t.id, u.first_name, u.last_name "
            "FROM tutor_profiles t JOIN users u ON u.id = t.user_id WHERE u.is_active"
            if "tutor_profiles" not in missing
            else "CREATE VIEW active_users AS SELECT id FROM users WHERE is_active"
        )


def write_production_dump(
    path: str, *, seed_columns: bool = False, with_rows: bool = False
) -> None:
    """`pg_dump --schema-only` of build_production_schema, on a throwaway server
    (with ``with_rows``, a whole `pg_dump`: the rows too).

    For .ci/run:
        python -m tests.legacy_states production-dump OUT.sql [--seed-columns] [--with-rows]
    """
    import subprocess

    from astegni_db.disposable import start_server, temporary_database
    from astegni_db.settings import without_password
    from tests.helpers import find_pg_dump

    with start_server() as server, temporary_database(server, purpose="dump") as url:
        build_production_schema(url, seed_columns=seed_columns, with_rows=with_rows)
        with psycopg.connect(url) as conn:
            pg_dump = find_pg_dump(conn.info.server_version // 10000)
        if pg_dump is None:
            raise SystemExit("no pg_dump new enough: install PostgreSQL, or astegni-db[embedded]")
        safe_url, password = without_password(url)
        only_schema = [] if with_rows else ["--schema-only"]
        subprocess.run(
            [pg_dump, *only_schema, "-f", path, "-d", safe_url],
            check=True,
            env={"PGPASSWORD": password or ""},
        )


if __name__ == "__main__":
    import sys

    if len(sys.argv) < 3 or sys.argv[1] != "production-dump":
        raise SystemExit(
            "usage: python -m tests.legacy_states production-dump OUT.sql"
            " [--seed-columns] [--with-rows]"
        )
    with_rows = "--with-rows" in sys.argv[3:]
    write_production_dump(
        sys.argv[2], seed_columns="--seed-columns" in sys.argv[3:], with_rows=with_rows
    )
    print(
        f"production dump {sys.argv[2]}: {len(PRODUCTION_TABLES) + 7} tables,"
        f" {'rows included' if with_rows else 'schema only'}"
    )
