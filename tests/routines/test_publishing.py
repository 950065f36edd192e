"""A series' status workflow (routines.services.publishing) and the periodic task."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from routines.events import series_published
from routines.models import AuditEntry, Series
from routines.selectors import (
    routines_for_logging,
    series_publication_problems,
    series_search,
    session_logs_for,
)
from routines.services import (
    series_publish,
    series_publish_at,
    series_publish_due,
    series_schedule,
    series_unpublish,
    series_unschedule,
)
from tests.factories import RoutineFactory, SeriesFactory, SessionLogFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = dt.UTC


@pytest.fixture
def events():
    received: list[int] = []

    def receiver(sender, series_id, **kwargs):
        received.append(series_id)

    series_published.connect(receiver, dispatch_uid="test-publishing-events")
    yield received
    series_published.disconnect(dispatch_uid="test-publishing-events")


def _ready_draft(**fields) -> Series:
    series = SeriesFactory(status=Series.Status.DRAFT, **fields)
    RoutineFactory(series=series, steps=2)
    return series


# --- No empty series ----------------------------------------------------------------------------


def test_an_empty_series_cannot_go_live_and_the_editor_is_told_what_is_missing(editor_user):
    series = SeriesFactory(status=Series.Status.DRAFT)
    with pytest.raises(ValidationError) as caught:
        series_publish(series=series, actor=editor_user)
    assert caught.value.messages == [
        "Add at least one routine with at least one step: this series has none yet."
    ]
    RoutineFactory(series=series, title="Warm up", steps=0)
    assert series_publication_problems(series=series) == [
        "Add at least one step to “Warm up”: no routine of this series has a step yet."
    ]
    later = dt.datetime.now(UTC) + dt.timedelta(days=1)
    with pytest.raises(ValidationError):
        series_schedule(series=series, publish_at=later, actor=editor_user)
    series.refresh_from_db()
    assert series.status == Series.Status.DRAFT and series.published_at is None
    assert not AuditEntry.objects.filter(series=series).exists()


# --- Publish, twice, unpublish, again ------------------------------------------------------------


def test_publishing_twice_is_one_event_and_published_at_is_set_once(
    editor_user, events, django_capture_on_commit_callbacks
):
    series = _ready_draft()
    with django_capture_on_commit_callbacks(execute=True):
        first = series_publish(series=series, actor=editor_user)
    with django_capture_on_commit_callbacks(execute=True):
        again = series_publish(series=series, actor=editor_user)
    assert events == [series.pk]
    assert again.published_at == first.published_at is not None
    assert AuditEntry.objects.filter(series=series, action="publish").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        hidden = series_unpublish(series=series, actor=editor_user)
        series_unpublish(series=series, actor=editor_user)  # again: nothing more
        shown = series_publish(series=series, actor=editor_user)
    assert hidden.status == Series.Status.UNPUBLISHED
    assert shown.published_at == first.published_at  # still the first time it went live
    assert events == [series.pk]  # not announced twice
    actions = list(AuditEntry.objects.filter(series=series).order_by("pk").values_list("action"))
    assert actions == [("publish",), ("unpublish",), ("publish",)]


def test_unpublished_series_is_hidden_but_members_keep_their_logs(user, editor_user):
    series = _ready_draft(title="Soon hidden")
    series = series_publish(series=series, actor=editor_user)
    log = SessionLogFactory(user=user, routine=series.routines.get())
    series_unpublish(series=series, actor=editor_user)
    assert list(series_search(user=user)) == []
    assert not routines_for_logging(user=user).exists()
    assert list(session_logs_for(user=user)) == [log]  # still in their history
    assert list(series_search(user=editor_user)) == [series]


def test_only_a_published_series_can_be_unpublished(editor_user):
    with pytest.raises(ValidationError) as caught:
        series_unpublish(series=_ready_draft(title="Still a draft"), actor=editor_user)
    assert caught.value.messages == [
        "Only a published series can be unpublished: “Still a draft” is draft."
    ]


# --- Scheduling --------------------------------------------------------------------------------


def test_schedule_then_cancel_then_publish_at_now(editor_user):
    series = _ready_draft()
    when = dt.datetime.now(UTC) + dt.timedelta(hours=2)
    scheduled = series_schedule(series=series, publish_at=when, actor=editor_user)
    assert (scheduled.status, scheduled.publish_at) == (Series.Status.SCHEDULED, when)
    entry = AuditEntry.objects.get(series=series, action="schedule")
    assert entry.changes["status"] == {"old": "draft", "new": "scheduled"}
    assert entry.changes["publish_at"]["new"] == when.isoformat()
    cancelled = series_unschedule(series=series, actor=editor_user)
    assert (cancelled.status, cancelled.publish_at) == (Series.Status.DRAFT, None)
    live = series_publish_at(series=series, when=None, actor=editor_user)
    assert live.status == Series.Status.PUBLISHED
    with pytest.raises(ValidationError) as caught:
        series_schedule(series=series, publish_at=when, actor=editor_user)
    assert "already published" in caught.value.messages[0]


def test_publish_at_in_the_future_schedules_and_in_the_past_publishes(editor_user):
    future, past = _ready_draft(), _ready_draft()
    now = dt.datetime.now(UTC)
    assert series_publish_at(
        series=future, when=now + dt.timedelta(minutes=5), actor=editor_user
    ).status == (Series.Status.SCHEDULED)
    assert series_publish_at(
        series=past, when=now - dt.timedelta(minutes=5), actor=editor_user
    ).status == (Series.Status.PUBLISHED)
    with pytest.raises(ValidationError) as caught:
        series_schedule(series=future, publish_at=now - dt.timedelta(seconds=1))
    assert caught.value.message_dict["publish_at"] == [
        "Choose a time in the future, or publish the series now."
    ]


def test_cancelling_the_schedule_of_a_series_that_was_live_leaves_it_unpublished(editor_user):
    series = series_publish(series=_ready_draft(), actor=editor_user)
    series_unpublish(series=series, actor=editor_user)
    series_schedule(
        series=series, publish_at=dt.datetime.now(UTC) + dt.timedelta(days=1), actor=editor_user
    )
    assert series_unschedule(series=series).status == Series.Status.UNPUBLISHED


# --- The periodic task, across a change of the clocks ---------------------------------------------


def test_the_periodic_task_publishes_at_the_right_instant_across_the_dst_change(
    editor_user, events, django_capture_on_commit_callbacks
):
    """Paris moves from +01:00 to +02:00 at 01:00 UTC on Sunday 28 March 2027. 03:30 that
    morning in Paris is 01:30 UTC (a fixed +01:00 offset would say 02:30 UTC)."""
    from editor.forms import ScheduleForm
    from routines.tasks import series_publish_due as task

    series = _ready_draft(title="Spring")
    with time_machine.travel(dt.datetime(2027, 3, 27, 12, 0, tzinfo=UTC), tick=False):
        form = ScheduleForm({"date": "2027-03-28", "time": "03:30"}, zone=PARIS)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["publish_at"] == dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
        series_schedule(
            series=series, publish_at=form.cleaned_data["publish_at"], actor=editor_user
        )
        skipped = ScheduleForm({"date": "2027-03-28", "time": "02:30"}, zone=PARIS)
        assert not skipped.is_valid()
        assert "does not exist on 2027-03-28 in Europe/Paris" in skipped.errors["time"][0]

    with time_machine.travel(dt.datetime(2027, 3, 28, 1, 29, 59, tzinfo=UTC), tick=False):
        assert task.delay().get() == []
    series.refresh_from_db()
    assert series.status == Series.Status.SCHEDULED

    with (
        time_machine.travel(dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert task.delay().get() == [series.pk]
        assert task.delay().get() == []  # the next run finds nothing more to do
    series.refresh_from_db()
    assert series.status == Series.Status.PUBLISHED
    assert series.published_at == dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert series.publish_at is None
    assert events == [series.pk]
    entry = AuditEntry.objects.get(series=series, action="publish")
    assert entry.actor is None and entry.actor_name == ""


def test_one_beat_entry_runs_the_due_publications():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "routines.tasks.series_publish_due"
    ]
    assert len(entries) == 1 and entries[0]["schedule"] <= 60


def test_due_run_leaves_changed_schedules_and_sends_back_an_emptied_series(editor_user):
    now = dt.datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    due = _ready_draft()
    emptied = _ready_draft()
    later = _ready_draft()
    for series, at in ((due, now), (emptied, now), (later, now + dt.timedelta(minutes=1))):
        Series.objects.filter(pk=series.pk).update(status=Series.Status.SCHEDULED, publish_at=at)
    emptied.routines.all().delete()  # as a raw SQL cleanup would: the services refuse it

    assert series_publish_due(now=now) == [due.pk]
    statuses = dict(Series.objects.values_list("pk", "status"))
    assert statuses == {due.pk: "published", emptied.pk: "draft", later.pk: "scheduled"}
    reason = AuditEntry.objects.get(series=emptied, action="unschedule").changes["reason"]
    assert "Add at least one routine" in reason["new"]


# --- Constraints, each with a message for people -------------------------------------------


def test_status_constraints_hold_in_the_database_and_explain_themselves():
    series = SeriesFactory(status=Series.Status.DRAFT)
    series.status = Series.Status.SCHEDULED
    with pytest.raises(ValidationError) as caught:
        series.full_clean()
    assert caught.value.message_dict["publish_at"] == [
        "Choose the date and time when this series goes live."
    ]
    for changes in (
        {"status": "scheduled", "publish_at": None},
        {"status": "draft", "publish_at": dt.datetime(2030, 1, 1, tzinfo=UTC)},
        {"status": "unpublished", "published_at": None},
        {"status": "published", "published_at": None},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Series.objects.filter(pk=series.pk).update(**changes)
    for constraint in Series._meta.constraints:
        message = str(constraint.violation_error_message)
        assert "Constraint" not in message and "violated" not in message
