"""Django's PostgreSQL backend, sealing the audit chain before each COMMIT (see the package)."""

from django.db.backends.postgresql import base

from rewardshub.backends import SealBeforeCommit


class DatabaseWrapper(SealBeforeCommit, base.DatabaseWrapper):
    pass
