"""`astegni-db check`: migrate, verify, roll back, prove it clean, migrate and verify again,
on a throwaway PostgreSQL server; one report, one exit code, JUnit output."""

from astegni_db.check.report import FORMATS, CheckReport, Format, PhaseResult, render
from astegni_db.check.run import run_check

__all__ = ["FORMATS", "CheckReport", "Format", "PhaseResult", "render", "run_check"]
