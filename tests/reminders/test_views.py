"""Reminder pages (own schedules only) and the login-free email action links."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from reminders.models import ReminderOccurrence, ReminderSchedule
from reminders.services import reminder_action_token
from routines.models import RestDay, SessionLog
from tests.factories import RoutineFactory, UserFactory
from tests.reminders.helpers import schedule_for, utc

pytestmark = pytest.mark.django_db

NOW = utc(2026, 11, 22, 9, 0)  # Sunday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_list_shows_next_reminder_in_the_members_zone(member_client, user):
    user.timezone = "Europe/London"
    user.save()
    schedule_for(user, weekdays=[1], at=dt.time(12, 30))
    response = member_client.get(reverse("reminders:list"))
    assert response.status_code == 200
    assert "Next reminder: Tuesday 12:30 (in 2 days)" in response.content.decode()


def test_profile_and_header_link_to_reminders(member_client):
    page = member_client.get(reverse("accounts:profile")).content.decode()
    assert page.count(reverse("reminders:list")) >= 2


def test_add_edit_pause_delete_through_the_pages(member_client, user):
    routine = RoutineFactory(title="Foot warm-up")
    response = member_client.post(
        reverse("reminders:create"),
        {
            "weekdays": ["0", "3"],
            "local_time": "07:45",
            "timezone": "America/New_York",
            "routine": routine.pk,
            "skip_if_practised": "on",
        },
    )
    assert response.status_code == 302
    schedule = ReminderSchedule.objects.get(user=user)
    assert schedule.weekdays == [0, 3] and schedule.local_time == dt.time(7, 45)
    assert schedule.routine == routine and schedule.skip_if_practised
    assert schedule.next_run_at == utc(2026, 11, 23, 12, 45)

    edit = reverse("reminders:edit", args=[schedule.pk])
    assert "07:45" in member_client.get(edit).content.decode()
    response = member_client.post(
        edit, {"weekdays": ["6"], "local_time": "10:00", "timezone": "UTC", "routine": ""}
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.weekdays, schedule.routine, schedule.skip_if_practised) == ([6], None, False)
    assert schedule.next_run_at == utc(2026, 11, 22, 10, 0)

    member_client.post(reverse("reminders:pause", args=[schedule.pk]), {"paused": "1"})
    schedule.refresh_from_db()
    assert not schedule.active and schedule.next_run_at is None
    assert "Paused" in member_client.get(reverse("reminders:list")).content.decode()
    member_client.post(reverse("reminders:pause", args=[schedule.pk]), {"paused": "0"})
    schedule.refresh_from_db()
    assert schedule.active

    delete = reverse("reminders:delete", args=[schedule.pk])
    assert member_client.get(delete).status_code == 200  # a confirmation page first
    assert ReminderSchedule.objects.filter(pk=schedule.pk).exists()
    member_client.post(delete)
    assert not ReminderSchedule.objects.filter(pk=schedule.pk).exists()


def test_bad_form_input_shows_field_errors_and_keeps_nothing(member_client):
    response = member_client.post(
        reverse("reminders:create"),
        {"weekdays": ["9"], "local_time": "25:99", "timezone": "Nowhere/Else", "routine": "999"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"weekdays", "local_time", "timezone", "routine"}
    assert "Enter a time such as 07:30" in response.content.decode()
    response = member_client.post(
        reverse("reminders:create"), {"local_time": "08:00", "timezone": "UTC"}
    )
    assert "Choose at least one day." in response.content.decode()
    assert not ReminderSchedule.objects.exists()


def test_other_members_schedules_are_404(member_client, other_user):
    theirs = schedule_for(other_user)
    for name in ("edit", "delete"):
        assert member_client.get(reverse(f"reminders:{name}", args=[theirs.pk])).status_code == 404
    for name in ("pause", "delete"):
        response = member_client.post(reverse(f"reminders:{name}", args=[theirs.pk]), {"paused": 1})
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.active
    assert (
        str(theirs.local_time.strftime("%H:%M"))
        not in member_client.get(reverse("reminders:list")).content.decode()
    )


def test_pages_need_login(client):
    response = client.get(reverse("reminders:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- signed action links -----------------------------------------------------------------


@pytest.fixture
def occurrence():
    user = UserFactory(timezone="Europe/London")
    routine = RoutineFactory(title="Hand reset")
    schedule = schedule_for(user, weekdays=[6], at=dt.time(8, 0), routine=routine)
    return ReminderOccurrence.objects.create(
        schedule=schedule,
        user=user,
        due_at=utc(2026, 11, 22, 8, 0),
        local_date=dt.date(2026, 11, 22),
        routine=routine,
        status="sent",
    )


def action_url(occurrence, action):
    token = reminder_action_token(occurrence_id=occurrence.pk, action=action)
    return reverse("reminders:action", kwargs={"action": action, "token": token})


def test_i_did_it_get_changes_nothing_post_logs_once(client, occurrence):
    url = action_url(occurrence, "done")
    page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert content.count("<button") >= 1 and 'method="post"' in content
    assert "csrfmiddlewaretoken" in content
    assert not SessionLog.objects.exists()

    first = client.post(url)
    assert first.status_code == 200 and "Well done" in first.content.decode()
    log = SessionLog.objects.get()
    assert (log.user, log.routine.title, log.source) == (occurrence.user, "Hand reset", "email")
    assert log.local_date == dt.date(2026, 11, 22)
    assert log.ended_at <= NOW

    second = client.post(url)
    assert "Already logged" in second.content.decode()
    assert SessionLog.objects.count() == 1
    occurrence.refresh_from_db()
    assert occurrence.action == "done"


def test_i_did_it_with_no_routine_uses_the_library_default(client, occurrence):
    occurrence.routine = None
    occurrence.save()
    occurrence.schedule.routine = None
    occurrence.schedule.save()
    client.post(action_url(occurrence, "done"))
    assert SessionLog.objects.get().routine.title == "Hand reset"  # the only routine


def test_rest_today_marks_the_local_day_once(client, occurrence):
    url = action_url(occurrence, "rest")
    client.get(url)
    assert not RestDay.objects.exists()
    assert "Rest well" in client.post(url).content.decode()
    assert "already marked" in client.post(url).content.decode()
    assert list(RestDay.objects.values_list("user", "local_date")) == [
        (occurrence.user.pk, dt.date(2026, 11, 22))
    ]


def test_rest_limit_gets_a_friendly_message(client, occurrence):
    from routines.models import PracticePlan

    PracticePlan.objects.update_or_create(user=occurrence.user, defaults={"rest_days_per_week": 0})
    response = client.post(action_url(occurrence, "rest"))
    assert response.status_code == 200
    assert "No rest days left this week" in response.content.decode()
    assert not RestDay.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_or_crossed_tokens_are_a_friendly_400(client, occurrence, method):
    done_token = reminder_action_token(occurrence_id=occurrence.pk, action="done")
    bad = [
        reverse("reminders:action", kwargs={"action": "done", "token": done_token + "x"}),
        # A "done" token used on the "rest" link: salts differ per action.
        reverse("reminders:action", kwargs={"action": "rest", "token": done_token}),
        reverse("reminders:action", kwargs={"action": "done", "token": "garbage"}),
    ]
    for url in bad:
        response = getattr(client, method)(url)
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert not SessionLog.objects.exists() and not RestDay.objects.exists()


def test_link_of_a_deleted_reminder_is_a_friendly_400(client, occurrence):
    url = action_url(occurrence, "done")
    occurrence.schedule.delete()
    assert client.post(url).status_code == 400


def test_action_post_needs_the_csrf_token(occurrence):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(action_url(occurrence, "done")).status_code == 403
    assert not SessionLog.objects.exists()


def test_i_did_it_for_a_routine_no_longer_published_logs_nothing_and_says_so(client, occurrence):
    """The series was unpublished after the email went out: like every logging path, the
    action refuses it (routines.selectors.routine_for_logging) and stores no log."""
    series = occurrence.routine.series
    series.status = "draft"
    series.save()
    RoutineFactory(title="Another routine")  # a published default must not be logged instead
    url = action_url(occurrence, "done")
    response = client.post(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing logged" in page and "no longer in the library" in page
    assert not SessionLog.objects.exists()
    occurrence.refresh_from_db()
    assert occurrence.action == "" and occurrence.acted_at is None
    # Published again: the same link logs it.
    series.status = "published"
    series.save()
    assert "Well done" in client.post(url).content.decode()
    assert SessionLog.objects.get().routine == occurrence.routine


def test_i_did_it_with_no_routine_and_an_empty_library_logs_nothing(client, occurrence):
    from routines.models import Series

    occurrence.routine = None
    occurrence.save()
    occurrence.schedule.routine = None
    occurrence.schedule.save()
    Series.objects.update(status="draft")
    page = client.post(action_url(occurrence, "done")).content.decode()
    assert "no routine in the library" in page and "Nothing logged" in page
    assert not SessionLog.objects.exists()
