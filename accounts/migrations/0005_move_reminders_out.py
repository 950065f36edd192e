"""Reminders move to their own app: ReminderSchedule and ReminderOccurrence leave accounts.

STATE ONLY: nothing happens in the database. The tables keep their names
(``accounts_reminderschedule``, ``accounts_reminderoccurrence``), their rows, indexes and
constraints; ``reminders/migrations/0001_initial.py`` takes the same two models into the
reminders app's state with ``db_table`` set to those names. Reversing puts them back in
accounts' state, again without touching a row.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_api_tokens"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # The ledger first: it points at the schedule.
                migrations.DeleteModel(name="ReminderOccurrence"),
                migrations.DeleteModel(name="ReminderSchedule"),
            ],
            database_operations=[],
        ),
    ]
