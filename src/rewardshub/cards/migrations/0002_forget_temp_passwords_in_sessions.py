"""Drop the temporary passwords that sessions held until they were shown.

Issuing a batch from Settings > Card batches used to keep each new card's
number and temporary password in the session (a database row, signed but not
encrypted) until the owner downloaded the list, and a new portal password
from a profile sat there until its page was opened. Each is now shown in the
answer of the request that issues it; this removes what an older version left.
"""

from typing import Any

from django.db import migrations

# A batch's card list; a staff-issued portal password.
PENDING = ("issued_batch", "portal_new_temp_password")


def forget_pending_lists(apps: Any, schema_editor: Any) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    for session in Session.objects.using(schema_editor.connection.alias).iterator():
        data = store.decode(session.session_data)  # {} when unreadable
        if any(name in data for name in PENDING):
            for name in PENDING:
                data.pop(name, None)
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forget_pending_lists, migrations.RunPython.noop)]
