"""Drop the card lists that sessions held until they were downloaded.

Issuing a batch from Settings > Card batches used to keep each new card's
number and temporary password in the session (a database row, signed but not
encrypted) until the owner downloaded the list. The list is now the answer
of the issuing request itself; this removes whatever an older version left.
"""

from typing import Any

from django.db import migrations

PENDING = "issued_batch"


def forget_pending_lists(apps: Any, schema_editor: Any) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    for session in Session.objects.using(schema_editor.connection.alias).iterator():
        data = store.decode(session.session_data)  # {} when unreadable
        if PENDING in data:
            del data[PENDING]
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forget_pending_lists, migrations.RunPython.noop)]
