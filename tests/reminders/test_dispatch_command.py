"""manage.py dispatch_reminders: one synchronous cycle through the same service."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from reminders.models import ReminderOccurrence
from tests.factories import UserFactory
from tests.reminders.helpers import schedule_for, utc

pytestmark = pytest.mark.django_db(transaction=True)  # so on_commit sends really run


@pytest.fixture
def two_schedules():
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        return [schedule_for(UserFactory(), weekdays=[0], at=dt.time(8, 0)) for _ in range(2)]


def run(*args):
    out = StringIO()
    call_command("dispatch_reminders", *args, stdout=out)
    return out.getvalue()


def test_at_evaluates_due_ness_at_that_instant_and_sends(two_schedules):
    assert "0 due schedule(s)" in run("--at", "2026-11-23T07:59:00Z")
    with time_machine.travel(utc(2026, 11, 23, 8, 0, 30), tick=False):
        output = run("--at", "2026-11-23T09:00:30+01:00")
    assert "2 due schedule(s)" in output and "queued 2 reminder(s)" in output
    assert len(mail.outbox) == 2
    assert set(ReminderOccurrence.objects.values_list("status", flat=True)) == {"sent"}


def test_dry_run_changes_nothing(two_schedules):
    output = run("--at", "2026-11-23T08:00:00Z", "--dry-run")
    assert output.startswith("[dry run]") and "would queue 2 reminder(s)" in output
    assert not ReminderOccurrence.objects.exists()
    assert mail.outbox == []


def test_sweep_option_requeues_stale_rows(two_schedules):
    with time_machine.travel(utc(2026, 11, 23, 8, 0, 30), tick=False):
        run("--at", "2026-11-23T08:00:30Z")
    mail.outbox.clear()
    row = ReminderOccurrence.objects.order_by("id").first()
    # A worker died after claiming this row: it is 'sending' since 20 minutes.
    ReminderOccurrence.objects.filter(pk=row.pk).update(
        status="sending", sent_at=None, claimed_at=utc(2026, 11, 23, 8, 0, 40)
    )
    with time_machine.travel(utc(2026, 11, 23, 8, 20, 41), tick=False):
        output = run("--sweep")
    assert "re-queued 1" in output
    assert [m.to[0] for m in mail.outbox] == [row.user.email]
    row.refresh_from_db()
    assert row.status == "sent"


@pytest.mark.parametrize(
    ("value", "message"),
    [("tomorrow", "not an ISO 8601 instant"), ("2026-11-23T08:00", "no offset")],
)
def test_bad_at_is_a_clear_error(value, message):
    with pytest.raises(CommandError, match=message):
        run("--at", value)


def test_each_due_schedule_gets_a_plain_line_saying_what_happens():
    """A schedule a day behind: yesterday's reminder is skipped as late, today's is sent."""
    user = UserFactory(timezone="Europe/London")
    with time_machine.travel(utc(2026, 11, 22, 7, 0), tick=False):
        schedule = schedule_for(user, weekdays=[6, 0], at=dt.time(8, 0))  # Sun and Mon
    output = run("--at", "2026-11-23T08:00:30Z", "--dry-run")
    totals, line = output.splitlines()
    assert "would queue 1 reminder(s)" in totals
    assert "1 missed reminder(s) would be recorded as skipped, not sent" in totals
    assert line.strip() == (
        f"schedule {schedule.pk} (member {user.pk}, Europe/London): would send the reminder "
        "of Mon 23 Nov 08:00; would skip Sun 22 Nov 08:00: more than an hour late, not sent; "
        "next reminder Sun 29 Nov 08:00."
    )
    with time_machine.travel(utc(2026, 11, 23, 8, 0, 30), tick=False):
        output = run("--at", "2026-11-23T08:00:30Z")
    assert "sends the reminder of Mon 23 Nov 08:00; skipped Sun 22 Nov 08:00" in output
    assert [m.to for m in mail.outbox] == [[user.email]]
