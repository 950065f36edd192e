"""The dispatch cycle: ledger rows, next_run_at advancing, late skipping, idempotency."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from reminders.models import ReminderOccurrence, ReminderSchedule
from reminders.services import reminder_dispatch_cycle
from tests.factories import UserFactory
from tests.reminders.helpers import schedule_for, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def sends(monkeypatch):
    """Record the chunks the cycle queues instead of running them."""
    queued: list[list[int]] = []
    from reminders import tasks

    monkeypatch.setattr(
        tasks.reminders_send, "apply_async", lambda args, **kw: queued.append(list(args[0]))
    )
    return queued


def test_a_due_schedule_gets_one_ledger_row_and_advances(sends, django_capture_on_commit_callbacks):
    user = UserFactory(timezone="Europe/London")
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule = schedule_for(user, weekdays=[0, 2], at=dt.time(8, 0))
    with django_capture_on_commit_callbacks(execute=True):
        summary = reminder_dispatch_cycle(now=utc(2026, 11, 23, 8, 0, 30))
    occurrence = ReminderOccurrence.objects.get()
    assert occurrence.schedule == schedule and occurrence.user == user
    assert occurrence.due_at == utc(2026, 11, 23, 8, 0)
    assert occurrence.local_date == dt.date(2026, 11, 23)
    assert occurrence.status == "queued"
    schedule.refresh_from_db()
    assert schedule.next_run_at == utc(2026, 11, 25, 8, 0)
    assert sends == [[occurrence.id]]
    assert (summary.schedules, summary.queued, summary.tasks) == (1, 1, 1)


def test_nothing_is_due_before_the_time(sends, django_capture_on_commit_callbacks):
    user = UserFactory()
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    with django_capture_on_commit_callbacks(execute=True):
        summary = reminder_dispatch_cycle(now=utc(2026, 11, 23, 7, 59, 59))
    assert summary.schedules == 0
    assert not ReminderOccurrence.objects.exists()
    assert sends == []


def test_the_same_cycle_run_twice_records_and_queues_once(
    sends, django_capture_on_commit_callbacks
):
    users = UserFactory.create_batch(3)
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        for user in users:
            schedule_for(user, at=dt.time(8, 0))
    now = utc(2026, 11, 23, 8, 0, 5)
    with django_capture_on_commit_callbacks(execute=True):
        first = reminder_dispatch_cycle(now=now)
    with django_capture_on_commit_callbacks(execute=True):
        second = reminder_dispatch_cycle(now=now)
    assert first.queued == 3 and second.queued == 0 and second.schedules == 0
    assert ReminderOccurrence.objects.count() == 3
    assert sorted(i for chunk in sends for i in chunk) == sorted(
        ReminderOccurrence.objects.values_list("id", flat=True)
    )


def test_a_conflicting_ledger_row_is_not_queued_again(sends, django_capture_on_commit_callbacks):
    """If next_run_at is ever put back to an instant already recorded, the unique
    constraint keeps the ledger at one row and nothing is queued twice."""
    user = UserFactory()
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule = schedule_for(user, at=dt.time(8, 0))
    now = utc(2026, 11, 23, 8, 0, 5)
    with django_capture_on_commit_callbacks(execute=True):
        reminder_dispatch_cycle(now=now)
    ReminderSchedule.objects.filter(pk=schedule.pk).update(next_run_at=utc(2026, 11, 23, 8, 0))
    with django_capture_on_commit_callbacks(execute=True):
        summary = reminder_dispatch_cycle(now=now)
    assert summary.already_recorded == 1 and summary.queued == 0
    assert ReminderOccurrence.objects.count() == 1
    assert len(sends) == 1


def test_batches_and_chunks(sends, django_capture_on_commit_callbacks):
    users = UserFactory.create_batch(7)
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        for user in users:
            schedule_for(user, at=dt.time(8, 0))
    with django_capture_on_commit_callbacks(execute=True):
        summary = reminder_dispatch_cycle(now=utc(2026, 11, 23, 8, 1), batch_size=3, chunk_size=2)
    assert summary.batches == 3 and summary.schedules == 7 and summary.queued == 7
    assert [len(chunk) for chunk in sends] == [2, 1, 2, 1, 1]
    assert ReminderSchedule.objects.filter(next_run_at__lte=utc(2026, 11, 23, 8, 1)).count() == 0


def test_more_than_an_hour_late_is_recorded_as_skipped_not_sent(
    sends, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with time_machine.travel(utc(2026, 11, 20, 7, 0), tick=False):
        schedule = schedule_for(user, weekdays=range(7), at=dt.time(8, 0))
    # The system was down from Friday morning until Monday 08:30: Fri, Sat, Sun and Mon are due.
    with django_capture_on_commit_callbacks(execute=True):
        summary = reminder_dispatch_cycle(now=utc(2026, 11, 23, 8, 30))
    rows = dict(ReminderOccurrence.objects.values_list("local_date", "status"))
    assert rows == {
        dt.date(2026, 11, 20): "skipped_late",
        dt.date(2026, 11, 21): "skipped_late",
        dt.date(2026, 11, 22): "skipped_late",
        dt.date(2026, 11, 23): "queued",  # 30 minutes late: still sent
    }
    assert summary.skipped_late == 3 and summary.queued == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at == utc(2026, 11, 24, 8, 0)
    assert len(sends) == 1


def test_exactly_sixty_minutes_late_is_still_sent(sends, django_capture_on_commit_callbacks):
    user = UserFactory()
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    with django_capture_on_commit_callbacks(execute=True):
        reminder_dispatch_cycle(now=utc(2026, 11, 23, 9, 0))
    assert ReminderOccurrence.objects.get().status == "queued"


def test_dry_run_changes_and_queues_nothing(sends, django_capture_on_commit_callbacks):
    users = UserFactory.create_batch(3)
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        for user in users:
            schedule_for(user, at=dt.time(8, 0))
    with django_capture_on_commit_callbacks(execute=True):
        summary = reminder_dispatch_cycle(now=utc(2026, 11, 23, 8, 1), dry_run=True, batch_size=2)
    assert summary.dry_run and summary.schedules == 3 and summary.queued == 3
    assert not ReminderOccurrence.objects.exists()
    assert ReminderSchedule.objects.filter(next_run_at=utc(2026, 11, 23, 8, 0)).count() == 3
    assert sends == []


def test_paused_schedules_are_not_dispatched(sends, django_capture_on_commit_callbacks):
    user = UserFactory()
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule_for(user, at=dt.time(8, 0), active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_dispatch_cycle(now=utc(2026, 11, 23, 8, 1)).schedules == 0


def test_dst_gap_occurrence_is_dispatched_once_on_the_local_day(
    sends, django_capture_on_commit_callbacks
):
    user = UserFactory(timezone="Europe/London")
    with time_machine.travel(utc(2026, 3, 28, 12, 0), tick=False):
        schedule = schedule_for(user, weekdays=[6], at=dt.time(1, 30))
    assert schedule.next_run_at == utc(2026, 3, 29, 1, 0)
    for minute in range(0, 90, 1):  # every minute of the night, like beat
        with django_capture_on_commit_callbacks(execute=True):
            reminder_dispatch_cycle(now=utc(2026, 3, 29, 0, 30) + dt.timedelta(minutes=minute))
    occurrence = ReminderOccurrence.objects.get()
    assert occurrence.due_at == utc(2026, 3, 29, 1, 0)
    assert occurrence.local_date == dt.date(2026, 3, 29)


def test_dst_fold_occurrence_is_dispatched_once(sends, django_capture_on_commit_callbacks):
    user = UserFactory(timezone="America/New_York")
    with time_machine.travel(utc(2026, 10, 31, 12, 0), tick=False):
        schedule_for(user, weekdays=range(7), at=dt.time(1, 30))
    for minute in range(0, 180, 1):
        with django_capture_on_commit_callbacks(execute=True):
            reminder_dispatch_cycle(now=utc(2026, 11, 1, 4, 30) + dt.timedelta(minutes=minute))
    occurrence = ReminderOccurrence.objects.get()
    assert occurrence.due_at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, the first of the two


@pytest.mark.django_db(transaction=True)
def test_two_cycles_racing_record_each_occurrence_once(postgres_required, monkeypatch):
    """Two threads (two database connections) dispatch the same minute at once."""
    from reminders import tasks

    queued: list[int] = []
    lock = threading.Lock()

    def record(args, **options):
        with lock:
            queued.extend(args[0])

    monkeypatch.setattr(tasks.reminders_send, "apply_async", record)
    users = UserFactory.create_batch(60)
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        for user in users:
            schedule_for(user, at=dt.time(8, 0))
    barrier = threading.Barrier(2)
    summaries = []
    errors = []

    def run():
        try:
            barrier.wait(5)
            summaries.append(reminder_dispatch_cycle(now=utc(2026, 11, 23, 8, 0, 10), batch_size=7))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(s.schedules for s in summaries) == 60
    assert ReminderOccurrence.objects.count() == 60
    assert sorted(queued) == sorted(ReminderOccurrence.objects.values_list("id", flat=True))


def test_beat_has_exactly_one_dispatch_entry_every_minute_and_the_sweep(settings):
    from reminders.services import REMINDER_DISPATCH_EVERY, REMINDER_SWEEP_EVERY

    entries = settings.CELERY_BEAT_SCHEDULE.values()
    dispatch = [e for e in entries if e["task"] == "reminders.tasks.reminders_dispatch"]
    sweep = [e for e in entries if e["task"] == "reminders.tasks.reminders_sweep"]
    # The crash bound is computed from these periods: beat must run what the code assumes.
    assert len(dispatch) == 1
    assert dispatch[0]["schedule"] == REMINDER_DISPATCH_EVERY.total_seconds() == 60.0
    assert len(sweep) == 1 and sweep[0]["schedule"] == REMINDER_SWEEP_EVERY.total_seconds()
    from reminders import tasks

    assert tasks.reminders_send.acks_late and tasks.reminders_send.reject_on_worker_lost


def test_old_task_names_still_run_for_one_release():
    """Messages queued under accounts.tasks.* before the deploy still find a task."""
    from celery import current_app

    from reminders import tasks

    for name in ("reminders_dispatch", "reminders_send", "reminders_sweep"):
        assert f"reminders.tasks.{name}" in current_app.tasks
        assert f"accounts.tasks.{name}" in current_app.tasks
    assert tasks.reminders_send_old_name.acks_late and tasks.reminders_send_old_name.max_retries


# --- The broker (Redis) down ---------------------------------------------------------------


def test_broker_down_leaves_rows_queued_and_the_sweep_sends_them_later(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    """Publishing fails after one quick retry: the cycle neither raises nor hangs, the rows
    stay queued, and the sweep queues them once the broker is back."""
    from django.core import mail
    from kombu.exceptions import OperationalError

    from reminders import tasks
    from reminders.services import reminder_sweep

    user = UserFactory(timezone="Europe/London")
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    published: list[dict] = []

    def broker_down(args, **options):
        published.append(options)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.reminders_send, "apply_async", broker_down)
    due = utc(2026, 11, 23, 8, 0, 30)
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=True):
        summary = reminder_dispatch_cycle(now=due)
    assert summary.queued == 1
    # One publish attempt, with a short retry policy, so the cycle does not hang.
    assert len(published) == 1 and published[0]["retry"] is True
    assert published[0]["retry_policy"]["max_retries"] == 1
    assert "stay queued for the sweep" in caplog.text
    occurrence = ReminderOccurrence.objects.get()
    assert occurrence.status == "queued" and mail.outbox == []

    monkeypatch.undo()  # the broker is back (eager Celery in the tests)
    later = due + dt.timedelta(minutes=6)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminder_sweep() == [occurrence.id]
    occurrence.refresh_from_db()
    assert occurrence.status == "sent"
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_broker_down_for_the_sweep_too_changes_nothing(
    monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from reminders import tasks
    from reminders.services import reminder_sweep

    user = UserFactory()
    with time_machine.travel(utc(2026, 11, 23, 7, 0), tick=False):
        schedule_for(user, weekdays=[0], at=dt.time(8, 0))

    def broker_down(args, **options):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.reminders_send, "apply_async", broker_down)
    due = utc(2026, 11, 23, 8, 0, 30)
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminder_dispatch_cycle(now=due)
    later = due + dt.timedelta(minutes=6)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert len(reminder_sweep(now=later)) == 1  # offered again, still unpublishable
    occurrence = ReminderOccurrence.objects.get()
    assert occurrence.status == "queued" and occurrence.updated_at == later  # next sweep: again


# --- A killed worker: its reminders go out within five minutes of being due ---------------


@pytest.mark.parametrize("lost", ["claimed", "reserved"])
@pytest.mark.parametrize("sweep_phase", [0, 29, 59])
def test_a_dead_workers_reminder_is_sent_within_the_crash_bound_of_being_due(
    sends, django_capture_on_commit_callbacks, lost, sweep_phase
):
    """Worst case: the dispatch tick comes a full period after the due instant, a worker
    takes the task at once and dies, either after claiming the row ('claimed': it stays
    'sending') or before (its reserved task is lost: the row stays 'queued'); nobody waits
    for the broker's redelivery. The sweep ticks every minute at any phase; the re-queued
    row is sent by a living worker within REMINDER_CRASH_DELIVERY_BOUND of being due, with
    a minute to spare for the worker to pick the task up."""
    from reminders.services import (
        REMINDER_CRASH_DELIVERY_BOUND,
        REMINDER_DISPATCH_EVERY,
        REMINDER_SWEEP_EVERY,
        reminder_occurrences_send,
        reminder_sweep,
    )
    from reminders.services.sending import _occurrences_claim

    user = UserFactory(timezone="UTC")
    due = utc(2026, 11, 23, 8, 0)
    with time_machine.travel(due - dt.timedelta(hours=1), tick=False):
        schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    dispatched = due + REMINDER_DISPATCH_EVERY
    with (
        time_machine.travel(dispatched, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reminder_dispatch_cycle(now=dispatched)
    row_id = ReminderOccurrence.objects.get().id
    assert sends == [[row_id]]
    if lost == "claimed":
        with time_machine.travel(dispatched, tick=False):
            assert _occurrences_claim(ids=[row_id], now=dispatched) == [row_id]  # then SIGKILL
    sends.clear()

    tick = dispatched + dt.timedelta(seconds=sweep_phase)
    for _ in range(10):
        with (
            time_machine.travel(tick, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            if reminder_sweep(now=tick):
                break
        tick += REMINDER_SWEEP_EVERY
    assert sends == [[row_id]], "the sweep never re-queued the dead worker's row"
    assert tick - due <= REMINDER_CRASH_DELIVERY_BOUND - dt.timedelta(minutes=1)
    with time_machine.travel(tick, tick=False):
        summary = reminder_occurrences_send(occurrence_ids=[row_id])
    assert summary.sent == [row_id]
    from django.core import mail

    assert [m.extra_headers["X-Kneadful-Reminder"] for m in mail.outbox] == [str(row_id)]


def test_the_sweep_leaves_a_living_senders_rows_alone(sends, django_capture_on_commit_callbacks):
    """A living sender renews every REMINDER_CLAIM_RENEW_SECONDS; between two renewals it
    sends one message (each SMTP step bounded by EMAIL_TIMEOUT) and may wait out a database
    restart to record it. All of that stays inside REMINDER_STALE_SENDING, so the sweep
    cannot hand its rows to a second sender (which would send them twice)."""
    from django.conf import settings

    from reminders.services import (
        REMINDER_CLAIM_RENEW_SECONDS,
        REMINDER_STALE_SENDING,
        reminder_sweep,
    )
    from reminders.services.sending import (
        REMINDER_MARK_SENT_PATIENCE_SECONDS,
        _claim_renew,
        _occurrences_claim,
    )

    # connect, MAIL, RCPT, DATA and the message's end: each may take EMAIL_TIMEOUT
    longest_silence = (
        REMINDER_CLAIM_RENEW_SECONDS
        + 5 * settings.EMAIL_TIMEOUT
        + REMINDER_MARK_SENT_PATIENCE_SECONDS
    )
    assert longest_silence < REMINDER_STALE_SENDING.total_seconds()

    user = UserFactory()
    due = utc(2026, 11, 23, 8, 0)
    with time_machine.travel(due - dt.timedelta(hours=1), tick=False):
        schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    with django_capture_on_commit_callbacks(execute=True):
        reminder_dispatch_cycle(now=due)
    row_id = ReminderOccurrence.objects.get().id
    claim = due
    with time_machine.travel(due, tick=False):
        _occurrences_claim(ids=[row_id], now=due)
    sends.clear()
    # The sender stays silent as long as it can, renews, and so on for ten minutes.
    silence = dt.timedelta(seconds=longest_silence)
    while claim < due + dt.timedelta(minutes=10):
        with time_machine.travel(claim + silence, tick=False):
            assert reminder_sweep(now=claim + silence) == []
            fresh = claim + silence
            assert _claim_renew(ids=[row_id], claim=claim, now=fresh) == {row_id}
            claim = fresh
    assert sends == []
    # Silent past the threshold: now it is presumed dead and its row is offered again.
    late = claim + REMINDER_STALE_SENDING + dt.timedelta(seconds=1)
    with time_machine.travel(late, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminder_sweep(now=late) == [row_id]
