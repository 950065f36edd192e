"""Sending reminders: once per occurrence, to allowed recipients only, with both parts."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from accounts.services import email_suppress, email_unsubscribe
from reminders.models import ReminderOccurrence
from reminders.services import reminder_dispatch_cycle, reminder_occurrences_send
from reminders.tasks import reminders_send
from tests import servers
from tests.factories import RoutineFactory, SessionLogFactory, UserFactory
from tests.reminders.helpers import schedule_for, utc

pytestmark = pytest.mark.django_db

DUE = utc(2026, 11, 23, 8, 0)  # a Monday


def dispatch(capture, now=DUE + dt.timedelta(seconds=20)):
    with capture(execute=True):
        return reminder_dispatch_cycle(now=now)


@pytest.fixture
def due_schedule():
    def make(user=None, **kwargs):
        user = user or UserFactory(timezone="Europe/London", display_name="Ada")
        with time_machine.travel(DUE - dt.timedelta(hours=1), tick=False):
            return schedule_for(user, weekdays=[0], at=dt.time(8, 0), **kwargs)

    return make


def test_the_reminder_is_sent_once_with_headers_and_both_alternatives(
    due_schedule, django_capture_on_commit_callbacks
):
    routine = RoutineFactory(title="Hand reset")
    schedule = due_schedule(routine=routine)
    with time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False):
        dispatch(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [schedule.user.email]
    assert "Hand reset" in message.subject
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://testserver/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    occurrence = ReminderOccurrence.objects.get()
    for part in (message.body, html):
        assert "/me/reminders/done/" in part and "/me/reminders/rest/" in part
        assert "Monday 23 November" in part
    assert occurrence.status == "sent" and occurrence.attempts == 1
    assert occurrence.sent_at == DUE + dt.timedelta(seconds=20)


def test_the_preview_text_names_the_routine_and_its_series_not_other_body_parts(
    due_schedule, django_capture_on_commit_callbacks
):
    from tests.factories import SeriesFactory

    routine = RoutineFactory(title="Hand reset", series=SeriesFactory(title="Hands: release"))
    due_schedule(routine=routine)
    with time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False):
        dispatch(django_capture_on_commit_callbacks)
    html = mail.outbox[0].alternatives[0][0]
    preheader = html.split('overflow:hidden;">', 1)[1].split("</div>", 1)[0]
    assert preheader == "Hand reset (Hands: release): a few calm minutes for you."
    assert "feet" not in html


def test_a_send_task_delivered_twice_sends_one_email(
    due_schedule, django_capture_on_commit_callbacks, monkeypatch
):
    due_schedule()
    from reminders import tasks

    monkeypatch.setattr(tasks.reminders_send, "apply_async", lambda args, **kw: None)  # no queue
    with time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False):
        dispatch(django_capture_on_commit_callbacks)
        ids = list(ReminderOccurrence.objects.values_list("id", flat=True))
        reminders_send.apply(args=[ids])
        reminders_send.apply(args=[ids])  # the broker redelivered it
    assert len(mail.outbox) == 1
    assert ReminderOccurrence.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_chunk_send_each_once(postgres_required):
    users = UserFactory.create_batch(20)
    with time_machine.travel(DUE - dt.timedelta(hours=1), tick=False):
        for user in users:
            schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    reminder_dispatch_cycle(now=DUE, chunk_size=1000)  # transaction=True: sends ran eagerly
    mail.outbox.clear()
    ReminderOccurrence.objects.update(status="queued", attempts=0, sent_at=None)
    ids = list(ReminderOccurrence.objects.values_list("id", flat=True))
    barrier = threading.Barrier(2)

    def work():
        try:
            barrier.wait(5)
            reminder_occurrences_send(occurrence_ids=ids, now=DUE + dt.timedelta(seconds=30))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert set(ReminderOccurrence.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_the_database_restarting_after_a_250_does_not_send_the_reminder_twice(
    postgres_required, monkeypatch
):
    """The server accepted the message, then the database connection died (a PostgreSQL
    restart): the sender reconnects and records 'sent' instead of leaving the row to the
    sweep, which would send it again."""
    from django.db import connections

    from wellness import emails

    users = UserFactory.create_batch(2)
    with time_machine.travel(DUE - dt.timedelta(hours=1), tick=False):
        for user in users:
            schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    from reminders.services import dispatch as dispatch_service

    monkeypatch.setattr(dispatch_service, "_enqueue_sends", lambda ids, size: 0)
    reminder_dispatch_cycle(now=DUE)
    ids = sorted(ReminderOccurrence.objects.values_list("id", flat=True))
    real_send = emails.email_send_batch
    terminated: list[int] = []

    def accepted_then_database_restarts(messages, connection=None):
        outcomes = real_send(messages, connection=connection)
        if not terminated:  # the first 250, then every backend of this test's database dies
            pid = connections["default"].connection.info.backend_pid
            with connections["default"].copy().cursor() as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            terminated.append(pid)
        return outcomes

    monkeypatch.setattr(emails, "email_send_batch", accepted_then_database_restarts)
    summary = reminder_occurrences_send(occurrence_ids=ids, now=DUE + dt.timedelta(seconds=30))
    assert terminated and summary.sent == ids
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert set(ReminderOccurrence.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize("who", ["unverified", "unsubscribed", "inactive", "suppressed"])
def test_members_who_may_not_get_reminders_get_nothing(
    who, due_schedule, django_capture_on_commit_callbacks
):
    user = UserFactory(verified=(who != "unverified"), is_active=(who != "inactive"))
    if who == "unsubscribed":
        email_unsubscribe(user=user, category="reminders")
    if who == "suppressed":
        email_suppress(address=user.email.upper())
    due_schedule(user=user)
    with time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False):
        dispatch(django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert ReminderOccurrence.objects.get().status == "skipped_not_allowed"


def test_skip_if_practised_today_judged_on_the_local_date(
    due_schedule, django_capture_on_commit_callbacks
):
    # Tokyo: Monday 08:00 JST is Sunday 23:00 UTC. A session at 07:00 JST Monday (22:00
    # UTC Sunday) is on Monday locally: that skips. One on Sunday evening JST would not.
    user = UserFactory(timezone="Asia/Tokyo")
    with time_machine.travel(utc(2026, 11, 22, 12, 0), tick=False):
        schedule = schedule_for(user, weekdays=[0], at=dt.time(8, 0), skip_if_practised=True)
    assert schedule.next_run_at == utc(2026, 11, 22, 23, 0)
    SessionLogFactory(user=user, started_at=utc(2026, 11, 21, 12, 0))  # Saturday JST
    with time_machine.travel(utc(2026, 11, 22, 23, 0, 20), tick=False):
        dispatch(django_capture_on_commit_callbacks, now=utc(2026, 11, 22, 23, 0, 20))
    assert len(mail.outbox) == 1  # practised on another day: sent

    SessionLogFactory(user=user, started_at=utc(2026, 11, 29, 22, 0))  # Monday 07:00 JST
    with time_machine.travel(utc(2026, 11, 29, 23, 0, 20), tick=False):
        dispatch(django_capture_on_commit_callbacks, now=utc(2026, 11, 29, 23, 0, 20))
    assert len(mail.outbox) == 1
    latest = ReminderOccurrence.objects.order_by("-due_at").first()
    assert latest.local_date == dt.date(2026, 11, 30)
    assert latest.status == "skipped_practised"


def test_practised_today_without_the_option_still_sends(
    due_schedule, django_capture_on_commit_callbacks
):
    schedule = due_schedule()
    SessionLogFactory(user=schedule.user, started_at=DUE - dt.timedelta(minutes=30))
    with time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False):
        dispatch(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_a_task_that_runs_over_an_hour_late_skips_instead_of_sending(
    due_schedule, django_capture_on_commit_callbacks, monkeypatch
):
    due_schedule()
    from reminders import tasks

    monkeypatch.setattr(tasks.reminders_send, "apply_async", lambda args, **kw: None)
    dispatch(django_capture_on_commit_callbacks)
    ids = list(ReminderOccurrence.objects.values_list("id", flat=True))
    with time_machine.travel(DUE + dt.timedelta(minutes=61), tick=False):
        reminders_send.apply(args=[ids])  # the queue was backed up
    assert mail.outbox == []
    assert ReminderOccurrence.objects.get().status == "skipped_late"


class FlakySink:
    """An SMTP server that answers 451 to the first message, then accepts."""

    def __init__(self) -> None:
        self.calls = 0
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.calls += 1
        if self.calls == 1:
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope.content)
        return "250 OK"


def test_smtp_451_is_retried_and_the_reminder_sent_once(
    due_schedule, django_capture_on_commit_callbacks, settings, monkeypatch
):
    from reminders import tasks

    chunks: list[list[int]] = []
    monkeypatch.setattr(
        tasks.reminders_send, "apply_async", lambda args, **kw: chunks.append(args[0])
    )
    sink = FlakySink()
    with servers.smtp_sink(sink) as (port, _):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        due_schedule()
        with time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False):
            dispatch(django_capture_on_commit_callbacks)
            # Eager Celery runs the retry (with only the transient rows) synchronously
            # when the first run does not propagate its Retry.
            result = tasks.reminders_send.apply(args=chunks, throw=False)
    occurrence = ReminderOccurrence.objects.get()
    assert result.result == {"sent": 1, "retry": 0, "failed": 0, "skipped": 0}
    assert (occurrence.status, occurrence.last_error, sink.calls) == ("sent", "", 2)
    assert len(sink.accepted) == 1
    assert occurrence.attempts == 2
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in sink.accepted[0]


def test_smtp_550_fails_the_row_without_retry(
    due_schedule, django_capture_on_commit_callbacks, settings
):
    class Refuse:
        calls = 0

        async def handle_RCPT(self, server, session, envelope, address, options):
            Refuse.calls += 1
            return "550 5.1.1 No such user"

    with servers.smtp_sink(Refuse()) as (port, _):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        schedule = due_schedule()
        with time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False):
            dispatch(django_capture_on_commit_callbacks)
    occurrence = ReminderOccurrence.objects.get()
    assert occurrence.status == "failed" and "550" in occurrence.last_error
    assert Refuse.calls == 1
    from accounts.models import EmailSuppression

    assert EmailSuppression.objects.filter(address__iexact=schedule.user.email).exists()


def test_a_slow_sender_renews_its_claim_and_skips_rows_the_sweep_gave_away(
    django_capture_on_commit_callbacks, monkeypatch
):
    """If a row is swept and re-claimed by another sender while this one is still busy,
    this one does not send it too."""
    from reminders.services import dispatch as dispatch_service
    from reminders.services import sending
    from wellness import emails

    users = UserFactory.create_batch(3)
    with time_machine.travel(DUE - dt.timedelta(hours=1), tick=False):
        for user in users:
            schedule_for(user, weekdays=[0], at=dt.time(8, 0))
    monkeypatch.setattr(dispatch_service, "_enqueue_sends", lambda ids, size: 0)
    dispatch(django_capture_on_commit_callbacks)
    ids = sorted(ReminderOccurrence.objects.values_list("id", flat=True))
    monkeypatch.setattr(sending, "REMINDER_CLAIM_RENEW_SECONDS", -1.0)  # renew every message
    real_send = emails.email_send_batch

    def send_then_lose_the_rest(messages, connection=None):
        outcomes = real_send(messages, connection=connection)
        # Meanwhile the sweep re-queued the other rows and another worker claimed them.
        ReminderOccurrence.objects.filter(id__in=ids[1:]).update(
            claimed_at=DUE + dt.timedelta(minutes=30)
        )
        return outcomes

    monkeypatch.setattr(emails, "email_send_batch", send_then_lose_the_rest)
    with time_machine.travel(DUE + dt.timedelta(seconds=30), tick=False):
        summary = sending.reminder_occurrences_send(occurrence_ids=ids)
    assert summary.sent == ids[:1] and summary.not_claimed == ids[1:]
    assert len(mail.outbox) == 1
    assert list(ReminderOccurrence.objects.order_by("id").values_list("status", flat=True)) == [
        "sent",
        "sending",
        "sending",
    ]


def test_chunk_rendering_gives_each_member_the_per_message_email(
    due_schedule, django_capture_on_commit_callbacks, caplog
):
    """Reminders rendered once per shared context carry exactly what rendering each one
    alone gives: names (escaped in HTML), signed links, subject and headers."""
    from accounts.emails import Category
    from reminders.selectors import reminder_default_routine
    from reminders.services import REMINDER_EMAIL_TEMPLATE, reminder_email_context
    from wellness import emails

    routine = RoutineFactory(title="Hand <reset> & rest")
    names = ['<script>alert("x")</script>', "Zoë  O'Brien", ""]
    for name in names:
        due_schedule(user=UserFactory(timezone="Europe/London", display_name=name), routine=routine)
    due_schedule(user=UserFactory(timezone="Europe/London", display_name="No routine"))
    with time_machine.travel(DUE + dt.timedelta(seconds=20), tick=False):
        dispatch(django_capture_on_commit_callbacks)
        assert len(mail.outbox) == 4
        for message in mail.outbox:
            occurrence = ReminderOccurrence.objects.select_related("user", "schedule").get(
                pk=int(message.extra_headers["X-Kneadful-Reminder"])
            )
            if occurrence.routine_id is None:
                # The schedule names none: the sender suggests the library's first.
                occurrence.routine = reminder_default_routine()
            alone = emails.email_message_build(
                user=occurrence.user,
                template=REMINDER_EMAIL_TEMPLATE,
                context=reminder_email_context(occurrence=occurrence),
                category=Category.REMINDERS,
            )
            assert message.subject == alone.subject
            assert message.body == alone.body
            assert message.alternatives == alone.alternatives
            headers = {**alone.extra_headers, "X-Kneadful-Reminder": str(occurrence.pk)}
            assert message.extra_headers == headers
    html = next(m for m in mail.outbox if "script" in m.body).alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "cannot substitute" not in caplog.text  # the shared rendering was used
