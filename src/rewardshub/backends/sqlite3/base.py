"""Django's SQLite backend, sealing the audit chain before each COMMIT (see the package)."""

from django.db.backends.sqlite3 import base

from rewardshub.backends import SealBeforeCommit


class DatabaseWrapper(SealBeforeCommit, base.DatabaseWrapper):
    pass
