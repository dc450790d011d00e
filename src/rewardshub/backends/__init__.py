"""The hub's database backends: Django's own, sealing the audit chain before each COMMIT.

Django has no hook between a transaction's last statement and its COMMIT,
and sealing there is what lets one commit carry an action and the links of
its audit events (audit/chain.py says why that matters on each database).
Nothing else differs from Django's SQLite and PostgreSQL backends; settings.py
picks the one that matches DATABASE_URL.
"""

from __future__ import annotations

from typing import Any


class SealBeforeCommit:
    """Mixed into a DatabaseWrapper: seal the transaction's audit events, then commit."""

    def commit(self) -> None:
        # Imported here: a backend loads before the apps, the chain needs their models.
        from rewardshub.audit.chain import seal_before_commit

        wrapper: Any = self
        wrapper.validate_no_atomic_block()
        seal_before_commit(wrapper)
        super().commit()  # type: ignore[misc]
