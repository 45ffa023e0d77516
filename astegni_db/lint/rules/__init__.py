"""The lint rules, one module each; RULES is the order they are documented and run in."""

from astegni_db.lint.rules import (
    constraint_not_valid,
    detach_partition,
    drop_index,
    index_concurrently,
    lock_timeout,
    long_blocking_lock,
    non_transactional,
    not_null,
    read_objects,
    reindex,
    rerunnable,
    rollback_file,
    syntax_error,
    transaction_control,
    truncate,
    type_change,
    validate_same_migration,
    volatile_default,
)
from astegni_db.lint.rules.base import Hit, Rule

RULES: tuple[Rule, ...] = (
    syntax_error.RULE,
    volatile_default.RULE,
    constraint_not_valid.RULE,
    validate_same_migration.RULE,
    index_concurrently.RULE,
    non_transactional.RULE,
    not_null.RULE,
    type_change.RULE,
    read_objects.RENAME_RULE,
    read_objects.DROP_RULE,
    rollback_file.RULE,
    lock_timeout.RULE,
    rerunnable.RULE,
    drop_index.RULE,
    reindex.RULE,
    detach_partition.RULE,
    transaction_control.RULE,
    long_blocking_lock.RULE,
    truncate.RULE,
)
RULES_BY_ID = {rule.id: rule for rule in RULES}

__all__ = ["RULES", "RULES_BY_ID", "Hit", "Rule"]
