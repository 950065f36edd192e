"""Moving the reminder models from accounts to reminders keeps every row.

The database is taken back to the state before the move (accounts 0003, no reminders
app), rows are written with the models of that state, and it is migrated forward (and
back, and forward again) with Django's ``MigrationExecutor``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0003_reminders"), ("reminders", None)]
AFTER = [("accounts", "0005_move_reminders_out"), ("reminders", "0001_initial")]
DUE = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    at = [(app, name) for app, name in targets if name is not None]  # (app, None): unapplied
    return MigrationExecutor(connection).loader.project_state(at).apps


@pytest.fixture
def at_the_old_state():
    apps = migrate(BEFORE)
    try:
        yield apps
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_rows_written_before_the_move_are_there_after_it(at_the_old_state):
    old = at_the_old_state
    user = old.get_model("accounts", "User").objects.create(email="ada@example.com")
    content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="accounts", model="reminderschedule"
    )[0]
    schedule = old.get_model("accounts", "ReminderSchedule").objects.create(
        user_id=user.pk,
        weekdays=[0, 2],
        local_time=dt.time(8, 0),
        timezone="Europe/London",
        next_run_at=DUE,
    )
    occurrence = old.get_model("accounts", "ReminderOccurrence").objects.create(
        schedule_id=schedule.pk,
        user_id=user.pk,
        due_at=DUE - dt.timedelta(days=7),
        local_date=dt.date(2026, 11, 16),
        status="sent",
        action="rest",
    )

    new = migrate(AFTER)
    moved = new.get_model("reminders", "ReminderSchedule").objects.get(pk=schedule.pk)
    assert (moved.user_id, moved.weekdays, moved.next_run_at) == (user.pk, [0, 2], DUE)
    ledger = new.get_model("reminders", "ReminderOccurrence").objects.get(pk=occurrence.pk)
    assert (ledger.schedule_id, ledger.status, ledger.action) == (schedule.pk, "sent", "rest")
    # Staff permissions and admin history follow the model.
    content_type.refresh_from_db()
    assert content_type.app_label == "reminders"

    # The models of the code agree with the migrated state, and a new row gets a fresh id.
    from reminders.models import ReminderOccurrence, ReminderSchedule

    assert ReminderSchedule._meta.db_table == "accounts_reminderschedule"
    assert ReminderOccurrence.objects.get(pk=occurrence.pk).schedule.pk == schedule.pk
    ReminderOccurrence.objects.create(
        schedule_id=schedule.pk, user_id=user.pk, due_at=DUE, local_date=dt.date(2026, 11, 23)
    )
    assert ReminderOccurrence.objects.count() == 2

    back = migrate(BEFORE)  # reversible, without touching a row either
    assert back.get_model("accounts", "ReminderOccurrence").objects.count() == 2
    content_type.refresh_from_db()
    assert content_type.app_label == "accounts"
